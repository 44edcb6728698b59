package io.lmaas.deploy.models;

import io.lmaas.worker.hf.lora.LoraAdapter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A Qwen2 checkpoint of a given shape with random weights (N(0, 0.02), unit norms), written as a Hugging Face directory
 * beside a real tokenizer ({@code tokenizer.json}, {@code tokenizer_config.json} with its chat template): what the
 * decoder benchmark and the platform's end-to-end chat test serve. Weights are generated and written in a stream, in
 * float32 or bfloat16, never held whole; nothing here is committed.
 */
public final class RandomDecoder {
    /** A Qwen2 shape. */
    public record Shape(int vocab, int hidden, int layers, int heads, int kvHeads, int intermediate, int positions) {
        /** The 0.5B shape of Qwen2-0.5B / Qwen2.5-0.5B. */
        public static final Shape HALF_B = new Shape(151_936, 896, 24, 14, 2, 4_864, 32_768);

        int headDim() {
            return hidden / heads;
        }
    }

    private RandomDecoder() {
    }

    /** Writes the checkpoint into {@code dir} (created), with the tokenizer files of {@code tokenizerDir}. */
    public static void write(Path dir, Shape s, boolean bfloat16, long seed, Path tokenizerDir) throws IOException {
        Files.createDirectories(dir);
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(tokenizerDir.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        JsonObject tc = new JsonObject(Files.readString(dir.resolve("tokenizer_config.json")));
        long eos = tokenId(dir, tc.getValue("eos_token"));
        JsonObject config = new JsonObject().put("architectures", new JsonArray().add("Qwen2ForCausalLM")).put("model_type", "qwen2")
                .put("vocab_size", s.vocab()).put("hidden_size", s.hidden()).put("intermediate_size", s.intermediate())
                .put("num_hidden_layers", s.layers()).put("num_attention_heads", s.heads()).put("num_key_value_heads", s.kvHeads())
                .put("max_position_embeddings", s.positions()).put("rms_norm_eps", 1e-6).put("rope_theta", 1_000_000.0)
                .put("hidden_act", "silu").put("tie_word_embeddings", true).put("use_sliding_window", false)
                .put("eos_token_id", eos).put("torch_dtype", bfloat16 ? "bfloat16" : "float32");
        Files.writeString(dir.resolve("config.json"), config.encodePrettily());
        Files.writeString(dir.resolve("generation_config.json"), new JsonObject().put("eos_token_id", new JsonArray().add(eos))
                .put("do_sample", true).put("temperature", 0.7).put("top_p", 0.8).encodePrettily());
        Map<String, long[]> tensors = new LinkedHashMap<>();
        int d = s.headDim();
        tensors.put("model.embed_tokens.weight", new long[] {s.vocab(), s.hidden()});
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            tensors.put(p + "input_layernorm.weight", new long[] {s.hidden()});
            tensors.put(p + "self_attn.q_proj.weight", new long[] {(long) s.heads() * d, s.hidden()});
            tensors.put(p + "self_attn.q_proj.bias", new long[] {(long) s.heads() * d});
            tensors.put(p + "self_attn.k_proj.weight", new long[] {(long) s.kvHeads() * d, s.hidden()});
            tensors.put(p + "self_attn.k_proj.bias", new long[] {(long) s.kvHeads() * d});
            tensors.put(p + "self_attn.v_proj.weight", new long[] {(long) s.kvHeads() * d, s.hidden()});
            tensors.put(p + "self_attn.v_proj.bias", new long[] {(long) s.kvHeads() * d});
            tensors.put(p + "self_attn.o_proj.weight", new long[] {s.hidden(), (long) s.heads() * d});
            tensors.put(p + "post_attention_layernorm.weight", new long[] {s.hidden()});
            tensors.put(p + "mlp.gate_proj.weight", new long[] {s.intermediate(), s.hidden()});
            tensors.put(p + "mlp.up_proj.weight", new long[] {s.intermediate(), s.hidden()});
            tensors.put(p + "mlp.down_proj.weight", new long[] {s.hidden(), s.intermediate()});
        }
        tensors.put("model.norm.weight", new long[] {s.hidden()});
        writeSafetensors(dir.resolve("model.safetensors"), tensors, bfloat16, seed);
    }

