package io.lmaas.worker.serve;

import io.lmaas.worker.modeldir.ServingProperties;
import io.lmaas.worker.explain.Explained;
import io.lmaas.worker.explain.Explaining;
import io.lmaas.worker.wlm.ServedModel;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/explain {"inputs":[string…], "steps": 32, "truncate"}} → {@code {"data":[{label, score, tokens,
 * attributions, gap, steps, token_count}]}}: integrated gradients for a classifier's label of each input (Hugging Face
 * encoder classifiers and the starter). Explanations are not batched with classifications: each is a forward and a backward pass per step, so they run
 * one at a time on a thread of their own (memory stays bounded) and a request may ask for at most
 * {@value #MAX_TOKEN_STEPS} tokens × steps ({@code 400 explanation_too_large} above, counted on the real tokens).
 */
final class ExplanationRoutes {
    static final int MAX_TOKEN_STEPS = 65_536;

    /** A request that asks for more tokens × steps than one request may. */
    static final class TooLarge extends IllegalArgumentException {
        TooLarge(long tokenSteps) {
            super("explaining these inputs takes " + tokenSteps + " tokens × steps; at most " + MAX_TOKEN_STEPS
                    + " per request (fewer steps, shorter or fewer inputs)");
        }
    }

    private final Readiness readiness;
    private final Replies replies;
    private final WorkerExecutor executor;

    ExplanationRoutes(Readiness readiness, Replies replies, WorkerExecutor executor) {
        this.readiness = readiness;
        this.replies = replies;
        this.executor = executor;
    }

    void explain(RoutingContext ctx) {
        if (!(readiness.ready(ctx, ServingProperties.CLASSIFICATION) instanceof ServedModel.Classifier classifier)) {
            return;
        }
        if (!(classifier.runtime() instanceof Explaining model)) {
            Replies.error(ctx, 400, "explanations_unsupported", "this model does not explain its classifications");
            return;
        }
        JsonObject body = ctx.body().asJsonObject(); // checked against the worker's API document (WorkerApi)
        List<String> texts = new ArrayList<>();
        body.getJsonArray("inputs").forEach(o -> texts.add((String) o));
        int steps = body.getInteger("steps", 32);
        boolean truncate = Boolean.TRUE.equals(body.getValue("truncate"));
        replies.respond(ctx, executor.<List<Explained>>executeBlocking(() -> {
            long tokenSteps = 0;
            for (String text : texts) {
                tokenSteps += (long) Math.min(model.countTokens(text), model.maxTokens()) * steps;
            }
            if (tokenSteps > MAX_TOKEN_STEPS) {
                throw new TooLarge(tokenSteps);
            }
            List<Explained> out = new ArrayList<>();
            for (String text : texts) {
                out.add(model.explain(text, truncate, steps));
            }
            return out;
        }, false).toCompletionStage().toCompletableFuture(), explained -> {
            JsonArray data = new JsonArray();
            for (Explained e : explained) {
                JsonArray attributions = new JsonArray();
                for (float a : e.attributions()) {
                    attributions.add(a);
                }
                data.add(new JsonObject().put("label", e.label()).put("score", e.score())
                        .put("tokens", new JsonArray(List.of(e.tokens()))).put("attributions", attributions)
                        .put("gap", e.gap()).put("steps", e.steps()).put("token_count", e.count()));
            }
            LogFields.of(ctx).put("inputs", explained.size());
            return new JsonObject().put("data", data);
        });
    }
}
