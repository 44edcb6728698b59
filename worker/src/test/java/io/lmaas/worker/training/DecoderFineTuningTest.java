package io.lmaas.worker.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.worker.hf.lora.LoraAdapter;
import io.lmaas.worker.hf.lora.LoraTrainable;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.runtime.ModelRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning the tiny Llama into a LoRA adapter: the loss falls across epochs, every epoch leaves a PEFT adapter that
 * the worker serves on the base, and served with it the base predicts the training documents better (lower negative
 * log-likelihood, measured through the serving path) than without; a run resumes from its last adapter.
 */
class DecoderFineTuningTest {

    /** Documents with a rule the random base does not know: each word is followed by the next one, counting up. */
    private static List<String> documents(int count, int seed) {
        java.util.Random random = new java.util.Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int start = 10 + random.nextInt(60);
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < 12; w++) {
                sb.append('w').append(start + w).append(' ');
            }
            out.add(sb.toString().strip());
        }
        return out;
    }

    @Test
    void anAdapterTrainsServesAndResumes(@TempDir Path tmp) throws Exception {
        Path base = Path.of(getClass().getResource("/decoder-fixtures/llama/config.json").toURI()).getParent();
        List<String> train = documents(64, 1);
        LoraTrainable.Options options = new LoraTrainable.Options(4, 8, 0f, List.of("q_proj", "v_proj", "o_proj", "up_proj", "down_proj"));
        Recorded first = new Recorded();
        FineTuning.Outcome two = DecoderFineTuning.languageModel(base, null, "tiny-llama", train, documents(8, 2),
                new FineTuning.Plan(0, 2, 8, 1e-2f, 3), options, tmp.resolve("ckpt"), () -> false, first);
        assertThat(two.completed()).isTrue();
        assertThat(first.checkpoints()).extracting(p -> p.getFileName().toString()).containsExactly("epoch-1", "epoch-2");
        assertThat(first.epochs().get(1).trainLoss()).isLessThan(first.epochs().get(0).trainLoss());

        Recorded resumed = new Recorded();
        FineTuning.Outcome three = DecoderFineTuning.languageModel(base, two.lastCheckpoint(), "tiny-llama", train, documents(8, 2),
                new FineTuning.Plan(2, 3, 8, 1e-2f, 3), options, tmp.resolve("ckpt"), () -> false, resumed);
        assertThat(three.completed()).isTrue();
        assertThat(resumed.checkpoints()).extracting(p -> p.getFileName().toString()).containsExactly("epoch-3");

        // Served on the base, the adapter predicts the documents better than the base alone.
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(base)) {
            int slot = runtime.adapters().freeSlot();
            runtime.adapters().put(slot, LoraAdapter.load(three.lastCheckpoint(), runtime.adapters().base()));
            double bare = 0;
            double adapted = 0;
            for (String doc : documents(4, 5)) {
                long[] ids = runtime.tokenizer().encode(doc);
                bare += nll(runtime, ids, 0);
                adapted += nll(runtime, ids, slot);
            }
            assertThat(adapted).as("negative log-likelihood with the adapter vs the bare base").isLessThan(bare * 0.8);
        }
    }

    @Test
    void aFullFineTuneTrainsEveryWeightIntoAModelOfItsOwnAndResumes(@TempDir Path tmp) throws Exception {
        Path base = Path.of(getClass().getResource("/decoder-fixtures/llama/config.json").toURI()).getParent();
        List<String> train = documents(64, 1);
        Recorded first = new Recorded();
        FineTuning.Outcome two = DecoderFineTuning.languageModel(base, null, "tiny-llama", train, documents(8, 2),
                new FineTuning.Plan(0, 2, 8, 3e-3f, 3), null, tmp.resolve("ckpt"), () -> false, first);
        assertThat(two.completed()).isTrue();
        assertThat(first.epochs().get(1).trainLoss()).isLessThan(first.epochs().get(0).trainLoss());
        Path checkpoint = two.lastCheckpoint();
        assertThat(checkpoint.resolve("model.safetensors")).exists();
        assertThat(checkpoint.resolve("config.json")).exists();
        assertThat(checkpoint.resolve("tokenizer.json")).exists();
        assertThat(checkpoint.resolve("adapter_config.json")).doesNotExist();

        Recorded resumed = new Recorded();
        FineTuning.Outcome three = DecoderFineTuning.languageModel(base, checkpoint, "tiny-llama", train, documents(8, 2),
                new FineTuning.Plan(2, 3, 8, 3e-3f, 3), null, tmp.resolve("ckpt"), () -> false, resumed);
        assertThat(three.completed()).isTrue();
        assertThat(resumed.epochs().get(0).trainLoss()).as("resumed from the trained weights, not the base's")
                .isLessThan(first.epochs().get(0).trainLoss());

        // The checkpoint is a model of its own (no adapter): it predicts the documents better than the base.
        try (GeneratorRuntime tuned = (GeneratorRuntime) ModelRuntime.load(three.lastCheckpoint());
                GeneratorRuntime bare = (GeneratorRuntime) ModelRuntime.load(base)) {
            double before = 0;
            double after = 0;
            for (String doc : documents(4, 5)) {
                before += nll(bare, bare.tokenizer().encode(doc), 0);
                after += nll(tuned, tuned.tokenizer().encode(doc), 0);
            }
            assertThat(after).as("negative log-likelihood of the fine-tuned model vs the base").isLessThan(before * 0.8);
        }
    }

    /** Negative log-likelihood of {@code ids} after its first token, through the serving path (prefill of each prefix). */
    private static double nll(GeneratorRuntime runtime, long[] ids, int slot) {
        double sum = 0;
        for (int n = 1; n < ids.length; n++) {
            float[] logits;
            try (KvCache cache = runtime.newCache()) {
                logits = runtime.prefill(cache, java.util.Arrays.copyOf(ids, n), slot);
            }
            double max = Double.NEGATIVE_INFINITY;
            for (float v : logits) {
                max = Math.max(max, v);
            }
            double z = 0;
            for (float v : logits) {
                z += Math.exp(v - max);
            }
            sum -= logits[(int) ids[n]] - max - Math.log(z);
        }
        return sum;
    }
}