    /**
     * A PEFT LoRA adapter for a checkpoint of {@code s} with random factors (A and B both non-zero, unlike PEFT's
     * initialisation, so it changes what the model says): rank {@code rank}, {@code lora_alpha} 2 × rank, on q_proj,
     * v_proj and down_proj of every layer.
     */
    public static void writeAdapter(Path dir, Shape s, int rank, long seed) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, io.lmaas.worker.hf.SafetensorsWriter.Tensor> tensors = new LinkedHashMap<>();
        int q = s.heads() * s.headDim();
        int kv = s.kvHeads() * s.headDim();
        for (int i = 0; i < s.layers(); i++) {
            factors(tensors, new LoraAdapter.Key(i, "q_proj"), rank, s.hidden(), q, random);
            factors(tensors, new LoraAdapter.Key(i, "v_proj"), rank, s.hidden(), kv, random);
            factors(tensors, new LoraAdapter.Key(i, "down_proj"), rank, s.intermediate(), s.hidden(), random);
        }
        io.lmaas.worker.hf.SafetensorsWriter.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of());
        Files.writeString(dir.resolve("adapter_config.json"), new JsonObject().put("peft_type", "LORA").put("task_type", "CAUSAL_LM")
                .put("r", rank).put("lora_alpha", 2 * rank).put("lora_dropout", 0.05).put("bias", "none")
                .put("target_modules", new JsonArray().add("q_proj").add("v_proj").add("down_proj")).encodePrettily());
    }

    private static void factors(Map<String, io.lmaas.worker.hf.SafetensorsWriter.Tensor> out, LoraAdapter.Key key, int rank, int in,
            int outDim, SplittableRandom random) {
        out.put(key.tensorName("A"), new io.lmaas.worker.hf.SafetensorsWriter.Tensor(new long[] {rank, in}, uniform(rank * in, random)));
        out.put(key.tensorName("B"), new io.lmaas.worker.hf.SafetensorsWriter.Tensor(new long[] {outDim, rank},
                uniform(outDim * rank, random)));
    }

    private static float[] uniform(int n, SplittableRandom random) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextDouble(-0.1, 0.1);
        }
        return v;
    }

    private static long tokenId(Path dir, Object token) throws IOException {
        String text = token instanceof JsonObject o ? o.getString("content") : String.valueOf(token);
        JsonObject json = new JsonObject(Files.readString(dir.resolve("tokenizer.json")));
        for (Object o : json.getJsonArray("added_tokens", new JsonArray())) {
            if (text.equals(((JsonObject) o).getString("content"))) {
                return ((JsonObject) o).getLong("id");
            }
        }
        throw new IOException("the tokenizer has no added token '" + text + "'");
    }

    private static void writeSafetensors(Path file, Map<String, long[]> tensors, boolean bfloat16, long seed) throws IOException {
        int width = bfloat16 ? 2 : 4;
        JsonObject header = new JsonObject();
        long offset = 0;
        for (Map.Entry<String, long[]> e : tensors.entrySet()) {
            long bytes = count(e.getValue()) * width;
            JsonArray shape = new JsonArray();
            for (long v : e.getValue()) {
                shape.add(v);
            }
            header.put(e.getKey(), new JsonObject().put("dtype", bfloat16 ? "BF16" : "F32").put("shape", shape)
                    .put("data_offsets", new JsonArray().add(offset).add(offset + bytes)));
            offset += bytes;
        }
        byte[] raw = header.encode().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) / 8 * 8;
        SplittableRandom random = new SplittableRandom(seed);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(length.array());
            out.write(raw);
            out.write(" ".repeat(padded - raw.length).getBytes(StandardCharsets.US_ASCII));
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, long[]> e : tensors.entrySet()) {
                boolean norm = e.getKey().endsWith("norm.weight");
                boolean bias = e.getKey().endsWith(".bias");
                for (long i = count(e.getValue()); i > 0; i--) {
                    float v = norm ? 1f : (float) (random.nextDouble(-1, 1) * (bias ? 0.02 : 0.0346)); // uniform, sd 0.02
                    if (bfloat16) {
                        chunk.putShort((short) (Float.floatToRawIntBits(v) >>> 16));
                    } else {
                        chunk.putFloat(v);
                    }
                    if (!chunk.hasRemaining()) {
                        out.write(chunk.array(), 0, chunk.position());
                        chunk.clear();
                    }
                }
            }
            out.write(chunk.array(), 0, chunk.position());
        }
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long v : shape) {
            n *= v;
        }
        return n;
    }
}
