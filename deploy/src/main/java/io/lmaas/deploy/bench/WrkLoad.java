package io.lmaas.deploy.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load from wrk (Debian's {@code wrk}): a C load generator that costs the machine far less per request than a JVM's HTTP
 * clients, so on a small machine the system under test keeps the cores. Scripts POST one of the given JSON bodies per
 * request, in turn, and print one line of figures that {@link #run} reads; any non-2xx answer fails the run.
 */
final class WrkLoad {

    /** One run's figures. */
    record Result(double rps, double p50ms, double p99ms) {
    }

    private static final Pattern FIGURES = Pattern.compile("LMAAS ([0-9.]+) ([0-9.]+) ([0-9.]+) (\\d+)");

    private WrkLoad() {
    }

    /**
     * Writes a script POSTing {@code bodies} in turn with {@code headers}; {@code paced}: each connection pauses 10 ms
     * between requests (wrk's {@code delay()}).
     */
    static Path script(Path dir, String name, List<String> bodies, Map<String, String> headers, boolean paced) throws IOException {
        StringBuilder s = new StringBuilder("wrk.method = \"POST\"\n");
        s.append("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
        headers.forEach((k, v) -> s.append("wrk.headers[\"").append(k).append("\"] = \"").append(v).append("\"\n"));
        if (bodies.size() == 1) {
            s.append("wrk.body = '").append(bodies.get(0)).append("'\n");
        } else {
            s.append("local bodies = {\n");
            bodies.forEach(b -> s.append("  '").append(b).append("',\n"));
            s.append("}\nlocal i = 0\n");
            s.append("function request()\n  i = i % #bodies + 1\n  return wrk.format(nil, nil, nil, bodies[i])\nend\n");
        }
        if (paced) {
            s.append("function delay() return 10 end\n");
        }
        s.append("function done(summary, latency, requests)\n")
                .append("  io.write(string.format(\"LMAAS %f %f %f %d\\n\", summary.requests / (summary.duration / 1e6),")
                .append(" latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.errors.status))\n")
                .append("end\n");
        Path file = dir.resolve(name);
        Files.writeString(file, s.toString(), StandardCharsets.UTF_8);
        return file;
    }

    /** Runs wrk against {@code url} for {@code seconds}; fails when wrk is missing, prints nothing or saw non-2xx answers. */
    static Result run(String url, Path script, int threads, int connections, int seconds) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s", "-s", script.toString(), url)
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("this benchmark needs wrk on the PATH (Debian: apt-get install wrk)", e);
        }
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                out.add(line);
            }
        }
        p.waitFor();
        for (String line : out) {
            Matcher m = FIGURES.matcher(line);
            if (m.find()) {
                if (Integer.parseInt(m.group(4)) > 0) {
                    throw new IllegalStateException("non-2xx answers during the run against " + url + ": " + String.join("\n", out));
                }
                return new Result(Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)));
            }
        }
        throw new IllegalStateException("wrk printed no result: " + String.join("\n", out));
    }
}
