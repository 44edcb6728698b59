package io.lmaas.worker.serve;

import io.lmaas.core.crypto.KeyUnavailableException;
import io.lmaas.core.crypto.ProcessKeys;
import io.lmaas.core.crypto.WrappedKey;
import io.lmaas.worker.chat.ChatTemplate;
import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.runtime.Generation;
import io.lmaas.worker.runtime.GenerationDefaults;
import io.lmaas.worker.runtime.GenerationRequest;
import io.lmaas.worker.wlm.AdapterRef;
import io.lmaas.worker.wlm.CapacityException;
import io.lmaas.worker.wlm.GenerationEngine;
import io.lmaas.worker.wlm.ServedModel;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code POST /v1/generate {"prompt" | "messages", "max_tokens", "temperature", "top_p", "top_k", "stop", "seed",
 * "stream"}} → {@code {text, finish_reason, prompt_tokens, completion_tokens}}, or NDJSON when streamed.
 */
final class GenerationRoutes {
    private final Vertx vertx;
    private final Readiness readiness;
    private final Replies replies;

    private final java.nio.file.Path adaptersRoot;

    GenerationRoutes(Vertx vertx, Readiness readiness, Replies replies, java.nio.file.Path adaptersRoot) {
        this.vertx = vertx;
        this.adaptersRoot = adaptersRoot;
        this.readiness = readiness;
        this.replies = replies;
    }

    void generate(RoutingContext ctx) {
        if (!(readiness.ready(ctx, ServingProperties.GENERATION) instanceof ServedModel.Generator generator)) {
            return;
        }
        GenerationRequest request;
        boolean streamed;
        String promptField;
        AdapterRef adapter;
        try {
            JsonObject body = ctx.body().asJsonObject();
            String prompt = prompt(body, generator);
            // Sampling settings a request leaves out come from the checkpoint's generation_config.json, then the defaults.
            GenerationDefaults defaults = generator.runtime().defaults();
            request = new GenerationRequest(prompt, body.getInteger("max_tokens", 16),
                    body.getDouble("temperature", defaults.temperature() != null ? defaults.temperature() : 1.0),
                    body.getDouble("top_p", defaults.topP() != null ? defaults.topP() : 1.0),
                    body.getInteger("top_k", defaults.topK() != null ? defaults.topK() : 0), strings(body.getValue("stop")),
                    body.getLong("seed", ThreadLocalRandom.current().nextLong()));
            streamed = Boolean.TRUE.equals(body.getValue("stream"));
            promptField = body.containsKey("messages") ? "messages" : "prompt";
            adapter = adapter(body.getJsonObject("adapter"));
        } catch (DecodeException | ClassCastException | NullPointerException e) {
            Replies.error(ctx, 400, "invalid_json", "request body must be a JSON object with typed fields");
            return;
        } catch (IllegalArgumentException e) {
            Replies.error(ctx, 400, "invalid_request", e.getMessage());
            return;
        }
        if (streamed) {
            stream(ctx, generator.engine(), request, promptField, adapter);
            return;
        }
        AtomicBoolean gone = new AtomicBoolean();
        ctx.response().closeHandler(v -> gone.set(true));
        replies.respond(ctx, about(generator.engine().submit(request, GenerationEngine.Listener.NONE, gone::get, adapter), promptField),
                (Generation g) -> {
            logGeneration(ctx, g);
            return new JsonObject().put("text", g.text()).put("finish_reason", g.finishReason())
                    .put("prompt_tokens", g.promptTokens()).put("completion_tokens", g.completionTokens());
        });
    }

