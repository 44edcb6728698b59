package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.nn.DecoderLm;
import io.lmaas.worker.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.List;

/**
 * A loaded generator — the built-in {@link DecoderLm}, or a TorchScript module with the same contract
 * (ids (B, T) → logits (B, T, vocab)) — and the two inference primitives continuous batching is built from:
 * {@link #prefill} (a sequence's window into its key/value cache, logits of its last position) and
 * {@link #step} (one new token for each of several sequences at once, on their caches). Scheduling lives
 * in {@code wlm.GenerationEngine}. The built-in network keeps a key/value cache per sequence; a TorchScript
 * module is recomputed over the window at each step.
 */
public final class GeneratorRuntime implements ModelRuntime {
    private final ServingProperties props;
    private final LoadedBlock loaded;
    /** The built-in network (with a key/value cache), or null for a TorchScript module (recomputed each step). */
    private final DecoderLm cached;
    private final long eosId;

    private GeneratorRuntime(ServingProperties props, LoadedBlock loaded, long eosId) {
        this.props = props;
        this.loaded = loaded;
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
        GeneratorRuntime runtime = new GeneratorRuntime(props, loaded, eos[0]);
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

    /**
     * Feeds one token to each sequence (at position {@code cache.length()}) and appends it to the cache.
     * Caches of different lengths are left-padded and masked. Returns each sequence's next-token logits.
     */
    public float[][] step(List<KvCache> caches, long[] tokens) {
        int batch = caches.size();
        int longest = 0;
        for (KvCache c : caches) {
            if (c.length >= maxLength()) {
                throw new IllegalStateException("cache is full; re-prefill the window first");
            }
            longest = Math.max(longest, c.length);
        }
        if (cached == null) {
            float[][] out = new float[batch][];
            for (int b = 0; b < batch; b++) {
                KvCache c = caches.get(b);
                c.tokens = java.util.Arrays.copyOf(c.tokens, c.length + 1);
                c.tokens[c.length++] = tokens[b];
                out[b] = logits(c.tokens);
            }
            return out;
        }
        int layers = caches.get(0).keys.length;
        try (NDManager m = loaded.manager().newSubManager()) {
            long[] positions = new long[batch];
            float[] mask = new float[batch * (longest + 1)];
            for (int b = 0; b < batch; b++) {
                int pad = longest - caches.get(b).length;
                positions[b] = caches.get(b).length;
                for (int j = 0; j < pad; j++) {
                    mask[b * (longest + 1) + j] = -1e9f;
                }
            }
            NDList pastK = new NDList(layers);
            NDList pastV = new NDList(layers);
            for (int l = 0; l < layers; l++) {
                pastK.add(stackPadded(m, caches, l, longest, true));
                pastV.add(stackPadded(m, caches, l, longest, false));
            }
            NDList r = cached.forwardCached(new ParameterStore(m, false), m.create(tokens, new Shape(batch, 1)),
                    m.create(positions, new Shape(batch, 1)), m.create(mask, new Shape(batch, 1, 1, longest + 1)), pastK, pastV);
            for (int b = 0; b < batch; b++) {
                KvCache c = caches.get(b);
                for (int l = 0; l < layers; l++) {
                    c.append(l, r.get(1 + 2 * l).get(b), r.get(2 + 2 * l).get(b));
                }
                c.length++;
            }
            float[] all = r.get(0).toFloatArray();
            int vocab = all.length / batch;
            float[][] out = new float[batch][];
            for (int b = 0; b < batch; b++) {
                out[b] = java.util.Arrays.copyOfRange(all, b * vocab, (b + 1) * vocab);
            }
            return out;
        }
    }

    /** (batch, heads, longest, head size): each sequence's layer cache, zero-padded in front to {@code longest}. */
    private static NDArray stackPadded(NDManager m, List<KvCache> caches, int layer, int longest, boolean keys) {
        NDList rows = new NDList(caches.size());
        for (KvCache c : caches) {
            NDArray a = keys ? c.keys[layer] : c.values[layer];
            int pad = longest - c.length;
            if (pad == 0) {
                rows.add(a);
            } else {
                Shape s = a.getShape();
                rows.add(m.zeros(new Shape(s.get(0), pad, s.get(2))).concat(a, 1));
            }
        }
        NDArray stacked = NDArrays.stack(rows);
        stacked.attach(m);
        return stacked;
    }

    @Override
    public void close() {
        loaded.close();
    }
}
