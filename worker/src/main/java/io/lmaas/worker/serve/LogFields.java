package io.lmaas.worker.serve;

import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;

/** Fields a route adds to its request's log line (counts only, never content). */
final class LogFields {
    private LogFields() {
    }

    static Map<String, Object> of(RoutingContext ctx) {
        Map<String, Object> fields = ctx.get("log.fields");
        if (fields == null) {
            fields = new LinkedHashMap<>();
            ctx.put("log.fields", fields);
        }
        return fields;
    }
}
