package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.nn.DecoderLm;
import io.lmaas.worker.tokenizer.StreamDecoder;
import io.lmaas.worker.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.List;

/**
 * A loaded generator — the built-in {@link DecoderLm}, or a TorchScript module with the same contract
 * (ids (B, T) → logits (B, T, vocab)) — and the inference primitives continuous batching is built from:
 * {@link #prefill} (a sequence's window into a cache of its own, logits of its last position),
 * {@link #join} / {@link #retain} (sequences enter and leave the running {@link DecodeBatch}) and
 * {@link #step} (one new token for every row at once). Scheduling lives in {@code wlm.GenerationEngine}.
 * The built-in network keeps keys and values; a TorchScript module is recomputed over each window.
 */
public final class GeneratorRuntime implements ModelRuntime {
    private final ServingProperties props;
    private final LoadedBlock loaded;
    /** The built-in network (with a key/value cache), or null for a TorchScript module (recomputed each step). */
    private final DecoderLm cached;
    private final long eosId;
    private final StreamDecoder decoder;

    private GeneratorRuntime(ServingProperties props, LoadedBlock loaded, long eosId, StreamDecoder decoder) {
        this.props = props;
        this.loaded = loaded;
        this.decoder = decoder;
        this.cached = loaded.block() instanceof DecoderLm d ? d : null;
        this.eosId = eosId;
    }

    static GeneratorRuntime load(Path directory, ServingProperties props) {
        LoadedBlock loaded = LoadedBlock.load(directory, props, new DecoderLm(props.spec()));
        long[] eos = loaded.tokenizer().encode(props.eosToken());
        if (eos.length != 1) {
            loaded.close();
            throw new ModelDirectoryException(directory + ": eos_token '" + props.eosToken() + "' is not one token of the tokenizer");
        }
        GeneratorRuntime runtime = new GeneratorRuntime(props, loaded, eos[0],
                StreamDecoder.of(directory.resolve(props.tokenizerFile()), loaded.tokenizer()));
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

    /** Next-token logits after {@code window} by a full forward pass (no cache): the reference path. */
    public float[] logits(long[] window) {
        try (NDManager m = loaded.manager().newSubManager()) {
            NDArray out = loaded.block().forward(new ParameterStore(m, false),
                    new NDList(m.create(window, new Shape(1, window.length))), false).singletonOrThrow();
            return out.get(new NDIndex("0, -1, :")).toFloatArray();
        }
    }

    @Override
    public ServingProperties properties() {
        return props;
    }

    @Override
    public int countTokens(String text) {
        return loaded.tokenizer().encode(text).length;
    }

    public TextTokenizer tokenizer() {
        return loaded.tokenizer();
    }

    /** Incremental detokenisation for this version's tokenizer. */
    public StreamDecoder streamDecoder() {
        return decoder;
    }

    public long eosId() {
        return eosId;
    }

    /** The longest window the model attends over (its learned positions). */
    public int maxLength() {
        return props.spec().maxLength();
    }

    public KvCache newCache() {
        return new KvCache(loaded.manager().newSubManager(), cached == null ? 0 : cached.layers());
    }

    /** Fills {@code cache} with {@code window} (positions 0..n-1; replaces what it held); returns the last position's logits. */
    public float[] prefill(KvCache cache, long[] window) {
        int n = window.length;
        if (n == 0 || n > maxLength()) {
            throw new IllegalArgumentException("window of " + n + " tokens; the model takes 1 to " + maxLength());
        }
        if (cached == null) {
            cache.tokens = window.clone();
            cache.length = n;
            return logits(window);
        }
        try (NDManager m = loaded.manager().newSubManager()) {
            NDArray ids = m.create(window, new Shape(1, n));
            NDArray positions = m.arange(0, n, 1, DataType.INT64).reshape(1, n);
            NDArray mask = m.arange(0, n, 1, DataType.INT64).reshape(1, n).gt(m.arange(0, n, 1, DataType.INT64).reshape(n, 1))
                    .toType(DataType.FLOAT32, false).mul(-1e9f).reshape(1, 1, n, n);
            NDList r = cached.forwardCached(new ParameterStore(m, false), ids, positions, mask, null, null);
            for (int i = 0; i < cache.keys.length; i++) {
                cache.set(i, r.get(1 + 2 * i).squeeze(0), r.get(2 + 2 * i).squeeze(0));
            }
            cache.length = n;
            return r.get(0).get(new NDIndex("0, -1, :")).toFloatArray();
        }
    }

    public DecodeBatch newBatch() {
        return new DecodeBatch(loaded.manager().newSubManager());
    }

    /** Moves a prefilled sequence into the batch as its last row (the cache is emptied). */
    public void join(DecodeBatch batch, KvCache cache) {
        int rows = batch.rows();
        int[] pad = java.util.Arrays.copyOf(batch.pad, rows + 1);
        if (cached == null) {
            batch.windows = java.util.Arrays.copyOf(batch.windows, rows + 1);
            batch.windows[rows] = java.util.Arrays.copyOf(cache.tokens, cache.length);
            batch.pad = pad;
            cache.close();
            return;
        }
        int layers = cache.keys.length;
        if (batch.keys == null || rows == 0) {
            batch.keys = new NDArray[layers];
            batch.values = new NDArray[layers];
            for (int l = 0; l < layers; l++) {
                batch.replace(batch.keys, l, own(batch.manager, cache.keys[l].expandDims(0)));
                batch.replace(batch.values, l, own(batch.manager, cache.values[l].expandDims(0)));
            }
            batch.length = cache.length;
            batch.pad = new int[] {0};
            cache.close();
            return;
        }
        int longest = Math.max(batch.length, cache.length);
        for (int l = 0; l < layers; l++) {
            NDArray k = leftPad(batch.manager, batch.keys[l], longest - batch.length);
            NDArray v = leftPad(batch.manager, batch.values[l], longest - batch.length);
            NDArray nk = leftPad(batch.manager, cache.keys[l].expandDims(0), longest - cache.length);
            NDArray nv = leftPad(batch.manager, cache.values[l].expandDims(0), longest - cache.length);
            batch.replace(batch.keys, l, own(batch.manager, k.concat(nk, 0)));
            batch.replace(batch.values, l, own(batch.manager, v.concat(nv, 0)));
        }
        for (int i = 0; i < rows; i++) {
            pad[i] += longest - batch.length;
        }
        pad[rows] = longest - cache.length;
        batch.pad = pad;
        batch.length = longest;
        cache.close();
    }

    /** Keeps only the given rows, in that order, and drops padding no row needs any more. */
    public void retain(DecodeBatch batch, int[] rows) {
        int[] pad = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            pad[i] = batch.pad[rows[i]];
        }
        if (cached == null) {
            long[][] windows = new long[rows.length][];
            for (int i = 0; i < rows.length; i++) {
                windows[i] = batch.windows[rows[i]];
            }
            batch.windows = windows;
            batch.pad = pad;
            return;
        }
        if (rows.length == 0) {
            for (int l = 0; l < batch.keys.length; l++) {
                batch.replace(batch.keys, l, null);
                batch.replace(batch.values, l, null);
            }
            batch.pad = pad;
            batch.length = 0;
            return;
        }
        int drop = java.util.Arrays.stream(pad).min().orElse(0);
        long[] index = java.util.Arrays.stream(rows).asLongStream().toArray();
        try (NDManager m = batch.manager.newSubManager()) {
            NDArray idx = m.create(index);
            for (int l = 0; l < batch.keys.length; l++) {
                NDArray k = batch.keys[l].get(new NDIndex("{}, :, " + drop + ":, :", idx));
                NDArray v = batch.values[l].get(new NDIndex("{}, :, " + drop + ":, :", idx));
                batch.replace(batch.keys, l, own(batch.manager, k));
                batch.replace(batch.values, l, own(batch.manager, v));
            }
        }
        for (int i = 0; i < pad.length; i++) {
            pad[i] -= drop;
        }
        batch.pad = pad;
        batch.length -= drop;
    }

