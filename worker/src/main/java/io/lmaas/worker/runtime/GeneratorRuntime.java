package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.nn.Block;
import io.lmaas.worker.chat.ChatTemplate;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.nn.DecoderLm;
import io.lmaas.worker.tokenizer.StreamDecoder;
import io.lmaas.worker.tokenizer.TextTokenizer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A loaded generator — the built-in {@link DecoderLm}, a Hugging Face decoder (both {@link CausalLm}s with a key/value
 * cache), or a TorchScript module (ids (B, T) → logits (B, T, vocab), recomputed over each window) — and the inference
 * primitives continuous batching is built from: {@link #prefill} (a sequence's window into a cache of its own, logits
 * of its last position), {@link #join} / {@link #retain} (sequences enter and leave the running {@link DecodeBatch})
 * and {@link #step} (one new token for every row at once). Scheduling lives in {@code wlm.GenerationEngine}.
 */
public final class GeneratorRuntime implements ModelRuntime {
    private final Parts parts;
    /** The full-pass network (built-in or TorchScript), or null when only the cached path exists. */
    private final Block fullPass;
    /** The network with a key/value cache, or null for a TorchScript module (recomputed each step). */
    private final CausalLm cached;

    /**
     * What a generator is made of. {@code eos}: the tokens that end a sequence (the first also starts an empty prompt
     * unless {@code startToken} is set); {@code slidingWindow}: a sequence reaching {@code maxLength} continues on the
     * newest half of its window (the built-in networks) instead of finishing with "length".
     */
    record Parts(NDManager manager, Block fullPass, CausalLm cached, TextTokenizer tokenizer, StreamDecoder decoder, long[] eos,
            long startToken, int maxLength, int vocab, boolean slidingWindow, ServingProperties.Batching batching,
            JsonObject description, ChatTemplate chat, GenerationDefaults defaults, AutoCloseable owner) {
    }

    GeneratorRuntime(Parts parts) {
        this.parts = parts;
        this.fullPass = parts.fullPass();
        this.cached = parts.cached();
    }

    static GeneratorRuntime load(Path directory, ServingProperties props, ComputeDevice device) {
        LoadedBlock loaded = LoadedBlock.load(directory, props, new DecoderLm(props.spec()), device);
        long[] eos = loaded.tokenizer().encode(props.eosToken());
        if (eos.length != 1) {
            loaded.close();
            throw new ModelDirectoryException(directory + ": eos_token '" + props.eosToken() + "' is not one token of the tokenizer");
        }
        GeneratorRuntime runtime = new GeneratorRuntime(new Parts(loaded.manager(), loaded.block(),
                loaded.block() instanceof DecoderLm d ? new BuiltInCausalLm(d) : null, loaded.tokenizer(),
                StreamDecoder.of(directory.resolve(props.tokenizerFile()), loaded.tokenizer()), eos, eos[0], props.spec().maxLength(),
                props.spec().vocabSize(), true, props.batching(), loaded.describe(props), props.chatTemplate().orElse(null),
                GenerationDefaults.NONE, loaded));
        try {
            float[] probe = runtime.logits(new long[] {eos[0]});
            if (probe.length != props.spec().vocabSize()) {
                throw new ModelDirectoryException(directory + ": the network scores " + probe.length + " tokens but vocab_size is "
                        + props.spec().vocabSize());
            }
        } catch (RuntimeException e) {
            runtime.close();
            throw e instanceof ModelDirectoryException ? e
                    : new ModelDirectoryException(directory + ": the network does not run: " + e.getMessage(), e);
        }
        return runtime;
    }

    /** Next-token logits after {@code window} by a full forward pass (the reference path), or by a prefill. */
    public float[] logits(long[] window) {
        if (fullPass == null) {
            try (KvCache cache = newCache()) {
                return prefill(cache, window);
            }
        }
        try (NDManager m = parts.manager().newSubManager()) {
            NDArray out = fullPass.forward(new ParameterStore(m, false),
                    new NDList(m.create(window, new Shape(1, window.length))), false).singletonOrThrow();
            return out.get(new NDIndex("0, -1, :")).toFloatArray();
        }
    }

    @Override
    public String task() {
        return ServingProperties.GENERATION;
    }

    @Override
    public ServingProperties.Batching batching() {
        return parts.batching();
    }

    @Override
    public io.vertx.core.json.JsonObject describe() {
        return parts.description().copy();
    }

    @Override
    public int countTokens(String text) {
        return parts.tokenizer().encode(text).length;
    }

    public TextTokenizer tokenizer() {
        return parts.tokenizer();
    }

    /** Incremental detokenisation for this version's tokenizer. */
    public StreamDecoder streamDecoder() {
        return parts.decoder();
    }

    /** The version's chat template, if it has one. */
    public Optional<ChatTemplate> chatTemplate() {
        return Optional.ofNullable(parts.chat());
    }

    /** Sampling defaults the checkpoint ships ({@code generation_config.json}). */
    public GenerationDefaults defaults() {
        return parts.defaults();
    }

    /** True if {@code token} ends a sequence. */
    public boolean isEos(long token) {
        for (long e : parts.eos()) {
            if (e == token) {
                return true;
            }
        }
        return false;
    }

    /** What an empty prompt starts from (the beginning-of-sequence token, or the end-of-sequence one). */
    public long startToken() {
        return parts.startToken();
    }

    public int vocabSize() {
        return parts.vocab();
    }

    /** The longest window the model attends over. */
    public int maxLength() {
        return parts.maxLength();
    }

    /** True if a sequence at {@link #maxLength} continues on the newest half of its window; false: it ends ("length"). */
    public boolean slidesWindow() {
        return parts.slidingWindow();
    }

    /** The LoRA adapters this model can hold, or null (GPT-2, the built-in networks, TorchScript). */
    public io.lmaas.worker.hf.lora.AdapterBank adapters() {
        return cached == null ? null : cached.adapters();
    }

    public KvCache newCache() {
        return new KvCache(parts.manager().newSubManager(), cached == null ? 0 : cached.layers());
    }

    /** Fills {@code cache} with {@code window} (positions 0..n-1; replaces what it held); returns the last position's logits. */
    public float[] prefill(KvCache cache, long[] window) {
        return prefill(cache, window, 0);
    }

    /** The same with the LoRA adapter in {@code adapter} (a slot of {@link #adapters()}; 0: the bare model). */
    public float[] prefill(KvCache cache, long[] window, int adapter) {
        return NoGradients.run(() -> unrecordedPrefill(cache, window, adapter));
    }

    private float[] unrecordedPrefill(KvCache cache, long[] window, int adapter) {
        if (adapter != 0 && (cached == null || cached.adapters() == null)) {
            throw new IllegalArgumentException("this model serves no adapters");
        }
        int n = window.length;
        if (n == 0 || n > maxLength()) {
            throw new IllegalArgumentException("window of " + n + " tokens; the model takes 1 to " + maxLength());
        }
        if (cached == null) {
            cache.tokens = window.clone();
            cache.length = n;
            return logits(window);
        }
        try (NDManager m = parts.manager().newSubManager()) {
            NDArray ids = m.create(window, new Shape(1, n));
            long[] at = new long[n];
            float[] causal = new float[n * n];
            for (int i = 0; i < n; i++) {
                at[i] = i;
                java.util.Arrays.fill(causal, i * n + i + 1, (i + 1) * n, -1e9f);
            }
            // Built in Java and copied once: fewer native calls than composing them from aranges.
            NDArray positions = m.create(at, new Shape(1, n));
            NDArray mask = m.create(causal, new Shape(1, 1, n, n));
            NDList r = cached.prefill(m, ids, positions, mask, adapter);
            for (int i = 0; i < cache.keys.length; i++) {
                cache.set(i, r.get(1 + 2 * i).squeeze(0), r.get(2 + 2 * i).squeeze(0));
            }
            cache.length = n;
            cache.adapter = adapter;
            return r.get(0).toFloatArray();
        }
    }

    public DecodeBatch newBatch() {
        return new DecodeBatch(parts.manager().newSubManager(), maxLength());
    }

    /** Moves a prefilled sequence into the batch as its last row (the cache is emptied). */
    public void join(DecodeBatch batch, KvCache cache) {
        try (cache) {
            if (cached == null) {
                int rows = batch.rows();
                batch.windows = java.util.Arrays.copyOf(batch.windows, rows + 1);
                batch.windows[rows] = java.util.Arrays.copyOf(cache.tokens, cache.length);
                batch.pad = new int[rows + 1];
            } else {
                batch.append(cache);
            }
        }
    }

    /**
     * Keeps only the given rows: new row i is old row {@code rows[i]} (ascending, or holes filled from the
     * tail as {@link #fillFromTail} orders them: the fewest copies).
     */
    public void retain(DecodeBatch batch, int[] rows) {
        if (cached == null) {
            long[][] windows = new long[rows.length][];
            for (int i = 0; i < rows.length; i++) {
                windows[i] = batch.windows[rows[i]];
            }
            batch.windows = windows;
            batch.pad = new int[rows.length];
        } else {
            batch.keep(rows);
        }
    }

    /** The order {@link #retain} moves least for: kept rows stay put, holes take kept rows from beyond the new size. */
    public static int[] fillFromTail(int[] keepAscending) {
        int size = keepAscending.length;
        int[] order = new int[size];
        boolean[] kept = new boolean[size];
        int tail = 0;
        for (int r : keepAscending) {
            if (r < size) {
                kept[r] = true;
            } else {
                tail++;
            }
        }
        int next = size - tail;
        for (int p = 0; p < size; p++) {
            order[p] = kept[p] ? p : keepAscending[next++];
        }
        return order;
    }

    /**
     * Feeds one token to each row (at its own next position), writing its key and value in place at
     * column {@code length}. Returns each row's next-token logits.
     */
    public float[][] step(DecodeBatch batch, long[] tokens) {
        return NoGradients.run(() -> unrecordedStep(batch, tokens));
    }

    private float[][] unrecordedStep(DecodeBatch batch, long[] tokens) {
        int rows = batch.rows();
        if (cached == null) {
            float[][] out = new float[rows][];
            for (int b = 0; b < rows; b++) {
                long[] w = java.util.Arrays.copyOf(batch.windows[b], batch.windows[b].length + 1);
                w[w.length - 1] = tokens[b];
                batch.windows[b] = w;
                out[b] = logits(w);
            }
            return out;
        }
        batch.ensureColumn();
        try (NDManager m = batch.manager.newSubManager()) {
            long[] positions = new long[rows];
            float[] mask = new float[rows * (batch.length + 1)];
            for (int b = 0; b < rows; b++) {
                positions[b] = batch.length - batch.pad[b];
                for (int j = 0; j < batch.pad[b]; j++) {
                    mask[b * (batch.length + 1) + j] = -1e9f;
                }
            }
            NDArray logits = cached.step(m, m.create(tokens, new Shape(rows, 1)),
                    m.create(positions, new Shape(rows, 1)), m.create(mask, new Shape(rows, 1, 1, batch.length + 1)),
                    batch.keys(m), batch.values(m), batch.length, batch.adapters);
            batch.length++;
            float[] all = logits.toFloatArray();
            int vocab = all.length / rows;
            float[][] out = new float[rows][];
            for (int b = 0; b < rows; b++) {
                out[b] = java.util.Arrays.copyOfRange(all, b * vocab, (b + 1) * vocab);
            }
            return out;
        }
    }

    @Override
    public void close() {
        try {
            parts.owner().close();
        } catch (Exception e) {
            // closing native memory does not fail in practice; nothing to recover
        }
    }
}
