package io.lmaas.worker.hf;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.lmaas.worker.hf.encoder.BertFamilyEncoder;
import io.lmaas.worker.hf.encoder.EncoderConfig;
import io.lmaas.worker.hf.encoder.SentencePooling;
import io.lmaas.worker.hf.onnx.OnnxEncoderImport;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real checkpoints against an independent reference: two sentence-embedding models (their ONNX exports and tokenizers
 * as langchain4j ships them on Maven Central) are converted to Hugging Face directories by LMaaS's importer and run
 * by LMaaS's encoder; ONNX Runtime runs the original ONNX files. Token states and pooled embeddings agree within 1e-4
 * per dimension over 200+ sentences — English, Chinese, mixed, emoji, and inputs at the model's maximum length — in
 * batches of mixed lengths.
 */
class RealEncoderFidelityTest {
    private static final float TOLERANCE = 1e-4f;

    @Test
    void allMiniLmL6V2MatchesOnnxRuntime(@TempDir Path tmp) throws Exception {
        check(tmp, "all-minilm-l6-v2", new OnnxEncoderImport.Pooling("mean", true), SentencePooling.Mode.MEAN);
    }

    @Test
    void bgeSmallZhV15MatchesOnnxRuntime(@TempDir Path tmp) throws Exception {
        check(tmp, "bge-small-zh-v1.5", new OnnxEncoderImport.Pooling("cls", true), SentencePooling.Mode.CLS);
    }

    private static Path resource(Path dir, String name) throws Exception {
        return io.lmaas.worker.testing.HfModels.jarResource(dir, name);
    }