    /** The prompt, or chat messages rendered with the version's chat template. */
    private static String prompt(JsonObject body, ServedModel.Generator generator) {
        JsonArray messages = body.getJsonArray("messages");
        if (messages == null) {
            return body.getString("prompt", "");
        }
        ChatTemplate template = generator.runtime().chatTemplate()
                .orElseThrow(() -> new IllegalArgumentException("this model declares no chat template"));
        List<ChatTemplate.Message> list = new ArrayList<>();
        for (Object o : messages) {
            JsonObject m = (JsonObject) o;
            list.add(new ChatTemplate.Message(m.getString("role"), content(m.getValue("content"))));
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

    /**
     * Streams a generation as NDJSON: {@code {"prompt_tokens":n}} first, then {@code {"text","tokens"}} per
     * piece, then {@code {"done":true,"finish_reason","prompt_tokens","completion_tokens"}} (or
     * {@code {"error":{...}}}). A client that goes away cancels the generation at its next step.
     */
    /** A prompt refused as too long names the field it came in ({@code prompt} or {@code messages}). */
    private static java.util.concurrent.CompletableFuture<Generation> about(java.util.concurrent.CompletableFuture<Generation> f,
            String field) {
        return f.exceptionallyCompose(e -> java.util.concurrent.CompletableFuture.failedFuture(
                Replies.unwrap(e) instanceof io.lmaas.worker.runtime.InputTooLong t ? t.withParam(field) : e));
    }

    /**
     * The LoRA adapter a request names ({@code {"name", "path", "pinned"}}, set by the gateway), or null. Its directory must lie under
     * the worker's adapters root: a worker reads no other path a request names.
     */
    private AdapterRef adapter(JsonObject spec) {
        if (spec == null) {
            return null;
        }
        String name = spec.getString("name");
        String path = spec.getString("path");
        if (name == null || name.isBlank() || path == null) {
            throw new IllegalArgumentException("adapter needs a name and a path");
        }
        if (adaptersRoot == null) {
            throw new IllegalArgumentException("this worker serves no adapters");
        }
        JsonObject key = spec.getJsonObject("data_key");
        if (key != null) {
            try {
                ProcessKeys.hold(WrappedKey.fromJson(key)); // the adapter's tenant's
            } catch (KeyUnavailableException e) {
                throw new IllegalArgumentException("adapter " + name + ": " + e.getMessage());
            }
        }
        java.nio.file.Path dir = java.nio.file.Path.of(path).toAbsolutePath().normalize();
        if (!dir.startsWith(adaptersRoot)) {
            throw new IllegalArgumentException("adapter " + name + " is not under this worker's adapters root");
        }
        Object pinned = spec.getValue("pinned", false);
        if (!(pinned instanceof Boolean p)) {
            throw new IllegalArgumentException("adapter.pinned must be true or false");
        }
        return new AdapterRef(name, dir, p);
    }

    private void stream(RoutingContext ctx, GenerationEngine engine, GenerationRequest request, String promptField, AdapterRef adapter) {
        HttpServerResponse response = ctx.response().setChunked(true).putHeader("content-type", "application/x-ndjson");
        AtomicBoolean gone = new AtomicBoolean();
        response.closeHandler(v -> gone.set(true));
        Context context = vertx.getOrCreateContext();
        java.util.function.Consumer<JsonObject> send = line -> context.runOnContext(v -> {
            if (!gone.get() && !response.ended()) {
                response.write(line.encode() + "\n");
            }
        });
        GenerationEngine.Listener listener = new GenerationEngine.Listener() {
            @Override
            public void started(int promptTokens) {
                send.accept(new JsonObject().put("prompt_tokens", promptTokens));
            }

            @Override
            public void delta(String text, int tokens) {
                send.accept(new JsonObject().put("text", text).put("tokens", tokens));
            }
        };
        Future.fromCompletionStage(about(engine.submit(request, listener, gone::get, adapter), promptField), context).onComplete(ar -> {
            if (gone.get() || response.ended()) {
                return;
            }
            if (ar.succeeded()) {
                Generation g = ar.result();
                logGeneration(ctx, g);
                response.end(new JsonObject().put("done", true).put("finish_reason", g.finishReason())
                        .put("prompt_tokens", g.promptTokens()).put("completion_tokens", g.completionTokens()).encode() + "\n");
                return;
            }
            Throwable e = Replies.unwrap(ar.cause());
            if (!response.headWritten() && e instanceof CapacityException) {
                response.setStatusCode(503).putHeader("retry-after", "1");
            } else if (!response.headWritten() && e instanceof IllegalArgumentException) {
                response.setStatusCode(400);
            }
            response.end(new JsonObject().put("error", new JsonObject().put("code", replies.code(e))
                    .put("message", e.getMessage() == null ? replies.code(e) : e.getMessage())).encode() + "\n");
        });
    }

    private static void logGeneration(RoutingContext ctx, Generation g) {
        Map<String, Object> fields = LogFields.of(ctx);
        fields.put("prompt_tokens", g.promptTokens());
        fields.put("completion_tokens", g.completionTokens());
        fields.put("finish_reason", g.finishReason());
    }

}
