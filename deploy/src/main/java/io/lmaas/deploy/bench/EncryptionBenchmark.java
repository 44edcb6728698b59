package io.lmaas.deploy.bench;

import io.lmaas.core.crypto.Artifacts;
import io.lmaas.core.crypto.DataKey;
import io.lmaas.core.files.JsonlValidator;
import io.lmaas.worker.hf.SafetensorsReader;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Random;

/**
 * {@code lmaas bench encryption}: what sealing tenants' artifacts costs on this machine, like for like, in one process.
 * <ul>
 * <li>File upload, the step after the HTTP body is on disk: the JSONL check plus putting the file into the store — a
 * rename before encryption, a sealing copy now (AES-256-GCM, 1 MiB segments). The network part is the same in both and
 * left out.</li>
 * <li>Model load: every tensor of a float32 safetensors file read as the loaders read it ({@link SafetensorsReader},
 * positioned reads), from the plaintext file and from the same bytes sealed (decrypted in memory).</li>
 * <li>A whole worker model load ({@code ModelRuntime.load}: weights into libtorch, tokenizer, template) of the Qwen2
 * 0.5B-shape bfloat16 checkpoint {@code lmaas bench decoder} writes, plaintext and a sealed copy.</li>
 * </ul>
 * Files under the OS's page cache (written just before; the machine's disk speed is not what is compared). Each
 * figure: {@code runs} runs after one warm-up, alternating with and without, median [range] in MB/s of plaintext.
 */
public final class EncryptionBenchmark {
    private EncryptionBenchmark() {
    }

    public static void run(int megabytes, int runs, Path decoder) throws Exception {
        Path dir = ScratchDirs.create("lmaas-bench-encryption");
        DataKey key = DataKey.ephemeral("tn-bench");
        Artifacts.hold(key);
        try {
            long bytes = (long) megabytes << 20;
            Path jsonl = upload(dir.resolve("upload.jsonl"), bytes);
            Path plainModel = model(dir.resolve("model.safetensors"), bytes);
            Path sealedModel = dir.resolve("sealed.safetensors");
            try (InputStream in = Files.newInputStream(plainModel); OutputStream out = Artifacts.newOutputStream(sealedModel, key)) {
                in.transferTo(out);
            }
            System.out.printf(Locale.ROOT, "machine: %d cores, Java %s; %d MB each; %d runs after a warm-up%n%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), megabytes, runs);
            double[][] upload = alternate(runs, () -> store(jsonl, dir, null), () -> store(jsonl, dir, key));
            double[][] load = alternate(runs, () -> load(plainModel), () -> load(sealedModel));
            System.out.println("| step | plaintext (before) | sealed (now) | cost |");
            System.out.println("|---|---|---|---|");
            row("file upload: check + into the store", megabytes, upload);
            row("model load: read every tensor (float32)", megabytes, load);
            if (Files.isRegularFile(decoder.resolve("config.json"))) {
                // A whole worker model load (weights into libtorch, tokenizer, template) of the Qwen2 0.5B-shape checkpoint.
                Path sealedDecoder = dir.resolve("sealed-decoder");
                Files.createDirectories(sealedDecoder);
                Artifacts.writeWith(key);
                try (var files = Files.list(decoder)) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) {
                        Artifacts.copy(f, sealedDecoder.resolve(f.getFileName()));
                    }
                } finally {
                    Artifacts.writeWith(null);
                }
                long size;
                try (var files = Files.list(decoder)) {
                    size = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
                }
                double[][] whole = alternate(runs, () -> runtime(decoder), () -> runtime(sealedDecoder));
                row("worker model load: " + decoder.getFileName() + " (ModelRuntime.load)", (int) (size >> 20), whole);
                System.out.printf(Locale.ROOT, "%nworker model load, seconds: plaintext %s, sealed %s%n", Stats.range(whole[0], 1, "s"),
                        Stats.range(whole[1], 1, "s"));
            } else {
                System.out.println("(no " + decoder + ": `lmaas bench decoder` writes it; the whole-model-load row is skipped)");
            }
        } finally {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void row(String step, int megabytes, double[][] seconds) {
        double[] plain = throughput(megabytes, seconds[0]);
        double[] sealed = throughput(megabytes, seconds[1]);
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %.0f%% more time |%n", step, Stats.range(plain, 1, "MB/s"),
                Stats.range(sealed, 1, "MB/s"), (Stats.median(seconds[1]) / Stats.median(seconds[0]) - 1) * 100);
    }

