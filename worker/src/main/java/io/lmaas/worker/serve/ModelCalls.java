package io.lmaas.worker.serve;

import io.lmaas.worker.explain.ExplanationsUnsupported;
import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.Encoded;
import io.lmaas.worker.runtime.Generation;
import io.lmaas.worker.runtime.GenerationDefaults;
import io.lmaas.worker.runtime.GenerationRequest;
import io.lmaas.worker.runtime.InputTooLong;
import io.lmaas.worker.runtime.Inputs;
import io.lmaas.worker.wlm.AdaptedClassifier;
import io.lmaas.worker.wlm.AdapterRef;
import io.lmaas.worker.wlm.CapacityException;
import io.lmaas.worker.wlm.GenerationEngine;
import io.lmaas.worker.wlm.ServedModel;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * What the worker's routes do to a served model, apart from HTTP: a request body in, the answer's JSON out, or a
 * {@link Refused} with the status and code the route answers. The routes call these, and so does a process that runs a
 * model in-process (a batch worker), so both answer the same for the same body. {@link #refusal} is the one mapping of
 * failures to errors.
 */
public final class ModelCalls {
    private ModelCalls() {
    }

    /** A request the worker refuses: the HTTP status, error code, the field at fault (or null) and a message. */
    public static final class Refused extends RuntimeException {
        private final int status;
        private final String code;
        private final String param;

        public Refused(int status, String code, String param, String message) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
            this.param = param;
        }

        public int status() {
            return status;
        }

        public String code() {
            return code;
        }

        public String param() {
            return param;
        }

        /** The worker's error body: {@code {"error":{"message","code"[,"param"]}}}. */
        public JsonObject toJson() {
            JsonObject error = new JsonObject().put("message", getMessage()).put("code", code);
            if (param != null) {
                error.put("param", param);
            }
            return new JsonObject().put("error", error);
        }
    }

    /**
     * A failure as the worker answers it: bad input 400 ({@code context_length_exceeded} for an input longer than the
     * model takes), capacity 503 ({@code model_overloaded}, or {@code model_not_ready} while {@code draining}), anything
     * else 500 {@code inference_failed} (which the caller logs).
     */
    public static Refused refusal(Throwable failure, boolean draining) {
        Throwable e = unwrap(failure);
        if (e instanceof Refused r) {
            return r;
        }
        if (e instanceof CapacityException) {
            return new Refused(503, draining ? "model_not_ready" : "model_overloaded", null, e.getMessage());
        }
        if (e instanceof InputTooLong tooLong) {
            return new Refused(400, "context_length_exceeded", tooLong.param(), e.getMessage());
        }
        if (e instanceof ExplanationRoutes.TooLarge) {
            return new Refused(400, "explanation_too_large", "steps", e.getMessage());
        }
        if (e instanceof ExplanationsUnsupported) {
            return new Refused(400, "explanations_unsupported", null, e.getMessage());
        }
        if (e instanceof IllegalArgumentException) {
            return new Refused(400, "invalid_request", "input", e.getMessage());
        }
        return new Refused(500, "inference_failed", null, "inference failed: " + e.getClass().getSimpleName());
    }

    static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    /**
     * {@code {"inputs":[string…], "truncate"}} → {@code {"tokens":[n…],"data":[{index,label,score,scores}…]}}: {@code data}
     * is the client's answer as it is (OpenAI's shape, which the gateway passes on without reading it), {@code tokens} what
     * each input cost.
     */
    public static CompletableFuture<JsonObject> classify(ServedModel.Classifier classifier, JsonObject body) {
        return classify(body, (texts, truncate) -> classifier.batcher().submit(texts, truncate));
    }

    /** The same with the LoRA adapter {@code adapter} on the served encoder ({@link ServedModel#adapted()}). */
    public static CompletableFuture<JsonObject> classify(AdaptedClassifier adapted, JsonObject body, AdapterRef adapter) {
        return classify(body, (texts, truncate) -> adapted.submit(texts, truncate, adapter));
    }

    private static CompletableFuture<JsonObject> classify(JsonObject body,
            java.util.function.BiFunction<List<String>, Boolean, CompletableFuture<List<Classification>>> run) {
        List<String> texts = new ArrayList<>();
        boolean truncate;
        try {
            for (Object o : inputs(body)) {
                if (!(o instanceof String text)) {
                    throw new Refused(400, "invalid_request", "inputs", "'inputs' must hold strings only");
                }
                texts.add(text);
            }
            truncate = Boolean.TRUE.equals(body.getValue("truncate"));
        } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
            return CompletableFuture.failedFuture(malformedInputs());
        } catch (Refused r) {
            return CompletableFuture.failedFuture(r);
        }
        return run.apply(texts, truncate).thenApply(ModelCalls::classified);
    }

    static JsonObject classified(List<Classification> results) {
        JsonArray tokens = new JsonArray(new ArrayList<>(results.size()));
        JsonArray data = new JsonArray(new ArrayList<>(results.size()));
        for (int i = 0; i < results.size(); i++) {
            Classification c = results.get(i);
            JsonObject scores = new JsonObject();
            c.scores().forEach(scores::put);
            data.add(new JsonObject().put("index", i).put("label", c.label()).put("score", c.score()).put("scores", scores));
            tokens.add(c.tokens());
        }
        return new JsonObject().put("tokens", tokens).put("data", data);
    }

    /**
     * {@code {"inputs":[string | [token ids]…], "truncate", "encoding_format"}} →
     * {@code {"tokens":[n…],"data":[{object,index,embedding}…]}}: each embedding a list of floats, or with
     * {@code "encoding_format":"base64"} the base64 of its little-endian float32s (OpenAI's shapes, passed on as they are).
     */
    public static CompletableFuture<JsonObject> embed(ServedModel.Embedder embedder, JsonObject body) {
        List<Encoded> encoded;
        boolean base64;
        try {
            boolean truncate = Boolean.TRUE.equals(body.getValue("truncate"));
            Object format = body.getValue("encoding_format");
            if (format != null && !"float".equals(format) && !"base64".equals(format)) {
                return CompletableFuture.failedFuture(new Refused(400, "invalid_request", "encoding_format",
                        "'encoding_format' must be \"float\" or \"base64\""));
            }
            base64 = "base64".equals(format);
            var tokenizer = embedder.runtime().tokenizer();
            List<Object> items = new ArrayList<>();
            inputs(body).forEach(items::add); // the iterator hands nested arrays out as JsonArray
            encoded = Inputs.encode(items, o -> {
                if (o instanceof String text) {
                    return tokenizer.encode(text, truncate);
                }
                if (o instanceof JsonArray list) {
                    long[] ids = new long[list.size()];
                    for (int i = 0; i < ids.length; i++) {
                        if (!(list.getValue(i) instanceof Number n) || n.doubleValue() != n.longValue()) {
                            throw new IllegalArgumentException("token ids must be integers");
                        }
                        ids[i] = n.longValue();
                    }
                    return tokenizer.ids(ids, truncate);
                }
                throw new IllegalArgumentException("an input must be a string or an array of token ids");
            });
        } catch (ClassCastException | NullPointerException e) {
            return CompletableFuture.failedFuture(malformedInputs());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(refusal(e, false));
        }
        return embedder.batcher().submitEncoded(encoded).thenApply(vectors -> {
            JsonArray tokens = new JsonArray(new ArrayList<>(vectors.size()));
            JsonArray data = new JsonArray(new ArrayList<>(vectors.size()));
            for (int i = 0; i < vectors.size(); i++) {
                data.add(new JsonObject().put("object", "embedding").put("index", i)
                        .put("embedding", base64 ? base64(vectors.get(i)) : floats(vectors.get(i))));
                tokens.add(encoded.get(i).tokens());
            }
            return new JsonObject().put("tokens", tokens).put("data", data);
        });
    }

    private static JsonArray floats(float[] vector) {
        JsonArray values = new JsonArray(new ArrayList<>(vector.length));
        for (float v : vector) {
            values.add(v);
        }
        return values;
    }

    /** The vector as OpenAI's {@code base64} encoding: little-endian float32s. */
    static String base64(float[] vector) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * vector.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(vector);
        return java.util.Base64.getEncoder().encodeToString(b.array());
    }

    /** What the inputs of a classify or embed answer cost in all: the sum of its {@code tokens}. */
    public static int tokens(JsonObject answer) {
        JsonArray tokens = answer.getJsonArray("tokens");
        int sum = 0;
        for (int i = 0; i < tokens.size(); i++) {
            sum += tokens.getInteger(i);
        }
        return sum;
    }

    private static Refused malformedInputs() {
        return new Refused(400, "invalid_request", "inputs", "request body must be a JSON object with a non-empty 'inputs' array");
    }

    /** The request's non-empty {@code inputs} array (IllegalArgumentException otherwise). */
    private static JsonArray inputs(JsonObject body) {
        JsonArray inputs = body.getJsonArray("inputs");
        if (inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException("'inputs' must be a non-empty array");
        }
        return inputs;
    }

    /** A generation body read: what to generate, and the field its prompt came in ({@code prompt} or {@code messages}). */
    public record GenerationCall(GenerationRequest request, String promptField, boolean streamed) {
    }

    /**
     * Reads {@code {"prompt" | "messages", "max_tokens", "temperature", "top_p", "top_k", "stop", "seed", "stream"}};
     * settings left out come from the checkpoint's generation_config.json, then the defaults. Throws
     * {@link Refused} ({@code invalid_json} for mistyped fields, {@code invalid_request} otherwise).
     */
    public static GenerationCall generation(ServedModel.Generator generator, JsonObject body) {
        try {
            String prompt = prompt(body, generator);
            GenerationDefaults defaults = generator.runtime().defaults();
            GenerationRequest request = new GenerationRequest(prompt, body.getInteger("max_tokens", 16),
                    body.getDouble("temperature", defaults.temperature() != null ? defaults.temperature() : 1.0),
                    body.getDouble("top_p", defaults.topP() != null ? defaults.topP() : 1.0),
                    body.getInteger("top_k", defaults.topK() != null ? defaults.topK() : 0), strings(body.getValue("stop")),
                    body.getLong("seed", ThreadLocalRandom.current().nextLong()));
            return new GenerationCall(request, body.containsKey("messages") ? "messages" : "prompt",
                    Boolean.TRUE.equals(body.getValue("stream")));
        } catch (ClassCastException | NullPointerException e) {
            throw new Refused(400, "invalid_json", null, "request body must be a JSON object with typed fields");
        } catch (IllegalArgumentException e) {
            throw new Refused(400, "invalid_request", null, e.getMessage());
        }
    }

    /**
     * Runs a generation to its end: {@code {text, finish_reason, prompt_tokens, completion_tokens}}; a prompt refused as
     * too long names the field it came in.
     */
    public static CompletableFuture<Generation> generate(ServedModel.Generator generator, GenerationCall call,
            GenerationEngine.Listener listener, BooleanSupplier cancelled, AdapterRef adapter) {
        return generator.engine().submit(call.request(), listener, cancelled, adapter).exceptionallyCompose(e ->
                CompletableFuture.failedFuture(unwrap(e) instanceof InputTooLong t ? t.withParam(call.promptField()) : e));
    }

    public static JsonObject generated(Generation g) {
        return new JsonObject().put("text", g.text()).put("finish_reason", g.finishReason())
                .put("prompt_tokens", g.promptTokens()).put("completion_tokens", g.completionTokens());
    }

    /** The prompt, or chat messages rendered with the version's chat template. */
    private static String prompt(JsonObject body, ServedModel.Generator generator) {
        JsonArray messages = body.getJsonArray("messages");
        if (messages == null) {
            return body.getString("prompt", "");
        }
        var template = generator.runtime().chatTemplate()
                .orElseThrow(() -> new IllegalArgumentException("this model declares no chat template"));
        List<io.lmaas.worker.chat.ChatTemplate.Message> list = new ArrayList<>();
        for (Object o : messages) {
            JsonObject m = (JsonObject) o;
            list.add(new io.lmaas.worker.chat.ChatTemplate.Message(m.getString("role"), content(m.getValue("content"))));
        }
        return template.render(list);
    }

    /** A message's content: a string, or OpenAI's list of parts of which only text parts are served. */
    private static String content(Object raw) {
        if (raw == null) {
            return "";
        }
        if (raw instanceof String s) {
            return s;
        }
        if (raw instanceof JsonArray parts) {
            StringBuilder sb = new StringBuilder();
            for (Object o : parts) {
                if (!(o instanceof JsonObject part) || !"text".equals(part.getString("type")) || part.getString("text") == null) {
                    throw new IllegalArgumentException("a message's content must be a string or a list of text parts");
                }
                sb.append(part.getString("text"));
            }
            return sb.toString();
        }
        throw new IllegalArgumentException("a message's content must be a string or a list of text parts");
    }

    private static List<String> strings(Object raw) {
        if (raw == null) {
            return List.of();
        }
        if (raw instanceof String s) {
            return List.of(s);
        }
        List<String> out = new ArrayList<>();
        for (Object o : (JsonArray) raw) {
            out.add((String) o);
        }
        return out;
    }
}
