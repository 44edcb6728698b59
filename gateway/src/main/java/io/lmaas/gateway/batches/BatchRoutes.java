package io.lmaas.gateway.batches;

import io.lmaas.core.files.FileRepository;
import io.lmaas.core.ids.Ids;
import io.lmaas.gateway.auth.ScopeHandler;
import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.gpu.JobResources;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.RequestSchemas;
import io.lmaas.gateway.http.Responder;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.Set;

/**
 * {@code /v1/batches}: create ({@code input_file_id} of a {@code batch} file, {@code endpoint}
 * {@code /v1/classifications}, {@code /v1/embeddings} or {@code /v1/completions}, {@code completion_window} {@code 24h},
 * optional {@code metadata}; LMaaS's own {@code gpu} and {@code priority} as for fine-tuning jobs), list ({@code after},
 * {@code limit}), get, cancel — OpenAI's shapes, tenant-scoped. A batch is a job the scheduler admits and a batch worker
 * runs ({@code lmaas worker batch}); no gateway is on its path.
 */
public final class BatchRoutes {
    static final Set<String> ENDPOINTS = Set.of("/v1/classifications", "/v1/completions", "/v1/embeddings");

    /** Batches run below serving and below fine-tuning jobs (0) unless their request says otherwise. */
    static final int DEFAULT_PRIORITY = -100;

    private final BatchRepository batches;
    private final BatchCancellation cancellation;
    private final FileRepository files;
    private final Responder responder;

    public BatchRoutes(Pool pool, BatchCancellation cancellation, Responder responder) {
        this.batches = new BatchRepository(pool);
        this.cancellation = cancellation;
        this.files = new FileRepository(pool);
        this.responder = responder;
    }

    public void addTo(Router r) {
        r.post("/batches").handler(ScopeHandler.BATCHES).handler(RequestSchemas.API.body("createBatch")).handler(this::create);
        r.get("/batches").handler(ScopeHandler.BATCHES).handler(ctx -> {
            int limit = Params.queryInt(ctx, "limit", 20, 1, 100);
            batches.list(tenant(ctx), Params.query(ctx, "after"), limit).onSuccess(list -> {
                JsonArray data = new JsonArray();
                list.forEach(b -> data.add(b.toJson()));
                responder.json(ctx, 200, new JsonObject().put("object", "list").put("data", data).put("has_more", list.size() == limit)
                        .put("first_id", list.isEmpty() ? null : list.get(0).id())
                        .put("last_id", list.isEmpty() ? null : list.get(list.size() - 1).id()));
            }).onFailure(ctx::fail);
        });
        r.get("/batches/:id").handler(ScopeHandler.BATCHES).handler(ctx -> own(ctx).onSuccess(b -> responder.json(ctx, 200, b.toJson())).onFailure(ctx::fail));
        r.post("/batches/:id/cancel").handler(ScopeHandler.BATCHES).handler(ctx -> own(ctx)
                .compose(b -> cancellation.cancel(b).compose(cancelled -> cancelled ? batches.find(tenant(ctx), b.id())
                        : Future.failedFuture(ApiException.badRequest("invalid_request", null, "Batch '" + b.id() + "' has already "
                                + b.status() + "; only batches that have not ended can be cancelled."))))
                .onSuccess(b -> responder.json(ctx, 200, b.toJson()))
                .onFailure(ctx::fail));
    }

    private void create(RoutingContext ctx) {
        JsonObject body = Json.body(ctx);
        String input = string(body, "input_file_id");
        String endpoint = string(body, "endpoint");
        if (!ENDPOINTS.contains(endpoint)) {
            throw ApiException.invalidParam("endpoint", "'endpoint' must be one of " + ENDPOINTS.stream().sorted().toList());
        }
        Object window = body.getValue("completion_window");
        if (!"24h".equals(window)) {
            throw ApiException.invalidParam("completion_window", "'completion_window' must be \"24h\"");
        }
        Object metadata = body.getValue("metadata");
        if (metadata != null && !(metadata instanceof JsonObject m && m.size() <= 16
                && m.stream().allMatch(e -> e.getValue() instanceof String v && e.getKey().length() <= 64 && v.length() <= 512))) {
            throw ApiException.invalidParam("metadata", "'metadata' must be up to 16 string pairs (keys up to 64, values up to 512"
                    + " characters)");
        }
        JobResources resources = JobResources.parse(body, DEFAULT_PRIORITY);
        TenantPrincipal p = TenantPrincipal.of(ctx);
        files.find(p.tenantId(), input).compose(f -> {
            if (f == null) {
                return Future.failedFuture(ApiException.badRequest("invalid_file", "input_file_id", "No file '" + input + "'."));
            }
            if (!"batch".equals(f.purpose())) {
                return Future.failedFuture(ApiException.badRequest("invalid_file", "input_file_id", "File '" + input
                        + "' was uploaded for " + f.purpose() + ", not batch."));
            }
            return batches.create(Ids.batch(), p.tenantId(), resources, new JsonObject().put("input_file_id", input).put("endpoint", endpoint)
                    .put("completion_window", "24h").put("metadata", metadata).put("key_id", p.keyId())
                    .put("scopes", p.scopes().toJson()).put("key_limits", p.keyLimits().toJson()));
        }).onSuccess(b -> responder.json(ctx, 200, b.toJson())).onFailure(ctx::fail);
    }

    private Future<BatchRecord> own(RoutingContext ctx) {
        String id = Params.path(ctx, "id");
        return batches.find(tenant(ctx), id).compose(b -> b != null ? Future.succeededFuture(b)
                : Future.failedFuture(ApiException.notFound("batch_not_found", "No batch '" + id + "'.")));
    }

    private static String string(JsonObject body, String field) {
        Object v = body.getValue(field);
        if (v == null) {
            throw ApiException.missingParam(field);
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw ApiException.invalidParam(field, "'" + field + "' must be a non-empty string");
        }
        return s;
    }

    private static String tenant(RoutingContext ctx) {
        return TenantPrincipal.of(ctx).tenantId();
    }

    static List<String> endpoints() {
        return ENDPOINTS.stream().sorted().toList();
    }
}
