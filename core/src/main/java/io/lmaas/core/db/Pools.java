package io.lmaas.core.db;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/** Vert.x PostgreSQL pools for a {@link DatabaseUrl}. */
public final class Pools {
    private Pools() {
    }

    public static PgConnectOptions connectOptions(DatabaseUrl url) {
        return new PgConnectOptions()
                .setHost(url.host())
                .setPort(url.port())
                .setDatabase(url.database())
                .setUser(url.user())
                .setPassword(url.password())
                .setCachePreparedStatements(true);
    }

    public static Pool create(Vertx vertx, DatabaseUrl url, int maxSize) {
        PgConnectOptions connect = connectOptions(url);
        return PgBuilder.pool()
                .with(new PoolOptions().setMaxSize(maxSize))
                .connectingTo(connect)
                .using(vertx)
                .build();
    }
}
