package io.lmaas.batch;

import io.lmaas.core.crypto.Artifacts;
import io.lmaas.core.crypto.DataKey;
import io.lmaas.core.files.JsonlValidator;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch's input file read and checked (blocking I/O): the batch format, every line's {@code url} the batch's
 * endpoint, and one model for the whole file (as OpenAI asks: a batch worker loads one model). Blank lines are skipped;
 * the requests keep their order, which is what a batch's progress counts.
 */
record BatchInput(String model, List<JsonObject> requests) {

    /** What is wrong with the input file, in words for the tenant. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    static BatchInput read(Path path, DataKey key, String endpoint) throws IOException, Invalid {
        try (BufferedReader in = Artifacts.newBufferedReader(path, key)) {
            JsonlValidator.Result r = JsonlValidator.validate(in, "batch");
            if (!r.valid()) {
                throw new Invalid("the input file is not a valid batch file: " + r.summary());
            }
        }
        List<JsonObject> requests = new ArrayList<>();
        String model = null;
        try (BufferedReader in = Artifacts.newBufferedReader(path, key)) {
            String s;
            int n = 0;
            while ((s = in.readLine()) != null) {
                n++;
                if (s.isBlank()) {
                    continue;
                }
                JsonObject o = new JsonObject(s);
                if (o.containsKey("url") && !endpoint.equals(o.getValue("url"))) {
                    throw new Invalid("line " + n + ": \"url\" is " + o.getValue("url") + " but the batch's endpoint is " + endpoint);
                }
                Object named = o.getJsonObject("body").getValue("model");
                if (named instanceof String m) {
                    if (model == null) {
                        model = m;
                    } else if (!model.equals(m)) {
                        throw new Invalid("line " + n + ": \"model\" is " + m + " but earlier lines name " + model
                                + "; a batch runs one model");
                    }
                }
                requests.add(o);
            }
        }
        if (model == null) {
            throw new Invalid("no line of the input file names a model");
        }
        return new BatchInput(model, List.copyOf(requests));
    }
}
