package io.lmaas.core.db;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Versioned schema migrations (Flyway, {@code classpath:db/migration}). Blocking: run off the event loop. */
public final class Migrations {
    private static final Logger LOG = LoggerFactory.getLogger(Migrations.class);

    private Migrations() {
    }

    public static int migrate(DatabaseUrl url) {
        MigrateResult result = Flyway.configure()
                .dataSource(url.jdbcUrl(), url.user(), url.password())
                .locations("classpath:db/migration")
                .load()
                .migrate();
        LOG.info("schema at version {} ({} migrations applied now)", result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion, result.migrationsExecuted);
        return result.migrationsExecuted;
    }
}
