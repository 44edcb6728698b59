package io.lmaas.gateway.inference;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import java.io.IOException;

/**
 * A worker's classify or embed answer as the gateway passes it on (pure): its {@code data} array's bytes, already in the
 * client's shape and never decoded into objects, and the sum of its {@code tokens} (what metering needs). Reading it
 * scans the answer once with Jackson's streaming parser, so a malformed answer is refused here, not sent to a client.
 */
public record PassedAnswer(Buffer data, int tokens) {
    private static final JsonFactory JSON = new JsonFactory();

    /** The answer {@code {"tokens":[n…],"data":[…]}}, in any order; IllegalArgumentException when it is not one. */
    public static PassedAnswer read(Buffer body) {
        byte[] bytes = body.getBytes();
        try (JsonParser p = JSON.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("the answer is not a JSON object");
            }
            Buffer data = null;
            Integer tokens = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if ("data".equals(field) && value == JsonToken.START_ARRAY) {
                    int start = (int) p.currentTokenLocation().getByteOffset();
                    p.skipChildren();
                    int end = (int) p.currentTokenLocation().getByteOffset() + 1;
                    data = body.slice(start, end); // a view of the answer's bytes, not a copy
                } else if ("tokens".equals(field) && value == JsonToken.START_ARRAY) {
                    int sum = 0;
                    while (p.nextToken() == JsonToken.VALUE_NUMBER_INT) {
                        int n = p.getIntValue();
                        if (n < 0) {
                            throw new IllegalArgumentException("'tokens' must hold counts, not " + n);
                        }
                        sum = Math.addExact(sum, n);
                    }
                    if (p.currentToken() != JsonToken.END_ARRAY) {
                        throw new IllegalArgumentException("'tokens' must hold integers only");
                    }
                    tokens = sum;
                } else {
                    p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new IllegalArgumentException("the answer is not one JSON object");
            }
            if (data == null || tokens == null) {
                throw new IllegalArgumentException("the answer lacks 'data' or 'tokens'");
            }
            return new PassedAnswer(data, tokens);
        } catch (IOException | ArithmeticException e) {
            throw new IllegalArgumentException("the answer is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The items decoded, for an answer the gateway adds to (explanations). */
    public JsonArray items() {
        return new JsonArray(data);
    }
}
