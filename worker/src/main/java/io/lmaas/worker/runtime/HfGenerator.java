package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDManager;
import io.lmaas.worker.chat.JinjaChatTemplate;
import io.lmaas.worker.hf.HfDirectory;
import io.lmaas.worker.hf.HfWeights;
import io.lmaas.worker.hf.decoder.DecoderConfig;
import io.lmaas.worker.hf.decoder.Gpt2Config;
import io.lmaas.worker.hf.decoder.Gpt2Decoder;
import io.lmaas.worker.hf.decoder.LlamaFamilyDecoder;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.tokenizer.StreamDecoder;
import io.lmaas.worker.tokenizer.TextTokenizer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a Hugging Face decoder checkpoint (GPT-2, Llama, Qwen2, Mistral) as a {@link GeneratorRuntime}: its weights by their
 * own names, its tokenizer, its chat template, its end-of-sequence ids and sampling defaults
 * ({@code generation_config.json}). The served context is the model's (max_position_embeddings, the tokenizer's
 * model_max_length), capped by {@code max_model_len} in serving.properties (default {@value #DEFAULT_CONTEXT}): the
 * key/value cache is sized by it.
 */
final class HfGenerator {
    static final int DEFAULT_CONTEXT = 4096;

    private HfGenerator() {
    }

    /** What a family's config says the loader needs. */
    private record Shape(String architecture, String family, int vocab, int positions, Integer slidingWindow, JsonObject sizes) {
    }

    private static Shape shape(JsonObject c) {
        if ("GPT2LMHeadModel".equals(architecture(c))) {
            Gpt2Config g = Gpt2Config.parse(c);
            return new Shape("GPT2LMHeadModel", "gpt2", g.vocab(), g.positions(), null, new JsonObject().put("hidden_size", g.hidden())
                    .put("layers", g.layers()).put("heads", g.heads()).put("kv_heads", g.heads()));
        }
        DecoderConfig d = DecoderConfig.parse(c);
        return new Shape(d.architecture(), d.family().modelType, d.vocab(), d.maxPositions(), d.slidingWindow(), new JsonObject()
                .put("hidden_size", d.hidden()).put("layers", d.layers()).put("heads", d.heads()).put("kv_heads", d.kvHeads()));
    }

    private static String architecture(JsonObject c) {
        JsonArray a = c.getJsonArray("architectures", new JsonArray());
        return a.isEmpty() ? "" : String.valueOf(a.getValue(0));
    }

    private static CausalLm decoder(JsonObject c, HfWeights weights, NDManager manager, int context, int maxAdapters) {
        return "GPT2LMHeadModel".equals(architecture(c)) ? new Gpt2Decoder(Gpt2Config.parse(c), weights, manager)
                : new LlamaFamilyDecoder(DecoderConfig.parse(c), weights, manager, context, maxAdapters);
    }

    static GeneratorRuntime load(HfDirectory hf, ComputeDevice device) {
        Shape config = shape(hf.config());
        if (hf.taskOverride() != null && !ServingProperties.GENERATION.equals(hf.taskOverride())) {
            throw new ModelDirectoryException(ServingProperties.FILE + ": task '" + hf.taskOverride() + "' is not served by "
                    + config.architecture() + " (text-generation)");
        }
        int context = hf.maxTokens(Math.min(config.positions(), hf.maxModelLength(DEFAULT_CONTEXT)));
        if (config.slidingWindow() != null && config.slidingWindow() < context) {
            throw new ModelDirectoryException("config.json: sliding_window " + config.slidingWindow() + " is smaller than the served "
                    + "context of " + context + " tokens, and sliding-window attention is not implemented: set max_model_len="
                    + config.slidingWindow() + " (or less) in " + ServingProperties.FILE);
        }
        hf.batching(true);
        JsonObject generation = HfDirectory.json(hf.directory(), "generation_config.json");
        NDManager manager = NDManager.newBaseManager(device.device(), "PyTorch");
        TextTokenizer tokenizer = null;
        try {
            HfWeights weights = HfWeights.load(hf.directory(), manager);
            long parameters = weights.parameters();
            String stored = weights.storedType();
            CausalLm decoder = decoder(hf.config(), weights, manager, context, hf.maxAdapters());
            weights.releaseUnused();
            tokenizer = tokenizer(hf, config.vocab());
            long[] eos = eos(hf, generation, tokenizer);
            long start = first(generation, hf.config(), "bos_token_id", eos[0]);
            JsonObject description = new JsonObject().put("architecture", config.architecture())
                    .put("family", config.family()).put("parameters", parameters).put("dtype", stored)
                    .put("compute_dtype", "float32").mergeIn(device.describe()).put("max_length", context)
                    .mergeIn(config.sizes()).put("weights_bytes", parameters * Float.BYTES);
            GeneratorRuntime runtime = new GeneratorRuntime(new GeneratorRuntime.Parts(manager, null, decoder, tokenizer,
                    StreamDecoder.of(hf.directory().resolve("tokenizer.json"), tokenizer), eos, start, context, config.vocab(), false,
                    hf.batching(true), description, JinjaChatTemplate.fromDirectory(hf.directory()).orElse(null),
                    GenerationDefaults.of(generation), closeAll(tokenizer, manager)));
            float[] probe = runtime.logits(new long[] {start});
            if (probe.length != config.vocab()) {
                runtime.close();
                throw new ModelDirectoryException("the checkpoint scores " + probe.length + " tokens but vocab_size is " + config.vocab());
            }
            return runtime;
        } catch (RuntimeException e) {
            if (tokenizer != null) {
                tokenizer.close();
            }
            manager.close();
            throw e instanceof ModelDirectoryException ? e : new ModelDirectoryException("the checkpoint does not run: " + e.getMessage(), e);
        }
    }

    private static AutoCloseable closeAll(TextTokenizer tokenizer, NDManager manager) {
        return () -> {
            tokenizer.close();
            manager.close();
        };
    }

    /** The tokenizer, refused if it has ids beyond the model's vocabulary. */
    private static TextTokenizer tokenizer(HfDirectory hf, int vocabSize) {
        JsonObject json = HfDirectory.json(hf.directory(), "tokenizer.json");
        if (json == null) {
            throw new ModelDirectoryException("tokenizer.json: missing");
        }
        long max = TextTokenizer.largestId(json);
        if (max >= vocabSize) {
            throw new ModelDirectoryException("tokenizer.json: the tokenizer has ids up to " + max + " but the model's vocabulary is "
                    + vocabSize + " (vocab_size): mismatched tokenizer");
        }
        try {
            return TextTokenizer.load(hf.directory().resolve("tokenizer.json"));
        } catch (IOException | RuntimeException e) {
            throw new ModelDirectoryException("tokenizer.json: cannot be loaded (" + e.getMessage() + ")", e);
        }
    }

    /** End-of-sequence ids: generation_config.json's eos_token_id (one or a list), else config.json's, else the tokenizer's eos_token. */
    private static long[] eos(HfDirectory hf, JsonObject generation, TextTokenizer tokenizer) {
        List<Long> ids = new ArrayList<>();
        for (JsonObject source : new JsonObject[] {generation, hf.config()}) {
            Object value = source == null ? null : source.getValue("eos_token_id");
            if (value instanceof Number n) {
                ids.add(n.longValue());
            } else if (value instanceof JsonArray list) {
                list.forEach(o -> ids.add(((Number) o).longValue()));
            }
            if (!ids.isEmpty()) {
                break;
            }
        }
        if (ids.isEmpty()) {
            JsonObject tc = HfDirectory.json(hf.directory(), "tokenizer_config.json");
            Object token = tc == null ? null : tc.getValue("eos_token");
            String text = token instanceof JsonObject o ? o.getString("content") : token instanceof String s ? s : null;
            long[] encoded = text == null ? new long[0] : tokenizer.encode(text);
            if (encoded.length == 1) {
                ids.add(encoded[0]);
            }
        }
        if (ids.isEmpty()) {
            throw new ModelDirectoryException("no end-of-sequence token: expected eos_token_id in generation_config.json or config.json");
        }
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static long first(JsonObject generation, JsonObject config, String key, long otherwise) {
        for (JsonObject source : new JsonObject[] {generation, config}) {
            if (source != null && source.getValue(key) instanceof Number n) {
                return n.longValue();
            }
        }
        return otherwise;
    }
}
