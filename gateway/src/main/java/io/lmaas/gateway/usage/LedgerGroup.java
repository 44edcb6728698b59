package io.lmaas.gateway.usage;

import io.lmaas.gateway.quota.LeaseUse;
import io.lmaas.gateway.quota.QuotaRepository;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * One group commit of the online ledger writer, as the parameters of {@link #STATEMENT}: the rows and the leases' use
 * (summed per lease by the statement). Pure: no I/O.
 *
 * <p>The rows' daily roll-ups are not in it: the roll-up pass adds them ({@link UsageRollup}, V21). Every commit of every
 * replica upserting the same roll-up row made the replicas' commits queue on its row lock (measured with {@code
 * pgbench}: three writers of 18-row groups did about half the commits a second with it; docs/benchmarks.md). The leases'
 * use stays: it is what keeps a quota exact when a replica dies, and a lease is one replica's own row.
 *
 * <p>The insert has no {@code ON CONFLICT}: online request ids are the gateway's own, never sent twice, and a repeated
 * one fails the whole commit (its requests answer 503) rather than being counted twice or dropped. Batch lines, which a
 * resumed batch may write again, go through the idempotent {@link LedgerWriter#insert} instead.
 */
record LedgerGroup(Tuple parameters) {

    /**
     * Inserts the rows given as the twelve arrays of {@link #rowColumns}, parameters $1 to $12, their daily roll-up left
     * to the pass ({@code daily_by_pass}).
     */
    static final String INSERT_ROWS = "INSERT INTO usage_ledger (request_id, client_request_id, gateway_id, tenant_id, key_id,"
            + " model, endpoint, prompt_tokens, completion_tokens, status, error_code, latency_ms, daily_by_pass)"
            + " SELECT *, true FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
            + " $8::int[], $9::int[], $10::int[], $11::text[], $12::int[])";

    /**
     * Rows and lease use in one statement. The leases are locked after {@code inserted}, so after the rows (a lease's row
     * is locked only for the statement's end and the commit), and in id order, as every statement updating leases locks
     * them ({@link QuotaRepository#addUses}).
     */
    static final String STATEMENT = "WITH ins AS (" + INSERT_ROWS + " RETURNING 1),"
            + " inserted AS (SELECT count(*) FROM ins),"
            + " leases AS (" + QuotaRepository.addUses(13, "inserted") + ")"
            + " SELECT 1";

    static LedgerGroup of(List<UsageRow> rows, List<LeaseUse> uses) {
        return new LedgerGroup(QuotaRepository.withUses(rowColumns(rows), uses));
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
}
