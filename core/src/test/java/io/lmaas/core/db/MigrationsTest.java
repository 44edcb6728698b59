package io.lmaas.core.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.lmaas.core.testing.TestDatabases;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MigrationsTest {

    @Test
    void createsTheSystemOfRecordAndIsIdempotent() throws Exception {
        DatabaseUrl url = TestDatabases.fresh();
        List<String> tables = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
                ResultSet rs = c.createStatement().executeQuery(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        assertThat(tables).contains("tenants", "api_keys", "usage_ledger", "models", "model_versions", "deployments",
                "endpoints", "files", "jobs", "job_events", "audit_log", "gpu_queues");
        assertThat(Migrations.migrate(url)).isZero();
    }

    /** The ledger's BRIN indexes summarize each page range as inserts fill it, so the hourly roll-up reads only new ranges. */
    @Test
    void theLedgersBrinIndexesSummarizeRangesAsTheyFill() throws Exception {
        DatabaseUrl url = TestDatabases.fresh();
        List<String> options = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.user(), url.password());
                ResultSet rs = c.createStatement().executeQuery("SELECT relname, array_to_string(reloptions, ',') FROM pg_class"
                        + " WHERE relname IN ('usage_ledger_xact_brin', 'usage_ledger_created_brin') ORDER BY 1")) {
            while (rs.next()) {
                options.add(rs.getString(1) + " " + rs.getString(2));
            }
        }
        assertThat(options).containsExactly("usage_ledger_created_brin autosummarize=on", "usage_ledger_xact_brin autosummarize=on");
    }
}
