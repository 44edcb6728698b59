package io.lmaas.worker.serve;

import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.runtime.Generation;
import io.lmaas.worker.wlm.AdapterRef;
import io.lmaas.worker.wlm.CapacityException;
import io.lmaas.worker.wlm.GenerationEngine;
import io.lmaas.worker.wlm.ServedModel;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
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
        ModelCalls.GenerationCall call;
        AdapterRef adapter;
        try {
            JsonObject body = ctx.body().asJsonObject();
            call = ModelCalls.generation(generator, body);
            adapter = AdapterRequests.parse(body.getJsonObject("adapter"), adaptersRoot);
        } catch (DecodeException | ClassCastException | NullPointerException e) {
            Replies.error(ctx, 400, "invalid_json", "request body must be a JSON object with typed fields");
            return;
        } catch (ModelCalls.Refused r) {
            Replies.error(ctx, r.status(), r.code(), r.getMessage());
            return;
        } catch (IllegalArgumentException e) {
            Replies.error(ctx, 400, "invalid_request", e.getMessage());
            return;
        }
        if (call.streamed()) {
            stream(ctx, generator, call, adapter);
            return;
        }
        AtomicBoolean gone = new AtomicBoolean();
        ctx.response().closeHandler(v -> gone.set(true));
        replies.respond(ctx, ModelCalls.generate(generator, call, GenerationEngine.Listener.NONE, gone::get, adapter), (Generation g) -> {
            logGeneration(ctx, g);
            return ModelCalls.generated(g);
        });
    }

    /**
     * Streams a generation as NDJSON: {@code {"prompt_tokens":n}} first, then {@code {"text","tokens"}} per
     * piece, then {@code {"done":true,"finish_reason","prompt_tokens","completion_tokens"}} (or
     * {@code {"error":{...}}}). A client that goes away cancels the generation at its next step.
     */
    private void stream(RoutingContext ctx, ServedModel.Generator generator, ModelCalls.GenerationCall call, AdapterRef adapter) {
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
        Future.fromCompletionStage(ModelCalls.generate(generator, call, listener, gone::get, adapter), context).onComplete(ar -> {
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
