package io.lmaas.deploy;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.crypto.Artifacts;
import io.lmaas.core.crypto.DataKey;
import io.lmaas.gateway.models.ModelValidator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Validates a model version by loading it in a separate {@code lmaas worker validate} process of this
 * distribution (libtorch stays out of the gateway, and a model that crashes the loader crashes only that
 * process). The process prints one JSON line: {@code {"ok":true}} or {@code {"ok":false,"error":"..."}}.
 */
public final class ProcessModelValidator implements ModelValidator {
    private final Vertx vertx;
    private final Path javaBinary;
    private final String classpath;

    public ProcessModelValidator(Vertx vertx, Path javaBinary, String classpath) {
        this.vertx = vertx;
        this.javaBinary = javaBinary;
        this.classpath = classpath;
    }

    @Override
    public Future<Void> validate(Path directory, ModelTask task) {
        return check(directory, List.of("--model-dir=" + directory, "--task=" + task.wireName()));
    }

    @Override
    public Future<Void> validateAdapter(Path directory, Path baseDirectory) {
        return check(directory, List.of("--model-dir=" + directory, "--base-dir=" + baseDirectory));
    }

    @Override
    public Future<Void> mergeAdapter(Path directory, Path baseDirectory, Path out) {
        return run("merge-adapter", "-Xmx1g", 900, directory, List.of("--model-dir=" + directory, "--base-dir=" + baseDirectory,
                "--out=" + out));
    }

    private Future<Void> check(Path directory, List<String> arguments) {
        return run("validate", "-Xmx512m", 120, directory, arguments);
    }

    /**
     * Runs {@code lmaas worker <mode>} on {@code directory}. A tenant's sealed model goes with its data key, written to
     * the child's stdin ({@code --key-on-stdin}): the child reads the model, and seals what it writes, in memory.
     */
    private Future<Void> run(String mode, String heap, int timeoutSeconds, Path directory, List<String> arguments) {
        return vertx.executeBlocking(() -> {
            java.util.Optional<DataKey> key = Artifacts.keyFor(directory);
            List<String> command = new java.util.ArrayList<>(List.of(javaBinary.toString(), heap, "-XX:+UseSerialGC",
                    "-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true", "-cp", classpath, "io.lmaas.deploy.Main", "worker", mode));
            command.addAll(arguments);
            if (key.isPresent()) {
                command.add("--key-on-stdin=true");
            }
            ProcessBuilder pb = new ProcessBuilder(command);
            // The model is a tenant's: its loader gets none of this process's secrets (database, tokens).
            pb.environment().keySet().removeIf(k -> k.startsWith("LMAAS_") && !k.equals("LMAAS_LOG_FORMAT"));
            pb.environment().put("DJL_OFFLINE", "true");
            pb.environment().put("OPT_OUT_TRACKING", "true");
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            Process p = pb.start();
            try (java.io.OutputStream stdin = p.getOutputStream()) {
                if (key.isPresent()) {
                    stdin.write((key.get().toPipe().encode() + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
            String out;
            try {
                out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    throw new IOException("worker " + mode + " did not finish in " + timeoutSeconds + " s");
                }
            } finally {
                p.destroyForcibly();
            }
            JsonObject verdict = out.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).map(JsonObject::new)
                    .orElseThrow(() -> new IOException("the validator gave no verdict (exit " + p.exitValue() + ")"));
            if (!verdict.getBoolean("ok", false)) {
                throw new IllegalArgumentException(verdict.getString("error", "the model version is not valid"));
            }
            return null;
        }, false);
    }

    /**
     * In the child: the tenant's data key its parent wrote to stdin ({@code --key-on-stdin}), held for reading and, for
     * what the child writes (a merge), for sealing.
     */
    static void keyFromStdin(boolean expected) throws IOException {
        if (!expected) {
            return;
        }
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null || line.isBlank()) {
            throw new IOException("--key-on-stdin: no key on stdin");
        }
        DataKey key = DataKey.fromPipe(new JsonObject(line));
        Artifacts.hold(key);
        Artifacts.writeWith(key);
    }

    /**
     * {@code lmaas worker validate --base-dir}: the directory must be a LoRA adapter that fits the base (a Hugging Face
     * decoder's, or a BERT-family encoder's classifier adapter); print the verdict.
     */
    static int runAdapter(Path directory, Path base) {
        try {
            io.vertx.core.json.JsonObject config = io.lmaas.worker.hf.HfDirectory.json(base, "config.json");
            if (config == null) {
                throw new io.lmaas.worker.modeldir.ModelDirectoryException("the base is not a Hugging Face model that serves adapters");
            }
            if (io.lmaas.worker.hf.decoder.DecoderConfig.isCausalLm(config)) {
                var adapter = io.lmaas.worker.hf.lora.LoraAdapter.load(directory, io.lmaas.worker.hf.decoder.DecoderConfig.parse(config));
                System.out.println(new JsonObject().put("ok", true).put("rank", adapter.rank()).put("bytes", adapter.bytes()).encode());
                return 0;
            }
            var adapter = io.lmaas.worker.hf.lora.EncoderLoraAdapter.load(directory, io.lmaas.worker.hf.encoder.EncoderConfig.parse(config));
            System.out.println(new JsonObject().put("ok", true).put("rank", adapter.rank()).put("bytes", adapter.bytes())
                    .put("labels", new io.vertx.core.json.JsonArray(adapter.labels())).encode());
            return 0;
        } catch (RuntimeException e) {
            System.out.println(new JsonObject().put("ok", false).put("error", String.valueOf(e.getMessage())).encode());
            return 3;
        }
    }

    /** {@code lmaas worker merge-adapter}: fold the adapter into a copy of the base in {@code out}; print the verdict. */
    static int runMerge(Path adapter, Path base, Path out) {
        try {
            io.lmaas.worker.hf.lora.AdapterMerge.merge(base, adapter, out);
            System.out.println(new JsonObject().put("ok", true).encode());
            return 0;
        } catch (IOException | RuntimeException e) {
            System.out.println(new JsonObject().put("ok", false).put("error", String.valueOf(e.getMessage())).encode());
            return 3;
        }
    }

    /** {@code lmaas worker validate}: load the version (and run it once); print the verdict. */
    static int run(Path directory, String task) {
        try (io.lmaas.worker.runtime.ModelRuntime runtime = io.lmaas.worker.runtime.ModelRuntime.load(directory)) {
            String actual = runtime.task();
            if (task != null && !task.equals(actual)) {
                System.out.println(new JsonObject().put("ok", false).put("error",
                        directory + ": it is a " + actual + " model, the model it is registered under is " + task).encode());
                return 3;
            }
            System.out.println(new JsonObject().put("ok", true).put("task", actual).encode());
            return 0;
        } catch (RuntimeException e) {
            System.out.println(new JsonObject().put("ok", false).put("error", String.valueOf(e.getMessage())).encode());
            return 3;
        }
    }
}
