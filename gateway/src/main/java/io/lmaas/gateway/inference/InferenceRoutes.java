package io.lmaas.gateway.inference;

import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.ids.Ids;
import io.lmaas.gateway.auth.ScopeHandler;
import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.RequestContext;
import io.lmaas.gateway.http.RequestSchemas;
import io.lmaas.gateway.http.Responder;
import io.lmaas.gateway.quota.Admission;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.usage.Metering;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;

/**
 * The tenant inference API, OpenAI-compatible where OpenAI has the endpoint: {@code GET /v1/models},
 * {@code GET /v1/models/{id}}, {@code POST /v1/classifications}, {@code POST /v1/completions},
 * {@code POST /v1/chat/completions}. Handlers parse, admit against quotas, call {@link InferenceService},
 * record usage on the request's draft, render (or stream).
 */
public final class InferenceRoutes {
    private final InferenceService service;
    private final QuotaService quota;
    private final Responder responder;

    public InferenceRoutes(InferenceService service, QuotaService quota, Responder responder) {
        this.service = service;
        this.quota = quota;
        this.responder = responder;
    }

    /**
     * Admits the request against the tenant's and key's budgets, reserving {@code tokens} (an upper bound). An answer
     * given at once may be admitted with less than the bound where a token budget has less left ({@link #within});
     * a stream, whose tokens leave as they come, needs its whole bound.
     */
    private Future<Admission> admit(RoutingContext ctx, long tokens, boolean whole) {
        TenantPrincipal p = TenantPrincipal.of(ctx);
        return (whole ? quota.admit(p.tenantId(), p.keyId(), p.keyLimits(), tokens)
                : quota.admitUpTo(p.tenantId(), p.keyId(), p.keyLimits(), tokens))
                .onSuccess(a -> Metering.draft(ctx).admission(a));
    }

    /** The answer's real cost fits what was reserved; otherwise it is withheld (nothing billed) with the budget's refusal. */
    private static <T> Future<T> within(RoutingContext ctx, long tokens, T answer) {
        io.lmaas.gateway.http.ApiException refusal = Metering.draft(ctx).admissionOrNull() == null ? null
                : Metering.draft(ctx).admissionOrNull().shortfall(tokens);
        return refusal == null ? Future.succeededFuture(answer) : Future.failedFuture(refusal);
    }

    /** Adds the routes to the {@code /v1} router (behind authentication, scopes and metering). */
    public void addTo(Router r) {
        r.get("/models").handler(ScopeHandler.INFERENCE).handler(this::listModels);
        r.get("/models/:id").handler(ScopeHandler.INFERENCE).handler(this::getModel);
        RequestSchemas schemas = RequestSchemas.API; // each body checked against the API document first
        r.post("/classifications").handler(ScopeHandler.INFERENCE)
                .handler(schemas.body("createClassification", InferenceRoutes::meterModel)).handler(this::classify);
        r.post("/embeddings").handler(ScopeHandler.INFERENCE)
                .handler(schemas.body("createEmbedding", InferenceRoutes::meterModel)).handler(this::embed);
        r.post("/completions").handler(ScopeHandler.INFERENCE)
                .handler(schemas.body("createCompletion", InferenceRoutes::meterModel)).handler(this::complete);
        r.post("/chat/completions").handler(ScopeHandler.INFERENCE)
                .handler(schemas.body("createChatCompletion", InferenceRoutes::meterModel)).handler(this::chat);
    }

    /** The model a request names, for its usage row, whether or not the request is then refused. */
    private static void meterModel(RoutingContext ctx, JsonObject body) {
        Metering.draft(ctx).model(body.getValue("model") instanceof String s ? s : null);
    }

    private void listModels(RoutingContext ctx) {
        JsonArray data = new JsonArray();
        service.models(TenantPrincipal.of(ctx)).forEach(m -> data.add(modelJson(m)));
        responder.json(ctx, 200, new JsonObject().put("object", "list").put("data", data));
    }

    private void getModel(RoutingContext ctx) {
        Metering.draft(ctx).model(Params.path(ctx, "id"));
        responder.json(ctx, 200, modelJson(service.model(TenantPrincipal.of(ctx), Params.path(ctx, "id"))));
    }

    /**
     * The worker's items are passed on as it wrote them; with explanations (rare: each costs the tokens once more per step)
     * they are decoded to add one to each.
     */
    private void classify(RoutingContext ctx) {
        JsonObject body = Json.body(ctx);
        ClassificationRequest request = ClassificationRequest.parse(body);
        ModelRecord model = service.servable(TenantPrincipal.of(ctx), request.model(), ModelTask.TEXT_CLASSIFICATION,
                "/v1/classifications");
        String id = RequestContext.requestId(ctx);
        int steps = request.explainSteps();
        Future<PassedAnswer> answered = admit(ctx, request.costBound(), false)
                .compose(a -> service.classify(model, request, id))
                // An explanation costs the tokens once more per step; it runs only once that is known to fit the budget.
                .compose(answer -> within(ctx, (long) answer.tokens() * (1 + steps), answer));
        if (steps == 0) {
            answered.onSuccess(answer -> {
                Metering.draft(ctx).tokens(answer.tokens(), 0);
                responder.json(ctx, 200, Responses.classification("clf-" + id, request.model(), answer));
            }).onFailure(ctx::fail);
            return;
        }
        answered.compose(answer -> service.explain(model, request, id).map(explained -> {
            Metering.draft(ctx).tokens(answer.tokens() * (1 + steps), 0);
            return Responses.classification("clf-" + id, request.model(), answer.items(), answer.tokens(), explained, steps);
        })).onSuccess(answer -> responder.json(ctx, 200, answer)).onFailure(ctx::fail);
    }

