package io.lmaas.core.deployments;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Observed endpoints (SQL only): the scheduler writes them, the gateway reads the ready ones. */
public final class EndpointRepository {
    private final Pool pool;

    public EndpointRepository(Pool pool) {
        this.pool = pool;
    }

    /** Replaces the whole observed set in one transaction: rows not in {@code observed} are removed. */
    public Future<Void> replaceAll(Collection<ObservedEndpoint> observed) {
        return pool.withTransaction(conn -> {
            Future<?> chain;
            if (observed.isEmpty()) {
                chain = conn.query("DELETE FROM endpoints").execute();
            } else {
                String[] deps = observed.stream().map(ObservedEndpoint::deploymentId).toArray(String[]::new);
                Integer[] reps = observed.stream().map(ObservedEndpoint::replica).toArray(Integer[]::new);
                chain = conn.preparedQuery("DELETE FROM endpoints WHERE (deployment_id, replica) NOT IN ("
                                + "SELECT d, r FROM unnest($1::text[], $2::int[]) AS t(d, r))")
                        .execute(Tuple.tuple().addArrayOfString(deps).addArrayOfInteger(reps));
            }
            for (ObservedEndpoint e : observed) {
                chain = chain.compose(r -> conn
                        .preparedQuery("INSERT INTO endpoints (deployment_id, replica, state, url, pid, restarts, message, updated_at)"
                                + " VALUES ($1, $2, $3, $4, $5, $6, $7, now())"
                                + " ON CONFLICT (deployment_id, replica) DO UPDATE SET state = EXCLUDED.state, url = EXCLUDED.url,"
                                + " pid = EXCLUDED.pid, restarts = EXCLUDED.restarts, message = EXCLUDED.message,"
                                + " updated_at = CASE WHEN (endpoints.state, endpoints.url, endpoints.pid, endpoints.restarts,"
                                + " endpoints.message) IS NOT DISTINCT FROM (EXCLUDED.state, EXCLUDED.url, EXCLUDED.pid,"
                                + " EXCLUDED.restarts, EXCLUDED.message) THEN endpoints.updated_at ELSE now() END")
                        .execute(Tuple.from(new Object[] {e.deploymentId(), e.replica(), e.state().wireName(), e.url(),
                            e.pid(), e.restarts(), e.message()})));
            }
            return chain.mapEmpty();
        });
    }

    public Future<List<ObservedEndpoint>> listAll() {
        return pool.query("SELECT deployment_id, replica, state, url, pid, restarts, message FROM endpoints"
                        + " ORDER BY deployment_id, replica")
                .execute()
                .map(rows -> {
                    List<ObservedEndpoint> out = new ArrayList<>();
                    for (Row r : rows) {
                        out.add(new ObservedEndpoint(r.getString("deployment_id"), r.getInteger("replica"),
                                EndpointState.fromWire(r.getString("state")), r.getString("url"), r.getLong("pid"),
                                r.getInteger("restarts"), r.getString("message")));
                    }
                    return out;
                });
    }

    public Future<List<ReadyEndpoint>> listReady() {
        return pool.query("SELECT d.model_id, d.version, e.deployment_id, e.replica, e.url FROM endpoints e"
                        + " JOIN deployments d ON d.id = e.deployment_id"
                        + " WHERE e.state = 'ready' AND e.url IS NOT NULL ORDER BY e.deployment_id, e.replica")
                .execute()
                .map(rows -> {
                    List<ReadyEndpoint> out = new ArrayList<>();
                    for (Row r : rows) {
                        out.add(new ReadyEndpoint(r.getString("model_id"), r.getString("version"),
                                r.getString("deployment_id"), r.getInteger("replica"), r.getString("url")));
                    }
                    return out;
                });
    }
}
