package io.lmaas.worker.hf.encoder;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import io.lmaas.worker.hf.ScriptModule;
import io.lmaas.worker.hf.encoder.EncoderLayers.Layer;
import io.lmaas.worker.hf.encoder.EncoderLayers.Linear;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A BERT-family layer's inference pass on CPU as one call into libtorch ({@code encoder_layer.py}, beside this class):
 * <ul>
 *   <li>the linear layers through oneDNN with weights packed once for it ({@code mkldnn::_linear_pointwise}), the bias
 *       and the activation (GELU, exact or tanh; ReLU) or the residual add computed in the same pass over the output;</li>
 *   <li>self-attention as {@code scaled_dot_product_attention}, a fused kernel that never writes the score matrix, its
 *       softmax or the heads' permuted copies to memory;</li>
 *   <li>LayerNorm as libtorch's own kernel.</li>
 * </ul>
 * The arithmetic is the one {@link EncoderLayers} computes op by op (tested equal, within float rounding, against the
 * Hugging Face reference and ONNX Runtime); eager DJL ops cannot fuse, and the element-wise passes and weight packing
 * per call were the part of the forward pass ONNX Runtime did not pay (docs/benchmarks.md). Inference only: training,
 * adapters and gradients (integrated gradients) take {@link EncoderLayers}. The packed weights are a second copy of the
 * layers' linear weights (~40 MB for a 22M-parameter model): the op-by-op path keeps the originals.
 * {@code -Dlmaas.encoder.kernel=false} turns it off.
 */
final class EncoderKernel {
    private static final Logger LOG = LoggerFactory.getLogger(EncoderKernel.class);
    /** The pass size the packed layout is chosen for; other sizes run on it too. */
    private static final int TYPICAL_ROWS = 512;
    /** How far the packed and dense layers may differ, relative to the largest value (float rounding is ~1e-6). */
    private static final double AGREEMENT = 1e-4;

    private final ScriptModule module;
    private final List<List<NDArray>> weights;
    private final int heads;
    private final double eps;
    private final String activation;
    private final String algorithm;
    /** Layers run through the kernel so far (where it applies is decided per pass: tests and benchmarks read it). */
    private final LongAdder calls = new LongAdder();

    private EncoderKernel(ScriptModule module, List<List<NDArray>> weights, EncoderConfig config, String activation, String algorithm) {
        this.module = module;
        this.weights = weights;
        this.heads = config.heads();
        this.eps = config.eps();
        this.activation = activation;
        this.algorithm = algorithm;
    }

    /**
     * The kernel for {@code layers} (query, key and value fused as {@code fusedQkv}), its packed weights in
     * {@code manager}; null where it does not apply (not on CPU, turned off, or this libtorch lacks an op it calls:
     * the layers then run op by op).
     */
    static EncoderKernel pack(EncoderConfig config, List<Layer> layers, List<Linear> fusedQkv, NDManager manager) {
        if (!Boolean.parseBoolean(System.getProperty("lmaas.encoder.kernel", "true"))
                || !Device.Type.CPU.equals(manager.getDevice().getDeviceType())) {
            return null;
        }
        String activation = switch (config.activation()) {
            case "relu" -> "relu";
            case "gelu", "gelu_new", "gelu_pytorch_tanh" -> "gelu";
            default -> null;
        };
        if (activation == null) {
            return null;
        }
        String algorithm = "gelu".equals(config.activation()) ? "none" : "tanh"; // exact (erf) GELU, or its tanh form
        try {
            ScriptModule module = Holder.module();
            List<List<NDArray>> packed = new ArrayList<>();
            List<List<NDArray>> dense = new ArrayList<>();
            List<NDArray> copies = new ArrayList<>(); // the packed weights alone: what falling back frees
            UnaryOperator<NDArray> pack = w -> {
                NDArray p = packed(module, w, manager);
                copies.add(p);
                return p;
            };
            for (int i = 0; i < layers.size(); i++) {
                packed.add(weights(layers.get(i), fusedQkv.get(i), pack));
                dense.add(weights(layers.get(i), fusedQkv.get(i), w -> w));
            }
            EncoderKernel kernel = new EncoderKernel(module, packed, config, activation, algorithm);
            EncoderKernel unpacked = new EncoderKernel(module, dense, config, activation, algorithm);
            double gap = kernel.gap(unpacked, config.hidden(), manager);
            if (gap <= AGREEMENT) {
                return kernel;
            }
            LOG.warn("the encoder's fused layer disagrees with itself on this CPU when its weights are packed for oneDNN"
                    + " (relative gap {}): it runs on the weights as they are, which oneDNN reorders on each call", gap);
            copies.forEach(NDArray::close);
            return unpacked;
        } catch (IOException | RuntimeException e) {
            LOG.warn("the encoder's fused layer kernel is unavailable, its layers run op by op: {}", e.toString());
            return null;
        }
    }

