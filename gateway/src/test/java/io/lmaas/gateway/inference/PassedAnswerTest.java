package io.lmaas.gateway.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A worker's answer passed on: what is read of it, what is refused, and the client's body written around it. */
class PassedAnswerTest {
    private static final JsonArray ITEMS = new JsonArray()
            .add(new JsonObject().put("index", 0).put("label", "积极").put("score", 0.875)
                    .put("scores", new JsonObject().put("积极", 0.875).put("消极", 0.125)))
            .add(new JsonObject().put("index", 1).put("label", "\"quoted\" ]}").put("score", 0.5)
                    .put("scores", new JsonObject().put("\"quoted\" ]}", 0.5).put("data", 0.5)));

    @Test
    void theItemsAreKeptByteForByteAndTheTokensSummed() {
        for (JsonObject answer : List.of(new JsonObject().put("tokens", new JsonArray().add(7).add(12)).put("data", ITEMS),
                new JsonObject().put("data", ITEMS).put("extra", new JsonObject().put("data", 1)).put("tokens", new JsonArray().add(7).add(12)))) {
            PassedAnswer read = PassedAnswer.read(answer.toBuffer());
            assertThat(read.tokens()).isEqualTo(19);
            assertThat(read.data().toString()).isEqualTo(ITEMS.encode()); // multi-byte labels, brackets inside strings
            assertThat(read.items()).isEqualTo(ITEMS);
        }
    }

    @Test
    void anAnswerThatIsNotOneIsRefused() {
        for (String bad : List.of("", "[]", "{\"data\":[1,2]}", "{\"tokens\":[1]}", "{\"tokens\":[1,\"x\"],\"data\":[]}",
                "{\"tokens\":[1],\"data\":[1,2}", "{\"tokens\":[1],\"data\":[]} {}", "{\"tokens\":[2147483647,1],\"data\":[]}",
                "{\"tokens\":[1],\"data\":{}}", "{\"tokens\":[3,-1],\"data\":[]}", "not json")) {
            assertThatThrownBy(() -> PassedAnswer.read(Buffer.buffer(bad))).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void theClientsBodyIsTheOneTheDecodedPathWrites() {
        PassedAnswer answer = PassedAnswer.read(new JsonObject().put("tokens", new JsonArray().add(7).add(12)).put("data", ITEMS)
                .toBuffer());
        JsonObject passed = new JsonObject(Responses.classification("clf-1", "m\"odel", answer));
        assertThat(passed).isEqualTo(Responses.classification("clf-1", "m\"odel", ITEMS.copy(), 19, List.of(), 0));
        assertThat(passed.fieldNames()).containsExactly("id", "object", "model", "data", "usage");
        assertThat(passed.getJsonObject("usage")).isEqualTo(new JsonObject().put("prompt_tokens", 19).put("total_tokens", 19));

        JsonArray vectors = new JsonArray().add(new JsonObject().put("object", "embedding").put("index", 0)
                .put("embedding", new JsonArray().add(0.25f).add(-1.5f)));
        PassedAnswer embedded = PassedAnswer.read(new JsonObject().put("tokens", new JsonArray().add(3)).put("data", vectors).toBuffer());
        JsonObject list = new JsonObject(Responses.embeddings("mini", embedded));
        assertThat(list).isEqualTo(Responses.embeddings("mini", vectors.copy(), 3));
        assertThat(list.fieldNames()).containsExactly("object", "data", "model", "usage");
    }
}
