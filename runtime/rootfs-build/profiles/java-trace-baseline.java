// Run beside the app by `lite rootfs build java --trace`, so that the trimmed image
// keeps what any app needs on a path its own run did not take. With no argument: the
// report of an uncaught exception (in another thread and in main) and a
// NullPointerException's helpful message; its reports go nowhere and it exits 1.
// With "term": a SIGTERM to itself, as `lite stop` sends, with a shutdown hook to run:
// the JVM's signal dispatch and exit path, which exits 143.
import java.io.OutputStream;
import java.io.PrintStream;

public class LiteTraceBaseline {
    public static void main(String[] args) throws Exception {
        System.setErr(new PrintStream(OutputStream.nullOutputStream()));
        if (args.length == 1 && args[0].equals("term")) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> System.err.println("stopping")));
            jdk.internal.misc.Signal.raise(new jdk.internal.misc.Signal("TERM"));
            Thread.sleep(5000); // the signal's handler exits first
            return;
        }
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