    /**
     * Whether this thread records gradients (a gradient collector is open: integrated gradients, training). The kernel's
     * output has no gradient function, so it applies only when this is false.
     */
    static boolean recordingGradients() {
        return JniUtils.isGradMode();
    }

    /** Layer {@code i} on {@code x} ({@code [batch, longest, hidden]}); {@code mask}: additive, or null without padding. */
    NDArray forward(int i, NDArray x, NDArray mask) {
        calls.increment();
        return run(i, x, mask);
    }

    private NDArray run(int i, NDArray x, NDArray mask) {
        return mask == null
                ? module.run("forward", x.getManager(), x, weights.get(i), heads, eps, activation, algorithm)
                : module.run("masked", x.getManager(), x, weights.get(i), heads, eps, activation, algorithm, mask);
    }

    long calls() {
        return calls.sum();
    }

    /** A layer's twelve tensors in the order the script takes them, the four linear weights through {@code linear}. */
    private static List<NDArray> weights(Layer l, Linear qkv, UnaryOperator<NDArray> linear) {
        return List.of(linear.apply(qkv.weight()), qkv.bias(), linear.apply(l.out().weight()), l.out().bias(),
                l.attentionNorm().gamma(), l.attentionNorm().beta(), linear.apply(l.up().weight()), l.up().bias(),
                linear.apply(l.down().weight()), l.down().bias(), l.outputNorm().gamma(), l.outputNorm().beta());
    }

    /**
     * The largest gap between this kernel's first layer and {@code other}'s on two probes (a padded batch of two, one
     * input of 33 tokens), relative to the largest value. oneDNN's packed weights are not always what its kernels for
     * other pass sizes expect: on one AVX-512 machine the packed layers answered values 0.05-0.4 away from the dense ones
     * (and from the Hugging Face reference), while the dense weights in the same script matched it within 1e-4.
     */
    private double gap(EncoderKernel other, int hidden, NDManager manager) {
        try (NDManager probe = manager.newSubManager()) {
            NDArray padded = probe.randomNormal(new Shape(2, 7, hidden));
            float[] additive = new float[14];
            for (int t = 11; t < 14; t++) {
                additive[t] = -10000f;
            }
            NDArray mask = probe.create(additive, new Shape(2, 1, 1, 7));
            NDArray alone = probe.randomNormal(new Shape(1, 33, hidden));
            return Math.max(relativeGap(run(0, padded, mask), other.run(0, padded, mask)),
                    relativeGap(run(0, alone, null), other.run(0, alone, null)));
        }
    }

    private static double relativeGap(NDArray a, NDArray b) {
        double scale = Math.max(1e-6, b.abs().max().getFloat());
        return a.sub(b).abs().max().getFloat() / scale;
    }

    private static NDArray packed(ScriptModule module, NDArray weight, NDManager manager) {
        return module.run("pack", manager, weight, TYPICAL_ROWS);
    }

    /** Compiled once per process, on first use, in a manager of its own (it lives as long as the process). */
    private static final class Holder {
        private static ScriptModule module;
        private static NDManager manager;

        static synchronized ScriptModule module() throws IOException {
            if (module == null) {
                if (manager == null) {
                    manager = NDManager.newBaseManager("PyTorch");
                }
                module = ScriptModule.load(EncoderKernel.class, "encoder_layer.py", "EncoderLayer", manager);
            }
            return module;
        }
    }
}
