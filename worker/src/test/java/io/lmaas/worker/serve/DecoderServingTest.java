package io.lmaas.worker.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lmaas.core.secrets.WorkerToken;
import io.lmaas.worker.chat.ChatTemplate;
import io.lmaas.worker.runtime.GeneratorRuntime;
import io.lmaas.worker.runtime.KvCache;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.wlm.ServedModel;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Hugging Face decoder directory (the tiny Llama fixture: config.json, safetensors, tokenizer.json, a Jinja chat
 * template, generation_config.json) served by a worker over real HTTP: chat messages go through the model's own
 * template, greedy text is the model's own argmax chain, a prompt that fills the context is refused with the field it
 * came in, and a generation that reaches the context ends with finish_reason "length".
 */
class DecoderServingTest {
    private static final String TOKEN = "worker-token-for-tests-0123456789";
    private static Vertx vertx;
    private static WebClient client;
    private static int port;
    private static Path dir;

    @BeforeAll
    static void start() throws Exception {
        dir = Path.of(DecoderServingTest.class.getResource("/decoder-fixtures/llama/config.json").toURI()).getParent();
        vertx = Vertx.vertx();
        client = WebClient.create(vertx);
        WorkerVerticle worker = new WorkerVerticle(new WorkerConfig(dir, "tiny-llama", "127.0.0.1", 0, null,
                ServedModel.Overrides.NONE, Duration.ofSeconds(5), Optional.empty(), TOKEN, null, "auto"));
        vertx.deployVerticle(worker).await(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(60)).until(() -> worker.state() != ModelState.LOADING);
        assertThat(worker.state()).isEqualTo(ModelState.READY);
        port = worker.port();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static HttpResponse<Buffer> generate(JsonObject body) throws Exception {
        return client.post(port, "127.0.0.1", "/v1/generate").putHeader("authorization", WorkerToken.header(TOKEN))
                .sendBuffer(body.toBuffer()).await(60, TimeUnit.SECONDS);
    }

    /** The model's own greedy continuation of {@code prompt}: the argmax chain, until an end token or {@code max} tokens. */
    private static List<Long> greedy(GeneratorRuntime runtime, long[] prompt, int max) {
        List<Long> out = new ArrayList<>();
        long[] window = prompt;
        for (int i = 0; i < max && window.length < runtime.maxLength(); i++) {
            float[] logits;
            try (KvCache cache = runtime.newCache()) {
                logits = runtime.prefill(cache, window);
            }
            long best = 0;
            for (int t = 1; t < logits.length; t++) {
                if (logits[t] > logits[(int) best]) {
                    best = t;
                }
            }
            if (runtime.isEos(best)) {
                break;
            }
            out.add(best);
            window = java.util.Arrays.copyOf(window, window.length + 1);
            window[window.length - 1] = best;
        }
        return out;
    }

    @Test
    void chatGoesThroughTheModelsTemplateAndGreedyTextIsItsArgmaxChain() throws Exception {
        List<ChatTemplate.Message> messages = List.of(new ChatTemplate.Message("system", "w7"), new ChatTemplate.Message("user", "w5 w6"));
        List<Long> expected;
        int promptTokens;
        String expectedText;
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(dir)) {
            long[] prompt = runtime.tokenizer().encode(runtime.chatTemplate().orElseThrow().render(messages));
            promptTokens = prompt.length;
            expected = greedy(runtime, prompt, 6);
            expectedText = runtime.tokenizer().decode(expected.stream().mapToLong(Long::longValue).toArray());
        }
        assertThat(promptTokens).as("<s> system w7 <|end|> user w5 w6 <|end|> assistant").isEqualTo(9);
        JsonArray chat = new JsonArray();
        messages.forEach(m -> chat.add(new JsonObject().put("role", m.role()).put("content", m.content())));
        HttpResponse<Buffer> r = generate(new JsonObject().put("messages", chat).put("max_tokens", 6).put("temperature", 0));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject answer = r.bodyAsJsonObject();
        assertThat(answer.getInteger("prompt_tokens")).isEqualTo(promptTokens);
        assertThat(answer.getInteger("completion_tokens")).isEqualTo(expected.size());
        assertThat(answer.getString("text").strip()).isEqualTo(expectedText.strip());
        assertThat(answer.getString("finish_reason")).isEqualTo(expected.size() < 6 ? "stop" : "length");
    }

    @Test
    void aPromptThatFillsTheContextIsRefusedWithTheFieldItCameIn() throws Exception {
        String words = IntStream.range(0, 48).mapToObj(i -> "w" + (10 + i % 80)).collect(Collectors.joining(" "));
        HttpResponse<Buffer> prompt = generate(new JsonObject().put("prompt", words).put("max_tokens", 4));
        assertThat(prompt.statusCode()).isEqualTo(400);
        JsonObject error = prompt.bodyAsJsonObject().getJsonObject("error");
        assertThat(error.getString("code")).isEqualTo("context_length_exceeded");
        assertThat(error.getString("param")).isEqualTo("prompt");
        assertThat(error.getString("message")).contains("48 tokens").contains("context is 48 tokens");
        HttpResponse<Buffer> chat = generate(new JsonObject().put("messages", new JsonArray().add(new JsonObject().put("role", "user")
                .put("content", words))).put("max_tokens", 4));
        assertThat(chat.statusCode()).isEqualTo(400);
        assertThat(chat.bodyAsJsonObject().getJsonObject("error").getString("param")).isEqualTo("messages");
        // A chat template that refuses the conversation (raise_exception) is a 400 with its reason, not a 500.
        HttpResponse<Buffer> bad = generate(new JsonObject().put("messages", new JsonArray().add(new JsonObject()
                .put("role", "user").put("content", List.of("not", "text")))));
        assertThat(bad.statusCode()).isEqualTo(400);
    }

    @Test
    void aGenerationThatReachesTheContextEndsWithLength() throws Exception {
        String words = IntStream.range(0, 44).mapToObj(i -> "w" + (20 + i % 60)).collect(Collectors.joining(" "));
        List<Long> expected;
        try (GeneratorRuntime runtime = (GeneratorRuntime) ModelRuntime.load(dir)) {
            expected = greedy(runtime, runtime.tokenizer().encode(words), 100);
        }
        HttpResponse<Buffer> r = generate(new JsonObject().put("prompt", words).put("max_tokens", 100).put("temperature", 0));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject answer = r.bodyAsJsonObject();
        assertThat(answer.getInteger("prompt_tokens")).isEqualTo(44);
        assertThat(answer.getInteger("completion_tokens")).isEqualTo(expected.size());
        // The window holds 48 positions: 44 of prompt, so at most 4 new tokens unless an end token came first.
        assertThat(answer.getString("finish_reason")).isEqualTo(expected.size() == 4 ? "length" : "stop");
    }
}
