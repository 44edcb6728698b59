package io.lmaas.worker.serve;

import io.lmaas.worker.wlm.ServedModel;
import io.vertx.ext.web.RoutingContext;

/** The served model if it is ready for {@code task} (null: any); otherwise the request has been answered and it is null. */
@FunctionalInterface
interface Readiness {
    ServedModel ready(RoutingContext ctx, String task);
}