    /**
     * Feeds one token to each row (at its own next position) and appends it to the cache. Returns each
     * row's next-token logits.
     */
    public float[][] step(DecodeBatch batch, long[] tokens) {
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
        int layers = batch.keys.length;
        try (NDManager m = batch.manager.newSubManager()) {
            long[] positions = new long[rows];
            float[] mask = new float[rows * (batch.length + 1)];
            for (int b = 0; b < rows; b++) {
                positions[b] = batch.length - batch.pad[b];
                if (positions[b] >= maxLength()) {
                    throw new IllegalStateException("row " + b + " is full; re-prefill its window first");
                }
                for (int j = 0; j < batch.pad[b]; j++) {
                    mask[b * (batch.length + 1) + j] = -1e9f;
                }
            }
            NDList r = cached.forwardCached(new ParameterStore(m, false), m.create(tokens, new Shape(rows, 1)),
                    m.create(positions, new Shape(rows, 1)), m.create(mask, new Shape(rows, 1, 1, batch.length + 1)),
                    new NDList(batch.keys), new NDList(batch.values));
            for (int l = 0; l < layers; l++) {
                batch.replace(batch.keys, l, own(batch.manager, batch.keys[l].concat(r.get(1 + 2 * l), 2)));
                batch.replace(batch.values, l, own(batch.manager, batch.values[l].concat(r.get(2 + 2 * l), 2)));
            }
            batch.length++;
            float[] all = r.get(0).toFloatArray();
            int vocab = all.length / rows;
            float[][] out = new float[rows][];
            for (int b = 0; b < rows; b++) {
                out[b] = java.util.Arrays.copyOfRange(all, b * vocab, (b + 1) * vocab);
            }
            return out;
        }
    }

    /** {@code a} with {@code n} zero positions in front (axis 2); {@code a} itself when n is 0. */
    private static NDArray leftPad(NDManager m, NDArray a, int n) {
        if (n == 0) {
            return a;
        }
        Shape s = a.getShape();
        return m.zeros(new Shape(s.get(0), s.get(1), n, s.get(3))).concat(a, 2);
    }

    private static NDArray own(NDManager m, NDArray a) {
        a.attach(m);
        return a;
    }

    @Override
    public void close() {
        loaded.close();
    }
}
