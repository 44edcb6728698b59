package io.lmaas.worker.serve;

import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.runtime.Classification;
import io.lmaas.worker.runtime.Encoded;
import io.lmaas.worker.runtime.Inputs;
import io.lmaas.worker.runtime.ModelRuntime;
import io.lmaas.worker.wlm.ServedModel;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Routes of the dynamically batched models.
 *
 * <ul>
 *   <li>{@code POST /v1/classify {"inputs":[string…], "truncate"}} → {@code {"data":[{label,score,scores,tokens}]}}
 *   <li>{@code POST /v1/embed {"inputs":[string | [token ids]…], "truncate"}} → {@code {"data":[{embedding,tokens}]}}
 * </ul>
 * An input longer than the model takes is refused ({@code context_length_exceeded}) unless {@code truncate} is true.
 */
final class EncoderRoutes {
    private final Readiness readiness;
    private final Replies replies;

    EncoderRoutes(Readiness readiness, Replies replies) {
        this.readiness = readiness;
        this.replies = replies;
    }

    void classify(RoutingContext ctx) {
        if (!(readiness.ready(ctx, ServingProperties.CLASSIFICATION) instanceof ServedModel.Classifier classifier)) {
            return;
        }
        List<String> texts = new ArrayList<>();
        boolean truncate;
        try {
            JsonObject body = ctx.body().asJsonObject();
            for (Object o : inputs(body)) {
                if (!(o instanceof String text)) {
                    Replies.error(ctx, 400, "invalid_request", "inputs", "'inputs' must hold strings only");
                    return;
                }
                texts.add(text);
            }
            truncate = Boolean.TRUE.equals(body.getValue("truncate"));
        } catch (DecodeException e) {
            Replies.error(ctx, 400, "invalid_json", "request body must be a JSON object");
            return;
        } catch (ClassCastException | NullPointerException | IllegalArgumentException e) {
            Replies.error(ctx, 400, "invalid_request", "inputs", "request body must be a JSON object with a non-empty 'inputs' array");
            return;
        }
        replies.respond(ctx, classifier.batcher().submit(texts, truncate), results -> {
            JsonArray data = new JsonArray();
            LogFields.of(ctx).put("inputs", results.size());
            LogFields.of(ctx).put("tokens", results.stream().mapToInt(Classification::tokens).sum());
            for (Classification c : results) {
                JsonObject scores = new JsonObject();
                c.scores().forEach(scores::put);
                data.add(new JsonObject().put("label", c.label()).put("score", c.score()).put("scores", scores)
                        .put("tokens", c.tokens()));
            }
            return new JsonObject().put("data", data);
        });
    }

    void embed(RoutingContext ctx) {
        if (!(readiness.ready(ctx, ModelRuntime.FEATURE_EXTRACTION) instanceof ServedModel.Embedder embedder)) {
            return;
        }
        List<Encoded> encoded;
        try {
            JsonObject body = ctx.body().asJsonObject();
            boolean truncate = Boolean.TRUE.equals(body.getValue("truncate"));
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
        } catch (DecodeException e) {
            Replies.error(ctx, 400, "invalid_json", "request body must be a JSON object");
            return;
        } catch (ClassCastException | NullPointerException e) {
            Replies.error(ctx, 400, "invalid_request", "inputs", "request body must be a JSON object with a non-empty 'inputs' array");
            return;
        } catch (IllegalArgumentException e) {
            replies.failed(ctx, e);
            return;
        }
        replies.respond(ctx, embedder.batcher().submitEncoded(encoded), vectors -> {
            JsonArray data = new JsonArray();
            int tokens = 0;
            for (int i = 0; i < vectors.size(); i++) {
                JsonArray values = new JsonArray(new ArrayList<>(vectors.get(i).length));
                for (float v : vectors.get(i)) {
                    values.add(v);
                }
                data.add(new JsonObject().put("embedding", values).put("tokens", encoded.get(i).tokens()));
                tokens += encoded.get(i).tokens();
            }
            LogFields.of(ctx).put("inputs", vectors.size());
            LogFields.of(ctx).put("tokens", tokens);
            return new JsonObject().put("data", data);
        });
    }

    /** The request's non-empty {@code inputs} array (IllegalArgumentException otherwise). */
    private static JsonArray inputs(JsonObject body) {
        JsonArray inputs = body.getJsonArray("inputs");
        if (inputs == null || inputs.isEmpty()) {
            throw new IllegalArgumentException("'inputs' must be a non-empty array");
        }
        return inputs;
    }
}
