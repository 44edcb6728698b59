package io.lmaas.gateway.admin;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Tenants (SQL only); a deleted tenant (kept for its ledger, {@code deleted_at} set) is found by none of these. */
final class TenantRepository {
    private TenantRepository() {
    }

    static Future<Tenant> insert(SqlClient conn, String id, String name) {
        return conn.preparedQuery("INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING id, name, created_at")
                .execute(Tuple.of(id, name))
                .map(rows -> toTenant(rows.iterator().next()));
    }

    static Future<Optional<Tenant>> find(SqlClient client, String id) {
        return client.preparedQuery("SELECT id, name, created_at FROM tenants WHERE id = $1 AND deleted_at IS NULL")
                .execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(toTenant(rows.iterator().next())));
    }

    /** The tenant's name, its row locked for the transaction ({@code conn}'s); null when there is no such tenant. */
    static Future<String> lockName(SqlClient conn, String id) {
        return conn.preparedQuery("SELECT name FROM tenants WHERE id = $1 AND deleted_at IS NULL FOR UPDATE").execute(Tuple.of(id))
                .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString("name"));
    }

    /** Tenants in id order, after {@code after} (exclusive) when given. */
    static Future<List<Tenant>> list(SqlClient client, String after, int limit) {
        return client.preparedQuery("SELECT id, name, created_at FROM tenants WHERE deleted_at IS NULL AND ($1::text IS NULL OR id > $1)"
                        + " ORDER BY id LIMIT $2")
                .execute(Tuple.of(after, limit))
                .map(rows -> {
                    List<Tenant> out = new ArrayList<>();
                    rows.forEach(r -> out.add(toTenant(r)));
                    return out;
                });
    }

    /** The given tenants in id order, after {@code after} (exclusive) when given. */
    static Future<List<Tenant>> list(SqlClient client, List<String> ids, String after, int limit) {
        return client.preparedQuery("SELECT id, name, created_at FROM tenants WHERE id = ANY($1) AND deleted_at IS NULL AND ($2::text IS NULL OR id > $2)"
                        + " ORDER BY id LIMIT $3")
                .execute(Tuple.tuple().addArrayOfString(ids.toArray(new String[0])).addString(after).addInteger(limit))
                .map(rows -> {
                    List<Tenant> out = new ArrayList<>();
                    rows.forEach(r -> out.add(toTenant(r)));
                    return out;
                });
    }

    private static Tenant toTenant(Row r) {
        return new Tenant(r.getString("id"), r.getString("name"), r.getOffsetDateTime("created_at"));
    }
}
