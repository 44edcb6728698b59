package io.lmaas.gateway.usage;

import io.lmaas.gateway.quota.LeaseUse;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One group commit of the online ledger writer, as the parameters of {@link #STATEMENT}: the rows, their daily roll-ups
 * summed here (one per tenant, key and model) and the leases' use summed per lease. The roll-ups are sorted, and an
 * insert takes them in its input's order, so replicas writing the same roll-ups at once lock them in one order (no
 * deadlock between their commits). Pure: no I/O.
 *
 * <p>Summing here instead of in SQL (a {@code GROUP BY} over the insert's {@code RETURNING}) is what makes the statement
 * cheap: measured with {@code pgbench} on the embedded PostgreSQL, an 18-row commit took ~0.50 ms of the server's CPU
 * against ~0.66 ms; in the gateway bench, ~22 % less of PostgreSQL's CPU per request (docs/benchmarks.md). It is exact because the insert has no {@code ON CONFLICT}: online request ids are the
 * gateway's own, never sent twice, and a repeated one fails the whole commit (its requests answer 503) rather than being
 * counted twice or dropped. Batch lines, which a resumed batch may write again, go through the idempotent
 * {@link LedgerWriter#insert} instead.
 */
record LedgerGroup(Tuple parameters) {

    /** Inserts the rows given as the twelve arrays of {@link #rowColumns}, parameters $1 to $12. */
    static final String INSERT_ROWS = "INSERT INTO usage_ledger (request_id, client_request_id, gateway_id, tenant_id, key_id,"
            + " model, endpoint, prompt_tokens, completion_tokens, status, error_code, latency_ms)"
            + " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
            + " $8::int[], $9::int[], $10::int[], $11::text[], $12::int[])";

    /**
     * Rows, roll-ups and lease use in one statement; all parts see the same {@code now()}, the rows' {@code created_at}. The
     * roll-ups and leases join {@code inserted}, so they are written after the rows: a roll-up row is locked (and other
     * replicas' commits wait on it) only for the end of the statement and the commit, not for the insert. Unreferenced,
     * PostgreSQL ran them first (measured with {@code pgbench}, two writers on one roll-up: ~1,900 commits/s against
     * ~2,300 in this order).
     */
    static final String STATEMENT = "WITH ins AS (" + INSERT_ROWS + " RETURNING 1),"
            + " inserted AS (SELECT count(*) FROM ins),"
            + " roll AS (INSERT INTO usage_daily (tenant_id, day, key_id, model, requests, errors, prompt_tokens, completion_tokens)"
            + " SELECT t, (now() AT TIME ZONE 'UTC')::date, k, m, r, e, p, c FROM unnest($13::text[], $14::text[], $15::text[],"
            + " $16::bigint[], $17::bigint[], $18::bigint[], $19::bigint[]) AS g(t, k, m, r, e, p, c), inserted"
            + " ON CONFLICT (tenant_id, day, key_id, model) DO UPDATE SET requests = usage_daily.requests + EXCLUDED.requests,"
            + " errors = usage_daily.errors + EXCLUDED.errors,"
            + " prompt_tokens = usage_daily.prompt_tokens + EXCLUDED.prompt_tokens,"
            + " completion_tokens = usage_daily.completion_tokens + EXCLUDED.completion_tokens),"
            + " leases AS (UPDATE quota_leases q SET used = q.used + d.amount"
            + " FROM unnest($20::bigint[], $21::bigint[]) AS d(id, amount), inserted WHERE q.id = d.id)"
            + " SELECT 1";

    /** A daily roll-up's key: the tenant, key and model as {@code usage_daily} stores them (absent ones as ''). */
    private record Day(String tenant, String key, String model) implements Comparable<Day> {
        @Override
        public int compareTo(Day o) {
            int c = tenant.compareTo(o.tenant);
            if (c == 0) {
                c = key.compareTo(o.key);
            }
            return c == 0 ? model.compareTo(o.model) : c;
        }
    }

    /** What a group adds to one daily roll-up. */
    private static final class Sums {
        long requests;
        long errors;
        long prompt;
        long completion;
    }

    static LedgerGroup of(List<UsageRow> rows, List<LeaseUse> uses) {
        Map<Day, Sums> days = new TreeMap<>();
        for (UsageRow r : rows) {
            Sums s = days.computeIfAbsent(new Day(r.tenantId(), orEmpty(r.keyId()), orEmpty(r.model())), d -> new Sums());
            s.requests++;
            s.errors += r.status() >= 400 ? 1 : 0;
            s.prompt += r.promptTokens();
            s.completion += r.completionTokens();
        }
        int d = days.size();
        String[] dayTenant = new String[d];
        String[] dayKey = new String[d];
        String[] dayModel = new String[d];
        Long[] requests = new Long[d];
        Long[] errors = new Long[d];
        Long[] dayPrompt = new Long[d];
        Long[] dayCompletion = new Long[d];
        int i = 0;
        for (Map.Entry<Day, Sums> e : days.entrySet()) {
            dayTenant[i] = e.getKey().tenant();
            dayKey[i] = e.getKey().key();
            dayModel[i] = e.getKey().model();
            requests[i] = e.getValue().requests;
            errors[i] = e.getValue().errors;
            dayPrompt[i] = e.getValue().prompt;
            dayCompletion[i] = e.getValue().completion;
            i++;
        }
        Map<Long, Long> leases = new TreeMap<>();
        for (LeaseUse u : uses) {
            leases.merge(u.leaseId(), u.amount(), Long::sum);
        }
        return new LedgerGroup(rowColumns(rows)
                .addArrayOfString(dayTenant).addArrayOfString(dayKey).addArrayOfString(dayModel).addArrayOfLong(requests)
                .addArrayOfLong(errors).addArrayOfLong(dayPrompt).addArrayOfLong(dayCompletion)
                .addArrayOfLong(leases.keySet().toArray(Long[]::new)).addArrayOfLong(leases.values().toArray(Long[]::new)));
    }

    /** The rows as {@link #INSERT_ROWS}'s twelve column arrays, in a new tuple the caller may add to. */
    static Tuple rowColumns(List<UsageRow> rows) {
        int n = rows.size();
        String[] requestId = new String[n];
        String[] clientId = new String[n];
        String[] gateway = new String[n];
        String[] tenant = new String[n];
        String[] key = new String[n];
        String[] model = new String[n];
        String[] endpoint = new String[n];
        Integer[] prompt = new Integer[n];
        Integer[] completion = new Integer[n];
        Integer[] status = new Integer[n];
        String[] error = new String[n];
        Integer[] latency = new Integer[n];
        for (int i = 0; i < n; i++) {
            UsageRow r = rows.get(i);
            requestId[i] = r.requestId();
            clientId[i] = r.clientRequestId();
            gateway[i] = r.gatewayId();
            tenant[i] = r.tenantId();
            key[i] = r.keyId();
            model[i] = r.model();
            endpoint[i] = r.endpoint();
            prompt[i] = r.promptTokens();
            completion[i] = r.completionTokens();
            status[i] = r.status();
            error[i] = r.errorCode();
            latency[i] = (int) Math.min(Integer.MAX_VALUE, r.latencyMs());
        }
        return Tuple.tuple().addArrayOfString(requestId).addArrayOfString(clientId).addArrayOfString(gateway)
                .addArrayOfString(tenant).addArrayOfString(key).addArrayOfString(model).addArrayOfString(endpoint)
                .addArrayOfInteger(prompt).addArrayOfInteger(completion).addArrayOfInteger(status).addArrayOfString(error)
                .addArrayOfInteger(latency);
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
