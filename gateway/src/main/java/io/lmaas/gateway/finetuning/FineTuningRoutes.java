package io.lmaas.gateway.finetuning;

import io.lmaas.core.jobs.JobEvent;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.gateway.auth.TenantPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.Responder;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code GET /v1/fine_tuning/jobs[/{id}[/events]]}: the calling tenant's jobs, where they stand and why
 * they wait (another tenant's job is a 404). Events are newest first, {@code limit} 1–100 (default 20).
 */
public final class FineTuningRoutes {
    private final JobRepository jobs;
    private final Responder responder;

    public FineTuningRoutes(JobRepository jobs, Responder responder) {
        this.jobs = jobs;
        this.responder = responder;
    }

    public void addTo(Router r) {
        r.get("/fine_tuning/jobs").handler(ctx -> jobs.listForTenant(TenantPrincipal.of(ctx).tenantId(), "fine_tuning",
                        Params.queryInt(ctx, "limit", 20, 1, 100))
                .onSuccess(list -> responder.json(ctx, 200, page(list.stream().map(FineTuningJobs::job).toList())))
                .onFailure(ctx::fail));
        r.get("/fine_tuning/jobs/:id").handler(ctx -> own(ctx)
                .onSuccess(j -> responder.json(ctx, 200, FineTuningJobs.job(j)))
                .onFailure(ctx::fail));
        r.get("/fine_tuning/jobs/:id/events").handler(ctx -> {
            int limit = Params.queryInt(ctx, "limit", 20, 1, 100);
            own(ctx).compose(j -> jobs.events(j.id()))
                    .onSuccess(events -> {
                        List<JobEvent> newest = new java.util.ArrayList<>(events);
                        java.util.Collections.reverse(newest);
                        newest = newest.subList(0, Math.min(limit, newest.size()));
                        responder.json(ctx, 200, page(newest.stream().map(FineTuningJobs::event).toList()));
                    })
                    .onFailure(ctx::fail);
        });
    }

    private Future<JobRecord> own(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        String tenant = TenantPrincipal.of(ctx).tenantId();
        return jobs.find(id).compose(j -> j != null && j.tenantId().equals(tenant) && "fine_tuning".equals(j.kind())
                ? Future.succeededFuture(j)
                : Future.failedFuture(ApiException.notFound("fine_tuning_job_not_found", "No fine-tuning job '" + id + "'.")));
    }

    private static JsonObject page(List<JsonObject> items) {
        return new JsonObject().put("object", "list").put("data", new JsonArray(items)).put("has_more", false);
    }
}
