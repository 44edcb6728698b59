package io.lmaas.deploy.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.vertx.core.json.JsonArray;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

/**
 * The references {@link EmbeddingBenchmark} measures the worker against: ONNX Runtime Java on the original ONNX file, with
 * mean pooling and normalisation in Java, and PyTorch eager (Debian's python3-torch running a BertModel written from
 * Hugging Face's code, {@code /bench/eager_bert.py}).
 */
final class EmbeddingReferences {
    private EmbeddingReferences() {
    }

    static void ort(OrtEnvironment env, OrtSession session, long[][] batch) throws Exception {
        int t = batch[0].length;
        long[] ids = new long[batch.length * t];
        for (int b = 0; b < batch.length; b++) {
            System.arraycopy(batch[b], 0, ids, b * t, t);
        }
        long[] ones = new long[ids.length];
        Arrays.fill(ones, 1);
        long[] shape = {batch.length, t};
        try (OnnxTensor i = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(ones), shape);
                OnnxTensor ty = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape);
                OrtSession.Result r = session.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", ty))) {
            // Mean pooling and normalisation, as the worker does (the ONNX file ends at the token states).
            float[][][] states = (float[][][]) r.get(0).getValue();
            for (float[][] sentence : states) {
                float[] pooled = new float[sentence[0].length];
                for (float[] token : sentence) {
                    for (int h = 0; h < pooled.length; h++) {
                        pooled[h] += token[h] / sentence.length;
                    }
                }
                double norm = 0;
                for (float v : pooled) {
                    norm += v * v;
                }
                if (norm == 0) {
                    throw new IllegalStateException("empty embedding");
                }
            }
        }
    }

    static double[] pythonEager(Path dir, long[][] inputs, Path work, int threads, Duration d, int runs, int batch) throws Exception {
        Path python = Path.of("/usr/bin/python3");
        if (!Files.isExecutable(python)) {
            System.out.println("| PyTorch eager | not measured: no /usr/bin/python3 | |");
            return null;
        }
        Path script = work.resolve("eager_bert.py");
        try (InputStream in = EmbeddingReferences.class.getResourceAsStream("/bench/eager_bert.py")) {
            Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Path json = work.resolve("inputs-" + inputs[0].length + ".json");
        JsonArray rows = new JsonArray();
        for (long[] row : inputs) {
            JsonArray ids = new JsonArray();
            Arrays.stream(row).forEach(ids::add);
            rows.add(ids);
        }
        Files.writeString(json, rows.encode());
        double[] out = new double[runs];
        for (int run = 0; run < runs; run++) {
            ProcessBuilder pb = new ProcessBuilder(python.toString(), script.toString(), dir.toString(), json.toString(),
                    Integer.toString(batch), Long.toString(d.toSeconds())).redirectErrorStream(true);
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            Process p = pb.start();
            String last = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    last = line;
                }
            }
            if (p.waitFor() != 0 || last == null || !last.startsWith("sentences_per_second=")) {
                System.out.println("| PyTorch eager | failed: " + last + " | |");
                return null;
            }
            out[run] = Double.parseDouble(last.substring("sentences_per_second=".length()));
        }
        return out;
    }
}
