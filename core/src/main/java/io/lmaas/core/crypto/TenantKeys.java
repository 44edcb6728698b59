package io.lmaas.core.crypto;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tenants' data keys in PostgreSQL ({@code tenant_data_keys}), stored only wrapped by a master key. One key per
 * tenant, made on first use; opened keys are kept in memory. Destroying a tenant's key (its deletion) leaves whatever
 * copy of its artifacts survives — a backup, a half-written file — unreadable. Rewrapping (a master-key rotation)
 * re-encrypts the small wrapped keys only, never the artifacts.
 */
public final class TenantKeys {
    private final Pool pool;
    private final MasterKeys masters;
    private final Map<String, DataKey> byTenant = new ConcurrentHashMap<>();
    private final Map<String, DataKey> byId = new ConcurrentHashMap<>();
    private final Map<String, Held> wrappedByTenant = new ConcurrentHashMap<>();
    private static final long WRAPPED_TTL_NANOS = 60_000_000_000L;

    public TenantKeys(Pool pool, MasterKeys masters) {
        this.pool = pool;
        this.masters = masters;
    }

    public MasterKeys masters() {
        return masters;
    }

    /** The tenant's data key, made (and stored wrapped) if it has none yet; two processes racing agree on one. */
    public Future<DataKey> of(String tenantId) {
        DataKey known = byTenant.get(tenantId);
        if (known != null) {
            return Future.succeededFuture(known);
        }
        return fetchWrapped(tenantId).map(this::open);
    }

    /**
     * The tenant's data key as a worker receives it (wrapped), made if it has none yet; kept here for a minute (a
     * rewrap elsewhere is seen within that minute; the previous master key stays valid for longer than that).
     */
    public Future<WrappedKey> wrappedOf(String tenantId) {
        Held held = wrappedByTenant.get(tenantId);
        if (held != null && System.nanoTime() - held.at() < WRAPPED_TTL_NANOS) {
            return Future.succeededFuture(held.key());
        }
        return fetchWrapped(tenantId).onSuccess(w -> wrappedByTenant.put(tenantId, new Held(w, System.nanoTime())));
    }

    private record Held(WrappedKey key, long at) {
    }

    private Future<WrappedKey> fetchWrapped(String tenantId) {
        WrappedKey fresh = DataKey.generate(tenantId).wrapWith(masters.current());
        return pool.preparedQuery("INSERT INTO tenant_data_keys (id, tenant_id, master_key_id, wrapped) VALUES ($1, $2, $3, $4)"
                        + " ON CONFLICT (tenant_id) DO NOTHING")
                .execute(Tuple.of(fresh.id(), tenantId, fresh.masterKeyId(), io.vertx.core.buffer.Buffer.buffer(fresh.wrapped())))
                .compose(r -> pool.preparedQuery("SELECT id, tenant_id, master_key_id, wrapped FROM tenant_data_keys WHERE tenant_id = $1")
                        .execute(Tuple.of(tenantId)))
                .map(rows -> wrapped(rows.iterator().next()));
    }

    /** The data key with id {@code id} as a worker receives it (wrapped), or null when there is none. */
    public Future<WrappedKey> wrappedById(String id) {
        return pool.preparedQuery("SELECT id, tenant_id, master_key_id, wrapped FROM tenant_data_keys WHERE id = $1")
                .execute(Tuple.of(id)).map(rows -> rows.size() == 0 ? null : wrapped(rows.iterator().next()));
    }

    /**
     * The wrapped data key of the tenant that owns model {@code modelId} (a fine-tuned, merged or uploaded model), or
     * null for a platform model or a tenant that has no key: what a scheduler that cannot read the artifacts hands the
     * model's workers. Needs no master key (the wrap is only passed on), so it is static.
     */
    public static Future<WrappedKey> wrappedOfModel(SqlClient client, String modelId) {
        return client.preparedQuery("SELECT k.id, k.tenant_id, k.master_key_id, k.wrapped FROM models m"
                        + " JOIN tenant_data_keys k ON k.tenant_id = m.owner_tenant_id WHERE m.id = $1")
                .execute(Tuple.of(modelId)).map(rows -> rows.size() == 0 ? null : wrapped(rows.iterator().next()));
    }

    /**
     * For a process that works for one tenant (a fine-tuning job, a batch worker): everything it writes is sealed with the
     * tenant's data key, and it opens sealed artifacts of that tenant only. The master key comes from the environment
     * ({@link MasterKeys#ENV} or {@link MasterKeys#FILE_ENV}). Blocking; returns the tenant's key.
     */
    public static DataKey confineProcess(Pool pool, String tenantId, String role) throws Exception {
        TenantKeys keys = new TenantKeys(pool, MasterKeys.fromEnvironment(System.getenv()).orElseThrow(() ->
                new io.lmaas.core.config.ConfigException("a " + role + " seals what it writes: set " + MasterKeys.ENV + " or "
                        + MasterKeys.FILE_ENV)));
        DataKey key = keys.of(tenantId).toCompletionStage().toCompletableFuture().get(60, java.util.concurrent.TimeUnit.SECONDS);
        Artifacts.writeWith(key);
        Artifacts.resolveWith(id -> {
            DataKey k = keys.byIdBlocking(id);
            return k != null && k.tenantId().equals(tenantId) ? k : null;
        });
        return key;
    }

