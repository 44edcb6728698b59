package io.lmaas.gateway.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Table tests of request validation: every bad input is a 400 naming its parameter and code. */
class RequestParsingTest {

    @Test
    void classificationAcceptsAStringOrAnArrayOfStrings() {
        assertThat(ClassificationRequest.parse(new JsonObject("{\"model\":\"m\",\"input\":\"hi\"}")))
                .isEqualTo(new ClassificationRequest("m", List.of("hi"), false));
        assertThat(ClassificationRequest.parse(new JsonObject("{\"model\":\"m\",\"input\":\"hi\",\"truncate\":true}")).truncate())
                .isTrue();
        assertThatThrownBy(() -> ClassificationRequest.parse(new JsonObject("{\"model\":\"m\",\"input\":\"hi\",\"truncate\":1}")))
                .isInstanceOf(io.lmaas.gateway.http.ApiException.class).hasMessageContaining("truncate");
        assertThat(ClassificationRequest.parse(new JsonObject("{\"model\":\"m\",\"input\":[\"a\",\"b\"]}")).inputs())
                .containsExactly("a", "b");
    }

    @Test
    void anExplanationCostsTheTokensOnceMorePerStep() {
        ClassificationRequest plain = ClassificationRequest.parse(new JsonObject("{\"model\":\"m\",\"input\":\"hi\"}"));
        assertThat(plain.explainSteps()).isZero();
        assertThat(plain.costBound()).isEqualTo(plain.tokenBound());
        ClassificationRequest explained = ClassificationRequest.parse(new JsonObject("{\"model\":\"m\",\"input\":\"hi\",\"explain\":true}"));
        assertThat(explained.explainSteps()).isEqualTo(32);
        assertThat(explained.costBound()).isEqualTo(explained.tokenBound() * 33);
        assertThat(ClassificationRequest.parse(new JsonObject("{\"model\":\"m\",\"input\":\"hi\",\"explain\":true,\"steps\":64}"))
                .explainSteps()).isEqualTo(64);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"input\":\"x\"}                         | model | missing_required_parameter",
        "{\"model\":5,\"input\":\"x\"}             | model | invalid_value",
        "{\"model\":\"\",\"input\":\"x\"}          | model | invalid_value",
        "{\"model\":\"m\"}                         | input | missing_required_parameter",
        "{\"model\":\"m\",\"input\":[]}            | input | invalid_value",
        "{\"model\":\"m\",\"input\":[\"a\",3]}     | input | invalid_value",
        "{\"model\":\"m\",\"input\":\" \"}         | input | invalid_value",
        "{\"model\":\"m\",\"input\":{\"a\":1}}     | input | invalid_value",
        "{\"model\":\"m\",\"input\":\"x\",\"explain\":1}        | explain | invalid_value",
        "{\"model\":\"m\",\"input\":\"x\",\"steps\":8}          | steps   | invalid_value",
        "{\"model\":\"m\",\"input\":\"x\",\"explain\":true,\"steps\":0}   | steps | invalid_value",
        "{\"model\":\"m\",\"input\":\"x\",\"explain\":true,\"steps\":257} | steps | invalid_value",
        "{\"model\":\"m\",\"input\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"],\"explain\":true} | input | invalid_value",
    })
    void classificationRejects(String body, String param, String code) {
        assertThatThrownBy(() -> ClassificationRequest.parse(new JsonObject(body)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.param()).isEqualTo(param);
                    assertThat(e.code()).isEqualTo(code);
                });
    }

    @Test
    void completionDefaultsFollowOpenAi() {
        CompletionRequest r = CompletionRequest.parse(new JsonObject("{\"model\":\"m\",\"prompt\":\"hi\",\"seed\":3}"));
        assertThat(r).isEqualTo(new CompletionRequest("m", List.of("hi"), new Sampling(16, 1.0, 1.0, 0, List.of(), 3, false, false)));
        CompletionRequest streamed = CompletionRequest.parse(new JsonObject(
                "{\"model\":\"m\",\"prompt\":\"hi\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"));
        assertThat(streamed.stream()).isTrue();
        assertThat(streamed.sampling().includeUsage()).isTrue();
        CompletionRequest many = CompletionRequest.parse(new JsonObject(
                "{\"model\":\"m\",\"prompt\":[\"a\",\"b\"],\"max_tokens\":5,\"temperature\":0,\"stream\":false,\"n\":1,"
                        + "\"top_p\":1,\"user\":\"u-1\",\"best_of\":1,\"echo\":false}"));
        assertThat(many.prompts()).containsExactly("a", "b");
        assertThat(many.sampling().maxTokens()).isEqualTo(5);
        assertThat(many.sampling().temperature()).isZero();
        Sampling options = CompletionRequest.parse(new JsonObject(
                "{\"model\":\"m\",\"stop\":[\"\\n\",\"END\"],\"top_p\":0.9,\"top_k\":40}")).sampling();
        assertThat(options.stop()).containsExactly("\n", "END");
        assertThat(options.topP()).isEqualTo(0.9);
        assertThat(options.topK()).isEqualTo(40);
        assertThat(CompletionRequest.parse(new JsonObject("{\"model\":\"m\",\"stop\":\".\"}")).sampling().stop())
                .containsExactly(".");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"prompt\":\"x\"}                                    | model       | missing_required_parameter",
        "{\"model\":\"m\",\"prompt\":7}                        | prompt      | invalid_value",
        "{\"model\":\"m\",\"prompt\":[1,2]}                    | prompt      | invalid_value",
        "{\"model\":\"m\",\"max_tokens\":0}                    | max_tokens  | invalid_value",
        "{\"model\":\"m\",\"max_tokens\":2.5}                  | max_tokens  | invalid_value",
        "{\"model\":\"m\",\"max_tokens\":\"10\"}               | max_tokens  | invalid_value",
        "{\"model\":\"m\",\"temperature\":3}                   | temperature | invalid_value",
        "{\"model\":\"m\",\"seed\":\"x\"}                      | seed        | invalid_value",
        "{\"model\":\"m\",\"stream\":\"yes\"}                | stream      | invalid_value",
        "{\"model\":\"m\",\"stream\":true,\"prompt\":[\"a\",\"b\"]} | prompt | unsupported_parameter",
        "{\"model\":\"m\",\"stream_options\":{\"include_usage\":true}} | stream_options | invalid_value",
        "{\"model\":\"m\",\"stop\":[1]}                        | stop        | invalid_value",
        "{\"model\":\"m\",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]} | stop | invalid_value",
        "{\"model\":\"m\",\"top_p\":0}                         | top_p       | invalid_value",
        "{\"model\":\"m\",\"tools\":[{\"type\":\"function\"}]} | tools    | unsupported_parameter",
        "{\"model\":\"m\",\"n\":2}                             | n           | unsupported_parameter",
        "{\"model\":\"m\",\"logprobs\":2}                      | logprobs    | unsupported_parameter",
    })
    void completionRejects(String body, String param, String code) {
        assertRejected(() -> CompletionRequest.parse(new JsonObject(body)), param, code);
    }

    @Test
    void chatMessagesAcceptStringsAndTextParts() {
        ChatRequest r = ChatRequest.parse(new JsonObject("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello \"},{\"type\":\"text\",\"text\":\"there\"}]}],"
                + "\"max_completion_tokens\":7,\"stream\":true}"));
        assertThat(r.messages().getJsonObject(1).getString("content")).isEqualTo("hello there");
        assertThat(r.sampling().maxTokens()).isEqualTo(7);
        assertThat(r.sampling().stream()).isTrue();
        assertThat(r.tokenBound()).isGreaterThan(7 + "be brief".length() + "hello there".length());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"model\":\"m\"}                                                  | messages | missing_required_parameter",
        "{\"model\":\"m\",\"messages\":[]}                                 | messages | invalid_value",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]} | messages | invalid_value",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":5}]}  | messages | invalid_value",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]} | messages | unsupported_parameter",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":\"json_object\"}} | response_format | unsupported_parameter",
    })
    void chatRejects(String body, String param, String code) {
        assertRejected(() -> ChatRequest.parse(new JsonObject(body)), param, code);
    }

    private static void assertRejected(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String param, String code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.param()).isEqualTo(param);
            assertThat(e.code()).isEqualTo(code);
        });
    }
}
