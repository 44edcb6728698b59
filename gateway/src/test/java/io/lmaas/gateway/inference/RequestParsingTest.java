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
                .isEqualTo(new ClassificationRequest("m", List.of("hi")));
        assertThat(ClassificationRequest.parse(new JsonObject("{\"model\":\"m\",\"input\":[\"a\",\"b\"]}")).inputs())
                .containsExactly("a", "b");
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
        assertThat(r).isEqualTo(new CompletionRequest("m", List.of("hi"), 16, 1.0, 3, false, false));
        CompletionRequest streamed = CompletionRequest.parse(new JsonObject(
                "{\"model\":\"m\",\"prompt\":\"hi\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"));
        assertThat(streamed.stream()).isTrue();
        assertThat(streamed.includeUsage()).isTrue();
        CompletionRequest many = CompletionRequest.parse(new JsonObject(
                "{\"model\":\"m\",\"prompt\":[\"a\",\"b\"],\"max_tokens\":5,\"temperature\":0,\"stream\":false,\"n\":1,"
                        + "\"top_p\":1,\"user\":\"u-1\",\"best_of\":1,\"echo\":false}"));
        assertThat(many.prompts()).containsExactly("a", "b");
        assertThat(many.maxTokens()).isEqualTo(5);
        assertThat(many.temperature()).isZero();
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
        "{\"model\":\"m\",\"stop\":[\"\\n\"]}                  | stop        | unsupported_parameter",
        "{\"model\":\"m\",\"top_p\":0.5}                       | top_p       | unsupported_parameter",
        "{\"model\":\"m\",\"n\":2}                             | n           | unsupported_parameter",
        "{\"model\":\"m\",\"logprobs\":2}                      | logprobs    | unsupported_parameter",
    })
    void completionRejects(String body, String param, String code) {
        assertThatThrownBy(() -> CompletionRequest.parse(new JsonObject(body)))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.param()).isEqualTo(param);
                    assertThat(e.code()).isEqualTo(code);
                });
    }
}
