package io.lmaas.gateway.admin;

import io.lmaas.core.jobs.JobEvent;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.gateway.auth.AdminPrincipal;
import io.lmaas.gateway.batches.BatchRecord;
import io.lmaas.gateway.batches.BatchCancellation;
import io.lmaas.gateway.finetuning.FineTuningJobs;
import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.http.Params;
import io.lmaas.gateway.http.Responder;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * {@code /admin/v1/jobs}: fine-tuning jobs and batches of the tenants the caller may see — list (tenant,
 * status, cursor), get (with {@code progress}), events (newest first), checkpoints, cancel. A job of a
 * tenant the caller cannot see is 404.
 */
public final class AdminJobRoutes {
    private static final Set<String> ENDED = Set.of("succeeded", "failed", "cancelled", "completed");

    private final JobRepository jobs;
    private final java.util.Optional<BatchCancellation> batches;
    private final Responder responder;

    public AdminJobRoutes(JobRepository jobs, java.util.Optional<BatchCancellation> batches, Responder responder) {
        this.jobs = jobs;
        this.batches = batches;
        this.responder = responder;
    }

    public void addTo(Router r) {
        r.get("/jobs").handler(this::list);
        r.get("/jobs/:id").handler(ctx -> visible(ctx).onSuccess(j -> responder.json(ctx, 200, json(j))).onFailure(ctx::fail));
        r.get("/jobs/:id/events").handler(ctx -> {
            int limit = Params.queryInt(ctx, "limit", 100, 1, 1000);
            visible(ctx).compose(j -> jobs.events(j.id())).onSuccess(events -> {
                List<JobEvent> newest = new ArrayList<>(events);
                Collections.reverse(newest);
                JsonArray data = new JsonArray();
                newest.subList(0, Math.min(limit, newest.size())).forEach(e -> data.add(FineTuningJobs.event(e)));
                responder.json(ctx, 200, new JsonObject().put("object", "list").put("data", data).put("has_more", newest.size() > limit));
            }).onFailure(ctx::fail);
        });
        r.get("/jobs/:id/checkpoints").handler(ctx -> visible(ctx).compose(j -> jobs.checkpoints(j.id()).map(list -> {
            JsonArray data = new JsonArray();
            list.forEach(c -> data.add(FineTuningJobs.checkpoint(j, c)));
            return new JsonObject().put("object", "list").put("data", data);
        })).onSuccess(body -> responder.json(ctx, 200, body)).onFailure(ctx::fail));
        r.post("/jobs/:id/cancel").handler(ctx -> visible(ctx).compose(j -> {
            Future<Boolean> cancelled = !"batch".equals(j.kind()) ? jobs.cancel(j.id()) : batches.isPresent()
                    ? batches.get().cancel(BatchRecord.of(j)) : Future.failedFuture(ApiException.unavailable("artifacts_unavailable",
                            "this gateway has no artifact store, so it cannot cancel batches", 5));
            return cancelled.compose(ok -> ok ? jobs.find(j.id()) : Future.failedFuture(ApiException.badRequest("invalid_request", null,
                    "Job '" + j.id() + "' has already " + j.status() + "; only jobs that have not ended can be cancelled.")));
        }).onSuccess(j -> responder.json(ctx, 200, json(j))).onFailure(ctx::fail));
    }

    private void list(RoutingContext ctx) {
        AdminPrincipal p = AdminPrincipal.of(ctx);
        int limit = Params.queryInt(ctx, "limit", 50, 1, 500);
        String tenant = Params.query(ctx, "tenant_id");
        List<String> tenants;
        if (tenant != null && !tenant.isBlank()) {
            p.requireTenant(tenant);
            tenants = List.of(tenant);
        } else {
            tenants = p.tenantFilter();
        }
        String status = Params.query(ctx, "status");
        jobs.list(tenants, status == null || status.isBlank() ? null : status, Params.query(ctx, "after"), limit).onSuccess(list -> {
            JsonArray data = new JsonArray();
            list.forEach(j -> data.add(json(j)));
            responder.json(ctx, 200, new JsonObject().put("object", "list").put("data", data).put("has_more", list.size() == limit)
                    .put("last_id", list.isEmpty() ? null : list.get(list.size() - 1).id()));
        }).onFailure(ctx::fail);
    }

    private Future<JobRecord> visible(RoutingContext ctx) {
        String id = Params.path(ctx, "id");
        AdminPrincipal p = AdminPrincipal.of(ctx);
        return jobs.find(id).compose(j -> j != null && p.canSee(j.tenantId()) ? Future.succeededFuture(j)
                : Future.failedFuture(ApiException.notFound("job_not_found", "No job '" + id + "', or you cannot see it.")));
    }

    /** A job as the console shows it: its public shape plus kind, tenant and progress. */
    static JsonObject json(JobRecord j) {
        JsonObject result = j.result() == null ? new JsonObject() : j.result();
        JsonObject body;
        JsonObject progress = null;
        if ("batch".equals(j.kind())) {
            body = BatchRecord.of(j).toJson();
            JsonObject counts = body.getJsonObject("request_counts");
            if (counts != null && counts.getInteger("total", 0) > 0) {
                progress = new JsonObject().put("step", counts.getInteger("completed", 0) + counts.getInteger("failed", 0))
                        .put("total_steps", counts.getInteger("total"));
            }
        } else {
            body = FineTuningJobs.job(j);
            if (result.getValue("total_steps") instanceof Number total && total.longValue() > 0) {
                long step = "succeeded".equals(j.status()) ? total.longValue() : result.getLong("step", 0L);
                progress = new JsonObject().put("step", step).put("total_steps", total.longValue());
            }
        }
        return body.put("kind", j.kind()).put("tenant_id", j.tenantId()).put("progress", progress)
                .put("finished", ENDED.contains(j.status()));
    }
}
