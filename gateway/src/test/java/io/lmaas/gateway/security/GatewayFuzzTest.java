package io.lmaas.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.catalog.ModelTask;
import io.lmaas.gateway.http.RequestGuards;
import io.lmaas.gateway.quota.QuotaService;
import io.lmaas.gateway.testing.Gateways;
import io.lmaas.gateway.testing.RawHttp;
import io.lmaas.gateway.testing.StandInWorker;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A bounded fuzz run against a running gateway: a few thousand generated hostile requests (seeded, so a failure
 * replays) across every tenant and admin endpoint — odd path spellings, NUL and control characters, huge and negative
 * numbers, wrong JSON types, broken JSON, odd methods, multipart uploads with hostile names and truncated bodies. Each
 * must be answered within 10 s, never with a 5xx, every 4xx in the JSON error shape with a code; afterwards no upload
 * is left half-written and every stored file has its row.
 */
class GatewayFuzzTest {
    private static final long SEED = Long.getLong("lmaas.fuzz.seed", 20261130L);
    private static final int REQUESTS = Integer.getInteger("lmaas.fuzz.requests", 3000);
    private static Gateways gateways;
    private static StandInWorker worker;
    private static int port;
    private static String tenant;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        gateways = Gateways.start(0, QuotaService.Settings.DEFAULT);
        gateways.add(QuotaService.Settings.DEFAULT, new RequestGuards(Duration.ofSeconds(2), Duration.ofSeconds(3),
                Duration.ofSeconds(5), Duration.ofSeconds(30), 0));
        port = gateways.port(0);
        worker = StandInWorker.start();
        gateways.model("fuzz-sentiment", ModelTask.TEXT_CLASSIFICATION, null, worker.url());
        gateways.model("fuzz-writer", ModelTask.TEXT_GENERATION, null, worker.url());
        tenant = gateways.tenant("fuzz");
        key = gateways.key(tenant);
    }

    @AfterAll
    static void stop() throws Exception {
        worker.close();
        gateways.close();
    }

    private static final String[][] TENANT = {
            {"GET", "/v1/models"}, {"GET", "/v1/models/{id}"}, {"POST", "/v1/classifications"}, {"POST", "/v1/completions"},
            {"POST", "/v1/chat/completions"}, {"GET", "/v1/usage"}, {"GET", "/v1/files"}, {"POST", "/v1/files"},
            {"GET", "/v1/files/{id}"}, {"GET", "/v1/files/{id}/content"}, {"DELETE", "/v1/files/{id}"},
            {"POST", "/v1/fine_tuning/jobs"}, {"GET", "/v1/fine_tuning/jobs"}, {"GET", "/v1/fine_tuning/jobs/{id}"},
            {"POST", "/v1/fine_tuning/jobs/{id}/cancel"}, {"GET", "/v1/fine_tuning/jobs/{id}/events"},
            {"GET", "/v1/fine_tuning/jobs/{id}/checkpoints"}, {"POST", "/v1/batches"}, {"GET", "/v1/batches"},
            {"GET", "/v1/batches/{id}"}, {"POST", "/v1/batches/{id}/cancel"}};
    private static final String[][] ADMIN = {
            {"GET", "/admin/v1/me"}, {"GET", "/admin/v1/overview"}, {"POST", "/admin/v1/tenants"}, {"GET", "/admin/v1/tenants"},
            {"GET", "/admin/v1/tenants/{tenant}"}, {"GET", "/admin/v1/tenants/{tenant}/limits"},
            {"PUT", "/admin/v1/tenants/{tenant}/limits"}, {"GET", "/admin/v1/tenants/{tenant}/gpu-queue"},
            {"PUT", "/admin/v1/tenants/{tenant}/gpu-queue"}, {"POST", "/admin/v1/tenants/{tenant}/keys"},
            {"GET", "/admin/v1/tenants/{tenant}/keys"}, {"GET", "/admin/v1/tenants/{tenant}/keys/{id}"},
            {"DELETE", "/admin/v1/tenants/{tenant}/keys/{id}"}, {"POST", "/admin/v1/tenants/{tenant}/keys/{id}/rotate"},
            {"PUT", "/admin/v1/tenants/{tenant}/keys/{id}/limits"}, {"GET", "/admin/v1/tenants/{tenant}/usage"},
            {"GET", "/admin/v1/audit"}, {"GET", "/admin/v1/jobs"}, {"GET", "/admin/v1/jobs/{id}"},
            {"GET", "/admin/v1/jobs/{id}/events"}, {"POST", "/admin/v1/jobs/{id}/cancel"}, {"GET", "/admin/v1/models"},
            {"POST", "/admin/v1/models"}, {"GET", "/admin/v1/deployments"}, {"POST", "/admin/v1/deployments"},
            {"PATCH", "/admin/v1/deployments/{id}"}, {"DELETE", "/admin/v1/deployments/{id}"}};
    private static final String[] FIELDS = {"model", "input", "prompt", "messages", "max_tokens", "temperature", "top_p", "top_k",
            "stop", "seed", "stream", "training_file", "validation_file", "input_file_id", "endpoint", "completion_window",
            "metadata", "suffix", "hyperparameters", "name", "scopes", "limits", "expires_at", "rpm", "tpm", "tokens_per_day",
            "replicas", "version", "id", "task", "owner_tenant_id", "weight", "nominal", "grace_period_seconds", "n", "purpose"};
    private static final String[] QUERY = {"after", "limit", "purpose", "start", "end", "group_by", "format", "hours", "before",
            "tenant_id", "status"};

    private static String hostileText(Random r) {
        return switch (r.nextInt(12)) {
            case 0 -> "a\u0000b";
            case 1 -> "";
            case 2 -> "x".repeat(1 + r.nextInt(5000));
            case 3 -> "../../etc/passwd";
            case 4 -> "\u202e\ud83d\ude00 日本語 \u0001\u007f";
            case 5 -> "fuzz-sentiment";
            case 6 -> "fuzz-writer";
            case 7 -> "' OR 1=1 --";
            case 8 -> "\ud800";
            case 9 -> "%00";
            case 10 -> "file-" + r.nextInt(100);
            default -> "plain words good";
        };
    }

    private static Object hostileValue(Random r, int depth) {
        return switch (r.nextInt(depth > 2 ? 8 : 10)) {
            case 0 -> hostileText(r);
            case 1 -> r.nextLong();
            case 2 -> -1 - r.nextInt(1000);
            case 3 -> 1e300 * (r.nextBoolean() ? 1 : -1);
            case 4 -> r.nextBoolean();
            case 5 -> null;
            case 6 -> r.nextDouble();
            case 7 -> 9_999_999_999_999L;
            case 8 -> {
                JsonArray a = new JsonArray();
                for (int i = r.nextInt(4); i > 0; i--) {
                    a.add(hostileValue(r, depth + 1));
                }
                yield a;
            }
            default -> hostileObject(r, depth + 1);
        };
    }

    private static JsonObject hostileObject(Random r, int depth) {
        JsonObject o = new JsonObject();
        for (int i = r.nextInt(6); i >= 0; i--) {
            o.put(r.nextInt(20) == 0 ? hostileText(r) : FIELDS[r.nextInt(FIELDS.length)], hostileValue(r, depth));
        }
        return o;
    }

    private static String body(Random r) {
        return switch (r.nextInt(10)) {
            case 0 -> "{\"model\":";
            case 1 -> "[1,2,3]";
            case 2 -> "\"just a string\"";
            case 3 -> "{\"a\":" + "[".repeat(2000) + "]".repeat(2000) + "}";
            case 4 -> "";
            case 5 -> new JsonObject().put("model", r.nextBoolean() ? "fuzz-sentiment" : "fuzz-writer").put("input", hostileText(r))
                    .put("prompt", hostileText(r)).put("max_tokens", r.nextInt(40) - 5).encode();
            default -> hostileObject(r, 0).encode();
        };
    }

    private static String id(Random r) {
        String raw = hostileText(r);
        return switch (r.nextInt(4)) {
            case 0 -> "%00";
            case 1 -> "a%2Fb";
            case 2 -> "tn-" + r.nextInt(1000);
            default -> URLEncoder.encode(raw.length() > 300 ? raw.substring(0, 300) : raw, StandardCharsets.UTF_8);
        };
    }

    private static String path(Random r, String template) {
        String p = template.replace("{tenant}", r.nextInt(3) == 0 ? id(r) : tenant).replace("{id}", id(r));
        return switch (r.nextInt(8)) {
            case 0 -> p.replaceFirst("/v1/", "/v1//");
            case 1 -> p.replaceFirst("/v1/", "/v1/./");
            case 2 -> p.replaceFirst("/v1/", "/v1/zz/../");
            case 3 -> p.replaceFirst("/v1/([a-z])", "/v1/%" + Integer.toHexString(p.charAt(p.indexOf("/v1/") + 4)));
            default -> p;
        };
    }

    private static String query(Random r) {
        if (r.nextBoolean()) {
            return "";
        }
        StringBuilder q = new StringBuilder("?");
        for (int i = r.nextInt(3); i >= 0; i--) {
            String value = switch (r.nextInt(5)) {
                case 0 -> "%00";
                case 1 -> Long.toString(r.nextLong());
                case 2 -> "-99999999999999";
                default -> URLEncoder.encode(hostileText(r), StandardCharsets.UTF_8);
            };
            q.append(QUERY[r.nextInt(QUERY.length)]).append('=').append(value.length() > 3000 ? value.substring(0, 3000) : value)
                    .append('&');
        }
        return q.toString();
    }

    private static String multipart(Random r, String target, String bearer) {
        String boundary = "fz" + r.nextInt(1_000_000);
        String filename = switch (r.nextInt(5)) {
            case 0 -> "a\u0000.jsonl";
            case 1 -> "../../x.jsonl";
            case 2 -> "n".repeat(400);
            default -> "in.jsonl";
        };
        String content = switch (r.nextInt(4)) {
            case 0 -> "{\"custom_id\":\"1\",\"body\":{\"model\":\"fuzz-sentiment\",\"input\":\"good\"}}\n";
            case 1 -> "{\"text\":\"good\",\"label\":\"x\"}\n{\"text\":\"bad\",\"label\":\"y\"}\n";
            case 2 -> "not json\n\u0000\n";
            default -> body(r) + "\n";
        };
        String purpose = r.nextBoolean() ? (r.nextBoolean() ? "batch" : "fine-tune") : hostileText(r);
        String all = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n" + purpose + "\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"\r\n\r\n" + content;
        if (r.nextInt(4) != 0) {
            all += "\r\n--" + boundary + "--\r\n";
        }
        return RawHttp.request("POST", target, bearer, "multipart/form-data; boundary=" + boundary, all);
    }

    @Test
    void hostileRequestsAreAnsweredWithoutServerErrorsHangsOrOrphans() throws Exception {
        Random r = new Random(SEED);
        List<String> failures = new ArrayList<>();
        java.util.Map<Integer, Integer> statuses = new java.util.TreeMap<>();
        String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"};
        for (int i = 0; i < REQUESTS && failures.size() < 10; i++) {
            boolean admin = r.nextInt(3) == 0;
            String[] endpoint = admin ? ADMIN[r.nextInt(ADMIN.length)] : TENANT[r.nextInt(TENANT.length)];
            String method = r.nextInt(10) == 0 ? methods[r.nextInt(methods.length)] : endpoint[0];
            String target = path(r, endpoint[1]) + query(r);
            String bearer = switch (r.nextInt(10)) {
                case 0 -> null;
                case 1 -> "lm-" + hostileText(r).replaceAll("[\\r\\n\\u0000-\\u001f]", "");
                default -> admin ? Gateways.ADMIN : key;
            };
            String request = method.equals("POST") && target.contains("/files") && r.nextBoolean() ? multipart(r, target, bearer)
                    : RawHttp.request(method, target, bearer, "application/json",
                            method.equals("GET") || method.equals("HEAD") || method.equals("DELETE") ? null : body(r));
            RawHttp.Answer a;
            try (RawHttp http = new RawHttp(port)) {
                a = http.send(request).read(10_000);
            } catch (java.net.SocketTimeoutException e) {
                failures.add("#" + i + " no answer within 10 s: " + method + " " + target);
                continue;
            }
            statuses.merge(a.status(), 1, Integer::sum);
            String what = "#" + i + " " + method + " " + abbreviate(target) + " -> " + a.status() + " " + abbreviate(a.body());
            if (a.status() >= 500 || a.status() < 100) {
                failures.add(what);
            } else if (a.status() >= 400 && !method.equals("HEAD") && !errorShaped(a)) {
                failures.add("not the JSON error shape: " + what);
            }
        }
        assertThat(failures).as("seed " + SEED).isEmpty();
        System.out.println("fuzz statuses (seed " + SEED + "): " + statuses);
        // The run reached the handlers, not only the front door: answers, refusals, unknowns and bad input all occurred.
        assertThat(statuses).containsKeys(200, 400, 401, 404);
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(uploadArea()).isEmpty());
        Set<String> rows = new HashSet<>();
        for (Row row : gateways.pool.query("SELECT artifact_uri FROM files").execute().await(10, TimeUnit.SECONDS)) {
            rows.add(row.getString("artifact_uri"));
        }
        Path files = gateways.artifacts.resolve("files");
        if (Files.exists(files)) {
            try (Stream<Path> all = Files.walk(files)) {
                for (Path f : all.filter(Files::isRegularFile).toList()) {
                    assertThat(rows).as("a stored file with no row: " + f).contains(io.lmaas.core.artifacts.ArtifactStore.uri(f));
                }
            }
        }
    }

    private static boolean errorShaped(RawHttp.Answer a) {
        try {
            JsonObject error = new JsonObject(a.body()).getJsonObject("error");
            return error != null && error.getString("code") != null && error.getString("type") != null
                    && error.getString("message") != null;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }

    private static List<Path> uploadArea() throws Exception {
        return gateways.uploadArea();
    }
}
