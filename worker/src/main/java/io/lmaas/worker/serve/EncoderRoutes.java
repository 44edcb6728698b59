package io.lmaas.worker.serve;

import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.wlm.AdapterRef;
import io.lmaas.worker.wlm.ServedModel;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * Routes of the dynamically batched models.
 *
 * <ul>
 *   <li>{@code POST /v1/classify {"inputs":[string…], "truncate"}} → {@code {"tokens":[n…],"data":[{index,label,score,scores}…]}}
 *   <li>{@code POST /v1/embed {"inputs":[string | [token ids]…], "truncate", "encoding_format"}} →
 *       {@code {"tokens":[n…],"data":[{object,index,embedding}…]}}
 * </ul>
 * {@code data} is in the client's shape (OpenAI's), so the gateway passes it on without reading it ({@link ModelCalls}).
 * An input longer than the model takes is refused ({@code context_length_exceeded}) unless {@code truncate} is true.
 */
final class EncoderRoutes {
    private final Readiness readiness;
    private final Replies replies;
    private final java.nio.file.Path adaptersRoot;

    EncoderRoutes(Readiness readiness, Replies replies, java.nio.file.Path adaptersRoot) {
        this.readiness = readiness;
        this.replies = replies;
        this.adaptersRoot = adaptersRoot;
    }

    /**
     * Classifies with the served classifier, or, when the body names an {@code adapter} (set by the gateway for a
     * tenant's LoRA classifier), with that adapter on the served encoder, whichever task the encoder serves itself.
     */
    void classify(RoutingContext ctx) {
        JsonObject body = body(ctx);
        if (body == null) {
            return;
        }
        Object spec = body.getValue("adapter");
        if (spec == null) {
            if (readiness.ready(ctx, ServingProperties.CLASSIFICATION) instanceof ServedModel.Classifier classifier) {
                replies.respond(ctx, ModelCalls.classify(classifier, body), reply -> log(ctx, reply));
            }
            return;
        }
        AdapterRef adapter;
        try {
            adapter = AdapterRequests.parse((JsonObject) spec, adaptersRoot);
        } catch (IllegalArgumentException | ClassCastException e) {
            Replies.error(ctx, 400, "invalid_request", e instanceof ClassCastException ? "adapter must be an object" : e.getMessage());
            return;
        }
        ServedModel served = readiness.ready(ctx, null);
        if (served == null) {
            return;
        }
        if (served.adapted() == null) {
            Replies.error(ctx, 400, "wrong_task", "this worker's model takes no classifier adapters");
            return;
        }
        replies.respond(ctx, ModelCalls.classify(served.adapted(), body, adapter), reply -> log(ctx, reply));
    }

    void embed(RoutingContext ctx) {
        if (!(readiness.ready(ctx, ModelRuntime.FEATURE_EXTRACTION) instanceof ServedModel.Embedder embedder)) {
            return;
        }
        JsonObject body = body(ctx);
        if (body != null) {
            replies.respond(ctx, ModelCalls.embed(embedder, body), reply -> log(ctx, reply));
        }
    }

    /** The request's JSON object, or null after answering {@code invalid_json} (or {@code invalid_request} for none). */
    private static JsonObject body(RoutingContext ctx) {
        try {
            JsonObject body = ctx.body().asJsonObject();
            if (body == null) {
                Replies.error(ctx, 400, "invalid_request", "inputs", "request body must be a JSON object with a non-empty 'inputs' array");
            }
            return body;
        } catch (DecodeException | ClassCastException e) {
            Replies.error(ctx, 400, "invalid_json", "request body must be a JSON object");
            return null;
        }
    }

    /** Notes the answer's inputs and tokens in the request log (never their content). */
    private static JsonObject log(RoutingContext ctx, JsonObject reply) {
        LogFields.of(ctx).put("inputs", reply.getJsonArray("data").size());
        LogFields.of(ctx).put("tokens", ModelCalls.tokens(reply));
        return reply;
    }
}
