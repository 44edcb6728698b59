package io.lmaas.worker.hf.encoder;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.lmaas.worker.hf.ScriptModule;
import io.lmaas.worker.hf.encoder.EncoderLayers.Layer;
import io.lmaas.worker.hf.encoder.EncoderLayers.Linear;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
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
            List<List<NDArray>> weights = new ArrayList<>();
            for (int i = 0; i < layers.size(); i++) {
                Layer l = layers.get(i);
                weights.add(List.of(packed(module, fusedQkv.get(i).weight(), manager), fusedQkv.get(i).bias(),
                        packed(module, l.out().weight(), manager), l.out().bias(), l.attentionNorm().gamma(), l.attentionNorm().beta(),
                        packed(module, l.up().weight(), manager), l.up().bias(), packed(module, l.down().weight(), manager), l.down().bias(),
                        l.outputNorm().gamma(), l.outputNorm().beta()));
            }
            return new EncoderKernel(module, weights, config, activation, algorithm);
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
        return mask == null
                ? module.run("forward", x.getManager(), x, weights.get(i), heads, eps, activation, algorithm)
                : module.run("masked", x.getManager(), x, weights.get(i), heads, eps, activation, algorithm, mask);
    }

    long calls() {
        return calls.sum();
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
