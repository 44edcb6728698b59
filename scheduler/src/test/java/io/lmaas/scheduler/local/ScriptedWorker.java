package io.lmaas.scheduler.local;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A stand-in worker process for supervisor tests: takes the real worker's command line, and behaves as
 * the file {@code <model-dir>/behaviour} says: {@code ready} (serves a ready /health), {@code fail}
 * (reports a model that failed to load) or {@code exit} (exits at once with code 3). The real worker
 * is exercised end to end by the platform tests.
 */
public final class ScriptedWorker {
    public static void main(String[] args) throws Exception {
        Map<String, String> flags = new HashMap<>();
        for (String a : args) {
            if (a.startsWith("--") && a.contains("=")) {
                flags.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            }
        }
        String behaviour = Files.readString(Path.of(flags.get("model-dir")).resolve("behaviour")).trim();
        if (behaviour.equals("exit")) {
            System.exit(3);
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        String body = behaviour.equals("ready") ? "{\"state\":\"ready\"}" : "{\"state\":\"failed\",\"message\":\"bad weights\"}";
        server.createContext("/health", ex -> {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(behaviour.equals("ready") ? 200 : 503, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        Path portFile = Path.of(flags.get("port-file"));
        Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, Integer.toString(server.getAddress().getPort()));
        Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
