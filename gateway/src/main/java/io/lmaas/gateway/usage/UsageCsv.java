package io.lmaas.gateway.usage;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** A usage report (grouped or raw rows) as CSV, RFC 4180 quoting, header first (pure). */
public final class UsageCsv {
    private static final List<String> SUMS = List.of("requests", "errors", "prompt_tokens", "completion_tokens", "total_tokens",
            "compute_seconds");
    private static final List<String> ROWS = List.of("request_id", "created_at", "key_id", "model", "endpoint", "status", "error_code",
            "prompt_tokens", "completion_tokens", "latency_ms", "compute_seconds");

    private UsageCsv() {
    }

    public static String render(JsonObject report, String groupBy) {
        List<String> columns;
        if (groupBy == null) {
            columns = ROWS;
        } else {
            String key = "key".equals(groupBy) ? "key_id" : groupBy;
            columns = new java.util.ArrayList<>(List.of(key));
            columns.addAll(SUMS);
        }
        StringBuilder out = new StringBuilder(String.join(",", columns)).append("\r\n");
        JsonArray data = report.getJsonArray("data", new JsonArray());
        for (Object o : data) {
            JsonObject row = (JsonObject) o;
            for (int i = 0; i < columns.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                out.append(field(row.getValue(columns.get(i))));
            }
            out.append("\r\n");
        }
        return out.toString();
    }

    static String field(Object v) {
        if (v == null) {
            return "";
        }
        String s = v.toString();
        // Quote what CSV needs quoted, and neutralise spreadsheet formulas.
        if (!s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0 && !(v instanceof Number)) {
            s = "'" + s;
        }
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }
}
