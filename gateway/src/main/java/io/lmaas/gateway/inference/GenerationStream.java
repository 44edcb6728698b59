package io.lmaas.gateway.inference;

import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Outcome;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.usage.Metering;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * One streamed generation, relayed from the worker to the client as OpenAI's Server-Sent Events — text
 * completion chunks or chat completion chunks ({@code delta}s): {@code data: {chunk}} per piece, a last
 * chunk with {@code finish_reason}, a usage chunk when asked ({@code stream_options.include_usage}), then
 * {@code data: [DONE]}. The usage row is made durable before the final events, and is written once
 * whatever ends the stream: its end, a worker failure, or the client going away (billed for the tokens
 * produced until then).
 */
final class GenerationStream implements WorkerClient.StreamHandler {

    /** Which OpenAI chunk shape to speak. */
    enum Shape {
        TEXT("text_completion"),
        CHAT("chat.completion.chunk");

        final String object;

        Shape(String object) {
            this.object = object;
        }
    }

    private final Shape shape;
    private final RoutingContext ctx;
    private final Responder responder;
    private final String id;
    private final long created;
    private final String model;
    private final boolean includeUsage;
    private final Metering.Draft draft;
    private WorkerClient.StreamCall call;
    private int promptTokens;
    private int completionTokens;
    private boolean begun;
    private boolean over;

    GenerationStream(Shape shape, RoutingContext ctx, Responder responder, String id, long created, String model,
            boolean includeUsage) {
        this.shape = shape;
        this.ctx = ctx;
        this.responder = responder;
        this.id = id;
        this.created = created;
        this.model = model;
        this.includeUsage = includeUsage;
        this.draft = Metering.draft(ctx);
        ctx.response().closeHandler(v -> clientGone());
    }

    void attach(WorkerClient.StreamCall call) {
        this.call = call;
        if (over) {
            call.cancel();
        }
    }

    /** The stream could not start (no replica, refused): an ordinary error answer. */
    void failedToStart(Throwable e) {
        if (!over) {
            over = true;
            ctx.fail(e);
        }
    }

    @Override
    public void started(int promptTokens) {
        this.promptTokens = promptTokens;
        draft.tokens(promptTokens, completionTokens);
        begin();
    }

    @Override
    public void delta(String text, int tokens) {
        if (over) {
            return;
        }
        completionTokens += tokens;
        draft.tokens(promptTokens, completionTokens);
        begin();
        event(chunk(text, null));
    }

    @Override
    public void finished(String finishReason, int prompt, int completion) {
        if (over) {
            return;
        }
        over = true;
        promptTokens = prompt;
        completionTokens = completion;
        draft.tokens(prompt, completion);
        begin();
        responder.settle(ctx, new Outcome(200, null)).onComplete(ar -> {
            if (ar.failed()) {
                endWithError("usage_unavailable", "the usage ledger is unavailable; the answer is not billed, retry");
                return;
            }
            event(chunk("", finishReason));
            if (includeUsage) {
                event(base().put("choices", new JsonArray()).put("usage", usage()));
            }
            write("data: [DONE]\n\n");
            ctx.response().end();
        });
    }

    @Override
    public void broken(String code, String message) {
        if (over) {
            return;
        }
        over = true;
        if (!begun) {
            ctx.fail(new ApiException(502, "server_error", "worker_error", null, "the model worker failed: " + message, null));
            return;
        }
        responder.settle(ctx, new Outcome(200, "stream_interrupted")).onComplete(ar -> endWithError(code, message));
    }

    private void clientGone() {
        if (over) {
            return;
        }
        over = true;
        if (call != null) {
            call.cancel();
        }
        responder.settle(ctx, new Outcome(begun ? 200 : 499, "client_disconnected"));
    }

    private void begin() {
        if (begun) {
            return;
        }
        begun = true;
        HttpServerResponse r = ctx.response();
        Metering.rateLimitHeaders(r, draft.admissionOrNull());
        r.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
        if (shape == Shape.CHAT) {
            event(base().put("choices", new JsonArray().add(new JsonObject().put("index", 0)
                    .put("delta", new JsonObject().put("role", "assistant").put("content", "")).putNull("logprobs")
                    .putNull("finish_reason"))));
        }
    }

    private void endWithError(String code, String message) {
        event(new JsonObject().put("error", new JsonObject().put("message", message).put("type", "server_error")
                .putNull("param").put("code", code)));
        if (!ctx.response().ended() && !ctx.response().closed()) {
            ctx.response().end();
        }
    }

    private JsonObject base() {
        return new JsonObject().put("id", id).put("object", shape.object).put("created", created).put("model", model);
    }

    private JsonObject chunk(String text, String finishReason) {
        JsonObject choice = shape == Shape.TEXT ? new JsonObject().put("text", text)
                : new JsonObject().put("delta", finishReason == null ? new JsonObject().put("content", text) : new JsonObject());
        return base().put("choices", new JsonArray().add(choice.put("index", 0).putNull("logprobs")
                .put("finish_reason", finishReason)));
    }

    private JsonObject usage() {
        return new JsonObject().put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                .put("total_tokens", promptTokens + completionTokens);
    }

    private void event(JsonObject json) {
        write("data: " + json.encode() + "\n\n");
    }

    private void write(String s) {
        if (!ctx.response().ended() && !ctx.response().closed()) {
            ctx.response().write(s);
        }
    }
}