    /**
     * The data key {@code id} for a thread that may block (a worker thread, never an event loop), or null when there
     * is none: what {@link Artifacts#resolveWith} asks.
     */
    public DataKey byIdBlocking(String id) {
        return blocking(byId(id), id);
    }

    /** {@link #wrappedById} for a thread that may block. */
    public WrappedKey wrappedByIdBlocking(String id) {
        return blocking(wrappedById(id), id);
    }

    private static <T> T blocking(Future<T> f, String id) {
        if (io.vertx.core.Context.isOnEventLoopThread()) {
            // Waiting here would stall the loop the database's answer may need: a caller's mistake, said at once.
            throw new IllegalStateException("data key " + id + " fetched blockingly on an event loop");
        }
        try {
            return f.toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KeyUnavailableException("interrupted while fetching data key " + id);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof KeyUnavailableException k ? k
                    : new KeyUnavailableException("data key " + id + " cannot be fetched: " + e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new KeyUnavailableException("data key " + id + " cannot be fetched in 30 s");
        }
    }

    /** The data key with id {@code id}, or null when there is none (never made, or destroyed). */
    public Future<DataKey> byId(String id) {
        DataKey known = byId.get(id);
        if (known != null) {
            return Future.succeededFuture(known);
        }
        return wrappedById(id).map(w -> w == null ? null : open(w));
    }

    /**
     * Destroys the tenant's data key inside the caller's transaction ({@code client}); the key is forgotten here once
     * the statement ran (other processes drop theirs when they restart; the tenant's artifacts are gone by then).
     */
    public Future<Integer> destroy(SqlClient client, String tenantId) {
        return client.preparedQuery("DELETE FROM tenant_data_keys WHERE tenant_id = $1").execute(Tuple.of(tenantId))
                .map(r -> {
                    wrappedByTenant.remove(tenantId);
                    DataKey k = byTenant.remove(tenantId);
                    if (k != null) {
                        byId.remove(k.id());
                    }
                    return r.rowCount();
                });
    }

    /** How many data keys each master key wraps now (what a rotation still has to rewrap). */
    public Future<Map<String, Integer>> countsByMaster() {
        return pool.query("SELECT master_key_id, count(*) AS n FROM tenant_data_keys GROUP BY master_key_id ORDER BY master_key_id")
                .execute().map(rows -> {
                    Map<String, Integer> out = new java.util.LinkedHashMap<>();
                    rows.forEach(r -> out.put(r.getString("master_key_id"), r.getLong("n").intValue()));
                    return out;
                });
    }

    /** What a rewrap did: keys rewrapped under the current master key, keys already under it. */
    public record Rewrap(int rewrapped, int current, String masterKeyId) {
    }

    /**
     * Wraps every data key that is not under the current master key with the current one (a rotation's second step).
     * A key whose master key this process does not hold fails the whole pass, naming it, and changes nothing.
     */
    public Future<Rewrap> rewrap() {
        String current = masters.current().id();
        return pool.withTransaction(tx -> tx.query("SELECT id, tenant_id, master_key_id, wrapped FROM tenant_data_keys FOR UPDATE")
                .execute().compose(rows -> {
                    List<Tuple> updates = new ArrayList<>();
                    int already = 0;
                    for (Row row : rows) {
                        WrappedKey w = wrapped(row);
                        if (w.masterKeyId().equals(current)) {
                            already++;
                            continue;
                        }
                        WrappedKey again = masters.unwrap(w).wrapWith(masters.current());
                        updates.add(Tuple.of(again.id(), again.masterKeyId(), io.vertx.core.buffer.Buffer.buffer(again.wrapped())));
                    }
                    int kept = already;
                    if (updates.isEmpty()) {
                        return Future.succeededFuture(new Rewrap(0, kept, current));
                    }
                    return tx.preparedQuery("UPDATE tenant_data_keys SET master_key_id = $2, wrapped = $3, rewrapped_at = now() WHERE id = $1")
                            .executeBatch(updates).map(r -> {
                                wrappedByTenant.clear();
                                return new Rewrap(updates.size(), kept, current);
                            });
                }));
    }

    private DataKey open(WrappedKey w) {
        DataKey k = byId.computeIfAbsent(w.id(), id -> masters.unwrap(w));
        byTenant.put(k.tenantId(), k);
        return k;
    }

    private static WrappedKey wrapped(Row r) {
        return new WrappedKey(r.getString("id"), r.getString("tenant_id"), r.getString("master_key_id"),
                r.getBuffer("wrapped").getBytes());
    }
}
