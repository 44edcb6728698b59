package io.lmaas.gateway.finetuning;

import io.lmaas.core.jobs.JobEvent;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.gateway.auth.ScopeHandler;
import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.Json;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.RequestSchemas;
import io.lmaas.gateway.http.Responder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * {@code /v1/fine_tuning/jobs}: create, list ({@code after}, {@code limit}), get, cancel, events (newest first,
 * {@code limit}), checkpoints — OpenAI's shapes, the calling tenant's jobs only (another tenant's is a 404).
 */
public final class FineTuningRoutes {
    private final FineTuningService service;
    private final Responder responder;

    public FineTuningRoutes(FineTuningService service, Responder responder) {
        this.service = service;
        this.responder = responder;
    }

    public void addTo(Router r) {
        r.post("/fine_tuning/jobs").handler(ScopeHandler.FINE_TUNING).handler(RequestSchemas.API.body("createFineTuningJob")).handler(ctx -> service.create(io.lmaas.gateway.auth.TenantPrincipal.of(ctx), FineTuningRequest.parse(Json.body(ctx)))
                .onSuccess(j -> responder.json(ctx, 200, FineTuningJobs.job(j)))
                .onFailure(ctx::fail));
        r.get("/fine_tuning/jobs").handler(ScopeHandler.FINE_TUNING).handler(ctx -> {
            int limit = Params.queryInt(ctx, "limit", 20, 1, 100);
            service.jobs().listForTenant(tenant(ctx), "fine_tuning", Params.query(ctx, "after"), limit)
                    .onSuccess(list -> responder.json(ctx, 200, page(list.stream().map(FineTuningJobs::job).toList(), limit)))
                    .onFailure(ctx::fail);
        });
        r.get("/fine_tuning/jobs/:id").handler(ScopeHandler.FINE_TUNING).handler(ctx -> service.own(tenant(ctx), Params.path(ctx, "id"))
                .onSuccess(j -> responder.json(ctx, 200, FineTuningJobs.job(j)))
                .onFailure(ctx::fail));
        r.post("/fine_tuning/jobs/:id/cancel").handler(ScopeHandler.FINE_TUNING).handler(ctx -> service.cancel(tenant(ctx), Params.path(ctx, "id"))
                .onSuccess(j -> responder.json(ctx, 200, FineTuningJobs.job(j)))
                .onFailure(ctx::fail));
        r.get("/fine_tuning/jobs/:id/events").handler(ScopeHandler.FINE_TUNING).handler(ctx -> {
            int limit = Params.queryInt(ctx, "limit", 20, 1, 100);
            service.own(tenant(ctx), Params.path(ctx, "id")).compose(j -> service.jobs().events(j.id()))
                    .onSuccess(events -> {
                        List<JobEvent> newest = new ArrayList<>(events);
                        Collections.reverse(newest);
                        List<JsonObject> page = newest.subList(0, Math.min(limit, newest.size())).stream()
                                .map(FineTuningJobs::event).toList();
                        responder.json(ctx, 200, page(page, limit));
                    })
                    .onFailure(ctx::fail);
        });
        r.get("/fine_tuning/jobs/:id/checkpoints").handler(ScopeHandler.FINE_TUNING).handler(ctx -> {
            int limit = Params.queryInt(ctx, "limit", 10, 1, 100);
            service.own(tenant(ctx), Params.path(ctx, "id")).compose(j -> service.jobs().checkpoints(j.id()).map(list -> {
                List<JobRecordCheckpoint> out = new ArrayList<>();
                list.forEach(c -> out.add(new JobRecordCheckpoint(j, c)));
                Collections.reverse(out);
                return out.subList(0, Math.min(limit, out.size())).stream().map(x -> FineTuningJobs.checkpoint(x.job(), x.c())).toList();
            })).onSuccess(items -> responder.json(ctx, 200, page(items, limit))).onFailure(ctx::fail);
        });
    }

    private record JobRecordCheckpoint(JobRecord job, io.lmaas.core.jobs.JobRepository.Checkpoint c) {
    }

    private static String tenant(RoutingContext ctx) {
        return TenantPrincipal.of(ctx).tenantId();
    }

    private static JsonObject page(List<JsonObject> items, int limit) {
        return new JsonObject().put("object", "list").put("data", new JsonArray(new ArrayList<>(items)))
                .put("has_more", items.size() == limit)
                .put("first_id", items.isEmpty() ? null : items.get(0).getString("id"))
                .put("last_id", items.isEmpty() ? null : items.get(items.size() - 1).getString("id"));
    }
}
