// The java profile's sample: parses a JSON-like record list by hand, sums the
// values on a thread pool, writes the result to a file and reads it back.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class Main {
    record Reading(String sensor, double value) {}

    static List<Reading> parse(String json) {
        Pattern p = Pattern.compile("\\{\\s*\"sensor\"\\s*:\\s*\"([^\"]+)\"\\s*,\\s*\"value\"\\s*:\\s*(-?[0-9.]+)\\s*\\}");
        Matcher m = p.matcher(json);
        List<Reading> out = new ArrayList<>();
        while (m.find()) out.add(new Reading(m.group(1), Double.parseDouble(m.group(2))));
        return out;
    }

    public static void main(String[] args) throws Exception {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < 1000; i++) {
            if (i > 0) json.append(',');
            json.append("{\"sensor\": \"s").append(i % 8).append("\", \"value\": ").append(i).append(".5}");
        }
        json.append(']');
        List<Reading> readings = parse(json.toString());

        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Double>> parts = new ArrayList<>();
        int chunk = readings.size() / 4;
        for (int t = 0; t < 4; t++) {
            List<Reading> slice = readings.subList(t * chunk, t == 3 ? readings.size() : (t + 1) * chunk);
            parts.add(pool.submit(() -> slice.stream().mapToDouble(Reading::value).sum()));
        }
        double total = 0;
        for (Future<Double> f : parts) total += f.get();
        pool.shutdown();

        Path file = Files.createTempFile("lite-sample", ".txt");
        Files.writeString(file, String.format("readings=%d total=%.1f%n", readings.size(), total), StandardCharsets.UTF_8);
        String back = Files.readString(file, StandardCharsets.UTF_8).trim();
        Files.delete(file);
        System.out.println("java ok " + back);
    }
}