    private static double[] throughput(int megabytes, double[] seconds) {
        double[] out = new double[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            out[i] = megabytes * 1.048576 / seconds[i];
        }
        return out;
    }

    /** One timed run: the seconds of what is compared (set-up excluded). */
    @FunctionalInterface
    private interface Work {
        double run() throws Exception;
    }

    /** Warm-up of both, then {@code runs} of each in turn: [0] without, [1] with, in seconds. */
    private static double[][] alternate(int runs, Work without, Work with) throws Exception {
        without.run();
        with.run();
        double[][] out = new double[2][runs];
        for (int r = 0; r < runs; r++) {
            out[0][r] = without.run();
            out[1][r] = with.run();
        }
        return out;
    }

    /** What FilesService does with an upload: check it, then into the store (moved before; sealed now). */
    private static double store(Path upload, Path dir, DataKey key) throws Exception {
        Path received = dir.resolve("received.jsonl");
        Files.copy(upload, received, StandardCopyOption.REPLACE_EXISTING); // the HTTP layer's file, untimed in both
        long t = System.nanoTime();
        try (BufferedReader in = Files.newBufferedReader(received, StandardCharsets.UTF_8)) {
            if (!JsonlValidator.validate(in, "fine-tune").valid()) {
                throw new IllegalStateException("the generated file is not valid");
            }
        }
        Path target = dir.resolve("stored.jsonl");
        if (key == null) {
            Files.move(received, target, StandardCopyOption.REPLACE_EXISTING);
        } else {
            try (InputStream in = Files.newInputStream(received); OutputStream out = Artifacts.newOutputStream(target, key)) {
                in.transferTo(out);
            }
            Files.delete(received);
        }
        return (System.nanoTime() - t) / 1e9;
    }

    private static double runtime(Path directory) {
        long t = System.nanoTime();
        try (io.lmaas.worker.runtime.ModelRuntime runtime = io.lmaas.worker.runtime.ModelRuntime.load(directory)) {
            return (System.nanoTime() - t) / 1e9;
        }
    }

    private static double load(Path file) {
        long t = System.nanoTime();
        long[] values = new long[1];
        SafetensorsReader.read(file, (name, tensor) -> values[0] += tensor.values().length);
        if (values[0] == 0) {
            throw new IllegalStateException("no tensor read");
        }
        return (System.nanoTime() - t) / 1e9;
    }

    /** A fine-tuning file of about {@code bytes}: classification lines. */
    private static Path upload(Path file, long bytes) throws Exception {
        Random random = new Random(1);
        long written = 0;
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; written < bytes; i++) {
                String line = new JsonObject().put("text", "example " + i + " " + Long.toHexString(random.nextLong()) + " "
                        + "the quick brown fox jumps over the lazy dog ".repeat(3)).put("label", "l" + (i % 4)).encode() + "\n";
                w.write(line);
                written += line.length();
            }
        }
        return file;
    }

    /** A float32 safetensors file of about {@code bytes}: tensors of 4 MB of random values. */
    private static Path model(Path file, long bytes) throws Exception {
        int tensors = (int) Math.max(1, bytes / (4L << 20));
        int count = (4 << 20) / 4;
        JsonObject header = new JsonObject();
        for (int t = 0; t < tensors; t++) {
            long from = (long) t * count * 4;
            header.put("layer." + t + ".weight", new JsonObject().put("dtype", "F32").put("shape", new io.vertx.core.json.JsonArray()
                    .add(1024).add(count / 1024)).put("data_offsets", new io.vertx.core.json.JsonArray().add(from).add(from + count * 4L)));
        }
        byte[] h = header.encode().getBytes(StandardCharsets.UTF_8);
        Random random = new Random(2);
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            out.write(h);
            ByteBuffer b = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int t = 0; t < tensors; t++) {
                b.clear();
                for (int i = 0; i < count; i++) {
                    b.putFloat((float) random.nextGaussian());
                }
                out.write(b.array());
            }
        }
        return file;
    }
}
