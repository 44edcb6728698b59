package io.lmaas.worker.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import io.lmaas.worker.modeldir.ModelDirectoryException;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.nn.DecoderLm;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * Serves a {@link DecoderLm}: autoregressive decoding over a sliding context window, greedy at
 * temperature 0, otherwise sampling from the temperature-scaled softmax with a seeded generator.
 */
public final class GeneratorRuntime implements ModelRuntime {
    private final ServingProperties props;
    private final LoadedBlock<DecoderLm> loaded;
    private final long eosId;

    private GeneratorRuntime(ServingProperties props, LoadedBlock<DecoderLm> loaded, long eosId) {
        this.props = props;
        this.loaded = loaded;
        this.eosId = eosId;
    }

    static GeneratorRuntime load(Path directory, ServingProperties props) {
        LoadedBlock<DecoderLm> loaded = LoadedBlock.load(directory, props, new DecoderLm(props.spec()));
        long[] eos = loaded.tokenizer().encode(props.eosToken());
        if (eos.length != 1) {
            loaded.close();
            throw new ModelDirectoryException(directory + ": eos_token '" + props.eosToken() + "' is not one token of the tokenizer");
        }
        return new GeneratorRuntime(props, loaded, eos[0]);
    }

    @Override
    public ServingProperties properties() {
        return props;
    }

    @Override
    public int countTokens(String text) {
        return loaded.tokenizer().encode(text).length;
    }

    /** Hears a generation as it happens (streaming). Called on the generating thread. */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        /** The prompt is tokenised; generation starts. */
        default void started(int promptTokens) {
        }

        /** New text, and how many generated tokens it covers (text is held back while it ends mid-character). */
        default void delta(String text, int tokens) {
        }
    }

    public Generation generate(GenerationRequest request) {
        return generate(request, Listener.NONE, () -> false);
    }

    /**
     * Generates, telling {@code listener} of each piece of text as soon as it is complete UTF-8; stops at
     * the next step once {@code cancelled} answers true (finish reason {@code cancelled}).
     */
    public Generation generate(GenerationRequest request, Listener listener, BooleanSupplier cancelled) {
        long[] prompt = loaded.tokenizer().encode(request.prompt());
        listener.started(prompt.length);
        // An empty prompt starts from end-of-text, as a document boundary.
        long[] context = prompt.length == 0 ? new long[] {eosId} : prompt;
        int window = props.spec().maxLength();
        long[] tokens = Arrays.copyOf(context, context.length + request.maxTokens());
        int length = context.length;
        SplittableRandom random = new SplittableRandom(request.seed());
        String finish = "length";
        int generated = 0;
        int emittedChars = 0;
        int pendingTokens = 0;
        while (generated < request.maxTokens()) {
            if (cancelled.getAsBoolean()) {
                finish = "cancelled";
                break;
            }
            int from = Math.max(0, length - window);
            float[] logits = lastLogits(Arrays.copyOfRange(tokens, from, length));
            long next = request.temperature() == 0 ? argmax(logits) : sample(logits, request.temperature(), random);
            if (next == eosId) {
                finish = "stop";
                break;
            }
            tokens[length++] = next;
            generated++;
            pendingTokens++;
            String sofar = loaded.tokenizer().decode(Arrays.copyOfRange(tokens, context.length, length));
            if (!sofar.endsWith("\uFFFD") && sofar.length() > emittedChars) {
                listener.delta(sofar.substring(emittedChars), pendingTokens);
                emittedChars = sofar.length();
                pendingTokens = 0;
            }
        }
        String text = loaded.tokenizer().decode(Arrays.copyOfRange(tokens, context.length, length));
        if (text.length() > emittedChars || pendingTokens > 0) {
            listener.delta(text.substring(Math.min(emittedChars, text.length())), pendingTokens);
        }
        return new Generation(text, finish, prompt.length, generated);
    }

    private float[] lastLogits(long[] window) {
        try (NDManager request = loaded.manager().newSubManager()) {
            NDArray ids = request.create(window, new Shape(1, window.length));
            NDArray logits = loaded.block().forward(new ParameterStore(request, false), new NDList(ids), false)
                    .singletonOrThrow();
            return logits.get(new NDIndex("0, -1, :")).toFloatArray();
        }
    }

    private static long argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    static long sample(float[] logits, double temperature, SplittableRandom random) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] weights = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            weights[i] = Math.exp((logits[i] - max) / temperature);
            total += weights[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            r -= weights[i];
            if (r <= 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    @Override
    public void close() {
        loaded.close();
    }
}