    /** 200+ sentences: English, Chinese, mixed, emoji, and a few long enough to be cut at the model's maximum. */
    static List<String> sentences() {
        String[] en = {"the striker scored a late goal", "heavy rain flooded the harbor overnight", "the central bank cut rates",
                "a new chip doubles battery life", "how do I reset my password?", "Stocks fell sharply on Tuesday."};
        String[] zh = {"央行宣布降息", "今天的天气非常好", "这部手机的电池续航很长", "球队在最后一分钟进球", "股市周二大幅下跌",
                "我想学习机器学习"};
        String[] extra = {"🙂", "🚀🚀", "naïve café", "résumé", "😀 great news", "2024-11-30", "C++ & Java"};
        Random r = new Random(7);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 210; i++) {
            StringBuilder s = new StringBuilder();
            int parts = 1 + r.nextInt(4);
            for (int p = 0; p < parts; p++) {
                switch ((i + p) % 3) {
                    case 0 -> s.append(en[r.nextInt(en.length)]);
                    case 1 -> s.append(zh[r.nextInt(zh.length)]);
                    default -> s.append(extra[r.nextInt(extra.length)]);
                }
                s.append(p % 2 == 0 ? " " : "，");
            }
            out.add(s.toString().strip());
        }
        for (int i = 0; i < 6; i++) { // cut at the model's maximum length by the tokenizer
            out.add((i % 2 == 0 ? "the striker scored a late goal and " : "今天的天气非常好，").repeat(200));
        }
        return out;
    }

    private static void check(Path tmp, String name, OnnxEncoderImport.Pooling pooling, SentencePooling.Mode mode) throws Exception {
        Path onnx = resource(tmp, name + ".onnx");
        Path tokenizerJson = resource(tmp, name + "-tokenizer.json");
        Path hf = tmp.resolve("hf");
        OnnxEncoderImport.convert(onnx, tokenizerJson, pooling, hf);
        EncoderConfig config = EncoderConfig.parse(new JsonObject(Files.readString(hf.resolve("config.json"))));
        SentencePooling sentencePooling = SentencePooling.read(hf);
        assertThat(sentencePooling).isEqualTo(new SentencePooling(mode, true));

        List<String> sentences = sentences();
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(hf.resolve("tokenizer.json"))
                .optTruncation(true).optMaxLength(config.maxTokens()).optPadding(false).build();
                NDManager manager = NDManager.newBaseManager("PyTorch");
                OrtEnvironment env = OrtEnvironment.getEnvironment();
                OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
            BertFamilyEncoder encoder = new BertFamilyEncoder(config, HfWeights.load(hf, manager), manager);
            encoder.fuseForInference(); // what the worker serves (the families' test checks the unfused, training path)
            int checked = 0;
            boolean sawMaximum = false;
            for (int from = 0; from < sentences.size(); from += 16) {
                List<String> batch = sentences.subList(from, Math.min(sentences.size(), from + 16));
                long[][] ids = new long[batch.size()][];
                long[][] types = new long[batch.size()][];
                int[] lengths = new int[batch.size()];
                for (int b = 0; b < batch.size(); b++) {
                    Encoding e = tokenizer.encode(batch.get(b));
                    ids[b] = e.getIds();
                    types[b] = e.getTypeIds();
                    lengths[b] = ids[b].length;
                    sawMaximum |= lengths[b] == config.maxTokens();
                }
                float[][][] reference = onnxStates(env, session, ids, types);
                try (NDManager request = manager.newSubManager()) {
                    NDArray states = encoder.hiddenStates(request, ids, types);
                    float[] ours = states.toFloatArray();
                    float[] pooled = sentencePooling.apply(request, states, lengths).toFloatArray();
                    int longest = (int) states.getShape().get(1);
                    int hidden = config.hidden();
                    for (int b = 0; b < batch.size(); b++) {
                        for (int t = 0; t < lengths[b]; t++) {
                            for (int h = 0; h < hidden; h++) {
                                float expected = reference[b][t][h];
                                float actual = ours[(b * longest + t) * hidden + h];
                                assertThat(Math.abs(actual - expected)).as("%s sentence %d token %d dim %d", name, from + b, t, h)
                                        .isLessThanOrEqualTo(TOLERANCE);
                            }
                        }
                        float[] expectedEmbedding = pool(reference[b], lengths[b], mode);
                        for (int h = 0; h < hidden; h++) {
                            assertThat(Math.abs(pooled[b * hidden + h] - expectedEmbedding[h])).as("%s embedding %d dim %d", name,
                                    from + b, h).isLessThanOrEqualTo(TOLERANCE);
                        }
                        checked++;
                    }
                }
            }
            assertThat(checked).isGreaterThanOrEqualTo(200);
            assertThat(sawMaximum).as("some inputs at the model's maximum length").isTrue();
            encoder.close();
        }
    }

    /** ONNX Runtime's last hidden state for the batch, padded (zeros, mask 0) to the longest. */
    private static float[][][] onnxStates(OrtEnvironment env, OrtSession session, long[][] ids, long[][] types) throws Exception {
        int batch = ids.length;
        int longest = 0;
        for (long[] row : ids) {
            longest = Math.max(longest, row.length);
        }
        long[] flatIds = new long[batch * longest];
        long[] flatMask = new long[batch * longest];
        long[] flatTypes = new long[batch * longest];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < ids[b].length; t++) {
                flatIds[b * longest + t] = ids[b][t];
                flatMask[b * longest + t] = 1;
                flatTypes[b * longest + t] = types[b][t];
            }
        }
        long[] shape = {batch, longest};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(flatIds), shape));
        inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(flatMask), shape));
        if (session.getInputNames().contains("token_type_ids")) {
            inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(flatTypes), shape));
        }
        try (OrtSession.Result result = session.run(inputs)) {
            return (float[][][]) result.get(0).getValue();
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    /** The reference pooling, written plainly: mean over real tokens or the first token, then unit length. */
    private static float[] pool(float[][] states, int length, SentencePooling.Mode mode) {
        int hidden = states[0].length;
        double[] sum = new double[hidden];
        int from = 0;
        int to = mode == SentencePooling.Mode.CLS ? 1 : length;
        for (int t = from; t < to; t++) {
            for (int h = 0; h < hidden; h++) {
                sum[h] += states[t][h];
            }
        }
        double norm = 0;
        for (int h = 0; h < hidden; h++) {
            sum[h] /= (to - from);
            norm += sum[h] * sum[h];
        }
        norm = Math.sqrt(norm);
        float[] out = new float[hidden];
        for (int h = 0; h < hidden; h++) {
            out[h] = (float) (sum[h] / norm);
        }
        return out;
    }
}
