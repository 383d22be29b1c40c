// Run once beside the app by `lite rootfs build java --trace`, so that the
// trimmed image keeps what any app needs on a path its own run did not take:
// the report of an uncaught exception (in the main thread and in another) and
// a NullPointerException's helpful message. Its reports go nowhere; it exits 1.
import java.io.OutputStream;
import java.io.PrintStream;

public class LiteTraceBaseline {
    public static void main(String[] args) throws Exception {
        System.setErr(new PrintStream(OutputStream.nullOutputStream()));
        Thread other = new Thread(() -> {
            throw new IllegalStateException("uncaught in another thread");
        });
        other.start();
        other.join();
        try {
            Object nothing = args.length > 99 ? args : null;
            nothing.hashCode();
        } catch (NullPointerException e) {
            e.printStackTrace();
        }
        throw new IllegalStateException("uncaught in main");
    }
}
