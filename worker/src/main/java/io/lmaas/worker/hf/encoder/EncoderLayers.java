package io.lmaas.worker.hf.encoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import java.util.List;

/**
 * The arithmetic of a BERT-family encoder layer, as Hugging Face's modeling code computes it: linear projections,
 * LayerNorm with the config's epsilon, the config's activation, multi-head self-attention with the additive padding
 * mask, dropout when training. {@link BertFamilyEncoder} holds the tensors and calls it layer by layer.
 */
final class EncoderLayers {
    record Linear(NDArray weight, NDArray bias) {
        NDArray apply(NDArray x) {
            return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
        }
    }

    record Norm(NDArray gamma, NDArray beta) {
    }

    record Layer(Linear q, Linear k, Linear v, Linear out, Norm attentionNorm, Linear up, Linear down, Norm outputNorm) {
    }

    private final EncoderConfig config;

    EncoderLayers(EncoderConfig config) {
        this.config = config;
    }

    /**
     * Layer {@code i}'s forward pass (post-norm: self-attention with the additive mask, then the feed-forward block); its
     * projections gain what {@code deltas} adds. {@code fused}: the query/key/value projections as one matrix, used when
     * nothing is added and nothing trains.
     */
    NDArray forward(int i, Layer layer, Linear fused, NDArray x, NDArray mask, int batch, int longest, boolean training,
            BertFamilyEncoder.Deltas deltas) {
        int heads = config.heads();
        int size = config.headSize();
        float scale = (float) (1.0 / Math.sqrt(size));
        NDArray q;
        NDArray k;
        NDArray v;
        List<String> paths = config.projections();
        if (fused != null && !training && deltas == null) {
            NDArray qkv = fused.apply(x).reshape(batch, longest, 3, heads, size).transpose(2, 0, 3, 1, 4);
            q = qkv.get(0).mul(scale);
            k = qkv.get(1);
            v = qkv.get(2);
        } else {
            // The scale goes on the queries, not on the scores: a tensor a quarter of the size at 128 tokens.
            q = split(project(layer.q(), i, paths.get(0), x, deltas), batch, longest, heads, size).mul(scale);
            k = split(project(layer.k(), i, paths.get(1), x, deltas), batch, longest, heads, size);
            v = split(project(layer.v(), i, paths.get(2), x, deltas), batch, longest, heads, size);
        }
        NDArray raw = q.matMul(k.transpose(0, 1, 3, 2));
        NDArray scores = dropout((mask == null ? raw : raw.add(mask)).softmax(-1), config.dropouts().attention(), training);
        NDArray context = scores.matMul(v).transpose(0, 2, 1, 3).reshape(batch, longest, (long) heads * size);
        NDArray attended = norm(dropout(project(layer.out(), i, paths.get(3), context, deltas), config.dropouts().hidden(), training)
                .add(x), layer.attentionNorm());
        NDArray up = activation(project(layer.up(), i, paths.get(4), attended, deltas));
        return norm(dropout(project(layer.down(), i, paths.get(5), up, deltas), config.dropouts().hidden(), training).add(attended),
                layer.outputNorm());
    }

    /** A projection of layer {@code i}, with what the adapters add to it. */
    private static NDArray project(Linear linear, int i, String path, NDArray x, BertFamilyEncoder.Deltas deltas) {
        NDArray y = linear.apply(x);
        NDArray delta = deltas == null ? null : deltas.delta(i, path, x);
        return delta == null ? y : y.add(delta);
    }

    static NDArray dropout(NDArray x, float rate, boolean training) {
        return training && rate > 0 ? Dropout.dropout(x, rate, true).singletonOrThrow() : x;
    }

    NDArray norm(NDArray x, Norm n) {
        return LayerNorm.layerNorm(x, new Shape(config.hidden()), n.gamma(), n.beta(), config.eps()).singletonOrThrow();
    }

    private NDArray activation(NDArray x) {
        return switch (config.activation()) {
            case "relu" -> Activation.relu(x);
            case "gelu_new", "gelu_pytorch_tanh" -> {
                NDArray inner = x.add(x.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2 / Math.PI));
                yield x.mul(0.5f).mul(inner.tanh().add(1f));
            }
            default -> Activation.gelu(x); // the exact (erf) GELU, as Hugging Face's "gelu"
        };
    }

    private static NDArray split(NDArray x, int batch, int longest, int heads, int size) {
        return x.reshape(batch, longest, heads, size).transpose(0, 2, 1, 3);
    }
}