    private void embed(RoutingContext ctx) {
        JsonObject body = Json.body(ctx);
        EmbeddingRequest request = EmbeddingRequest.parse(body);
        ModelRecord model = service.servable(TenantPrincipal.of(ctx), request.model(), ModelTask.FEATURE_EXTRACTION, "/v1/embeddings");
        admit(ctx, request.tokenBound(), false)
                .compose(a -> service.embed(model, request, RequestContext.requestId(ctx)))
                .compose(answer -> within(ctx, answer.tokens(), answer))
                .onSuccess(answer -> {
                    Metering.draft(ctx).tokens(answer.tokens(), 0);
                    responder.json(ctx, 200, Responses.embeddings(request.model(), answer));
                })
                .onFailure(ctx::fail);
    }

    private void complete(RoutingContext ctx) {
        JsonObject body = Json.body(ctx);
        CompletionRequest request = CompletionRequest.parse(body);
        ModelRecord model = service.servable(TenantPrincipal.of(ctx), request.model(), ModelTask.TEXT_GENERATION,
                "/v1/completions");
        List<JsonObject> bodies = request.workerBodies();
        generate(ctx, model, request.model(), request.sampling(), request.tokenBound(), bodies, GenerationStream.Shape.TEXT,
                "cmpl-", results -> new JsonObject().put("object", "text_completion").put("choices", Responses.completionChoices(results)));
    }

    private void chat(RoutingContext ctx) {
        JsonObject body = Json.body(ctx);
        ChatRequest request = ChatRequest.parse(body);
        ModelRecord model = service.servable(TenantPrincipal.of(ctx), request.model(), ModelTask.TEXT_GENERATION,
                "/v1/chat/completions");
        List<JsonObject> bodies = List.of(request.sampling().toWorker(new JsonObject().put("messages", request.messages())));
        generate(ctx, model, request.model(), request.sampling(), request.tokenBound(), bodies, GenerationStream.Shape.CHAT,
                "chatcmpl-", results -> {
                    InferenceService.Completed c = results.get(0);
                    JsonObject message = new JsonObject().put("role", "assistant").put("content", c.text()).putNull("refusal");
                    return new JsonObject().put("object", "chat.completion").put("choices", new JsonArray()
                            .add(new JsonObject().put("index", 0).put("message", message).putNull("logprobs")
                                    .put("finish_reason", c.finishReason())));
                });
    }

    /** Admits, then streams or answers once with {@code render}'s choices plus id, created, model and usage. */
    private void generate(RoutingContext ctx, ModelRecord model, String modelName, Sampling sampling, long tokenBound,
            List<JsonObject> bodies, GenerationStream.Shape shape, String idPrefix,
            Function<List<InferenceService.Completed>, JsonObject> render) {
        String id = idPrefix + Ids.random(24);
        long created = Instant.now().getEpochSecond();
        String requestId = RequestContext.requestId(ctx);
        if (sampling.stream()) {
            admit(ctx, tokenBound, true).onSuccess(a -> {
                GenerationStream stream = new GenerationStream(shape, ctx, responder, id, created, modelName,
                        sampling.includeUsage());
                service.generateStream(model, bodies.get(0), requestId, stream).onSuccess(stream::attach)
                        .onFailure(stream::failedToStart);
            }).onFailure(ctx::fail);
            return;
        }
        admit(ctx, tokenBound, false).compose(a -> service.generate(model, bodies, requestId)).compose(results -> within(ctx,
                results.stream().mapToLong(c -> (long) c.promptTokens() + c.completionTokens()).sum(), results)).onSuccess(results -> {
            int prompt = results.stream().mapToInt(InferenceService.Completed::promptTokens).sum();
            int completion = results.stream().mapToInt(InferenceService.Completed::completionTokens).sum();
            Metering.draft(ctx).tokens(prompt, completion);
            JsonObject answer = render.apply(results);
            responder.json(ctx, 200, new JsonObject()
                    .put("id", id)
                    .put("object", answer.getString("object"))
                    .put("created", created)
                    .put("model", modelName)
                    .put("choices", answer.getJsonArray("choices"))
                    .put("usage", new JsonObject().put("prompt_tokens", prompt).put("completion_tokens", completion)
                            .put("total_tokens", prompt + completion)));
        }).onFailure(ctx::fail);
    }

    private static JsonObject modelJson(ModelRecord m) {
        return new JsonObject()
                .put("id", m.id())
                .put("object", "model")
                .put("created", m.createdAt().toEpochSecond())
                .put("owned_by", m.ownerTenantId() == null ? "lmaas" : m.ownerTenantId())
                .put("task", m.task().wireName());
    }
}
