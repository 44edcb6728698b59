package io.lmaas.worker.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Incremental detokenisation gives what the Hugging Face decoder gives for the whole sequence. */
class StreamDecoderTest {

    @Test
    void tokenByTokenEqualsWholeSequenceDecoding(@TempDir Path dir) throws Exception {
        List<String> corpus = List.of("the striker scored", "大模型即服务是一种架构", "مرحبا بالعالم", "emoji 🚀🔥 👨‍👩‍👧",
                "<|endoftext|>");
        ByteLevelBpeTrainer.train(corpus, 400, List.of("<|endoftext|>")).write(dir.resolve("tokenizer.json"));
        try (TextTokenizer tokenizer = TextTokenizer.load(dir.resolve("tokenizer.json"))) {
            StreamDecoder decoder = StreamDecoder.of(dir.resolve("tokenizer.json"), tokenizer);
            for (String text : List.of("大模型即服务 🚀 the striker", "مرحبا 👨‍👩‍👧 emoji", "plain ascii text")) {
                long[] ids = tokenizer.encode(text);
                StreamDecoder.Stream stream = decoder.start();
                String last = "";
                for (long id : ids) {
                    String sofar = stream.add(id);
                    assertThat(sofar).startsWith(last).doesNotContain("\uFFFD");
                    last = sofar;
                }
                assertThat(stream.finish()).isEqualTo(text).isEqualTo(tokenizer.decode(ids));
            }
            // Random ids (any byte sequence, broken characters included) decode like Hugging Face does.
            Random random = new Random(3);
            for (int run = 0; run < 200; run++) {
                long[] ids = random.longs(1 + random.nextInt(12), 0, 400).toArray();
                StreamDecoder.Stream stream = decoder.start();
                Arrays.stream(ids).forEach(stream::add);
                assertThat(stream.finish()).as(Arrays.toString(ids)).isEqualTo(tokenizer.decode(ids));
            }
        }
    }
}
