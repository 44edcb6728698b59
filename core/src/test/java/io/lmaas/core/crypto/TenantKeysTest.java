package io.lmaas.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lmaas.core.db.Pools;
import io.lmaas.core.secrets.Secrets;
import io.lmaas.core.testing.TempDirs;
import io.lmaas.core.testing.TestDatabases;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Tenants' data keys in PostgreSQL: made once, wrapped only, rewrapped by a rotation, destroyed with the tenant. */
class TenantKeysTest {
    private static final MasterKey OLD = MasterKey.parse(Secrets.random(32));
    private static final MasterKey NEW = MasterKey.parse(Secrets.random(32));

    private Vertx vertx;
    private Pool pool;
    private Path dir;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        pool = Pools.create(vertx, TestDatabases.fresh(), 4);
        dir = TempDirs.create("tenant-keys");
        for (String t : List.of("tn-one", "tn-two")) {
            pool.preparedQuery("INSERT INTO tenants (id, name) VALUES ($1, $1)").execute(Tuple.of(t)).await(10, TimeUnit.SECONDS);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
        TempDirs.delete(dir);
    }

    private Path sealedFile(DataKey key, String text) throws Exception {
        Path f = dir.resolve(key.tenantId() + ".jsonl");
        try (OutputStream out = Artifacts.newOutputStream(f, key)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return f;
    }

    @Test
    void oneKeyPerTenantEvenWhenProcessesRaceAndOnlyItsWrappedFormIsStored() throws Exception {
        List<Future<DataKey>> racing = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            racing.add(new TenantKeys(pool, new MasterKeys(OLD, List.of())).of("tn-one")); // eight processes' caches
        }
        Future.all(racing).await(10, TimeUnit.SECONDS);
        assertThat(racing.stream().map(f -> f.result().id()).distinct()).hasSize(1);
        var row = pool.query("SELECT id, master_key_id, wrapped FROM tenant_data_keys").execute().await(10, TimeUnit.SECONDS);
        assertThat(row.size()).isEqualTo(1);
        var r = row.iterator().next();
        assertThat(r.getString("master_key_id")).isEqualTo(OLD.id());
        assertThat(r.getBuffer("wrapped").length()).isEqualTo(12 + 32 + 16); // nonce, key, tag: never the bare key
    }

    @Test
    void aRotationRewrapsTheKeysAndEverySealedFileStaysReadable() throws Exception {
        TenantKeys before = new TenantKeys(pool, new MasterKeys(OLD, List.of()));
        Path one = sealedFile(before.of("tn-one").await(10, TimeUnit.SECONDS), "tenant one's training text");
        Path two = sealedFile(before.of("tn-two").await(10, TimeUnit.SECONDS), "tenant two's batch output");
        byte[] oneOnDisk = Files.readAllBytes(one);

        // The new master key alone cannot open keys the old one wraps: the rotation needs both for a while.
        assertThatThrownBy(() -> new TenantKeys(pool, new MasterKeys(NEW, List.of())).byId(SealedFiles.keyId(one).orElseThrow())
                .await(10, TimeUnit.SECONDS)).isInstanceOf(KeyUnavailableException.class).hasMessageContaining(OLD.id());

        TenantKeys during = new TenantKeys(pool, new MasterKeys(NEW, List.of(OLD)));
        assertThat(during.countsByMaster().await(10, TimeUnit.SECONDS)).isEqualTo(Map.of(OLD.id(), 2));
        TenantKeys.Rewrap done = during.rewrap().await(10, TimeUnit.SECONDS);
        assertThat(done.rewrapped()).isEqualTo(2);
        assertThat(done.masterKeyId()).isEqualTo(NEW.id());
        assertThat(during.rewrap().await(10, TimeUnit.SECONDS).rewrapped()).as("a second pass has nothing to do").isZero();
        assertThat(during.countsByMaster().await(10, TimeUnit.SECONDS)).isEqualTo(Map.of(NEW.id(), 2));

        // After it, the new master key alone opens everything; no artifact was rewritten.
        TenantKeys after = new TenantKeys(pool, new MasterKeys(NEW, List.of()));
        Runnable source = Artifacts.resolveWith(after::byIdBlocking);
        try {
            assertThat(Artifacts.readString(one)).isEqualTo("tenant one's training text");
            assertThat(Artifacts.readString(two)).isEqualTo("tenant two's batch output");
        } finally {
            source.run();
        }
        assertThat(Files.readAllBytes(one)).isEqualTo(oneOnDisk);
        assertThat(after.of("tn-one").await(10, TimeUnit.SECONDS).id()).isEqualTo(SealedFiles.keyId(one).orElseThrow());
    }

    @Test
    void aDestroyedKeyLeavesACopyOfTheTenantsArtifactsUnreadable() throws Exception {
        TenantKeys keys = new TenantKeys(pool, new MasterKeys(OLD, List.of()));
        Path one = sealedFile(keys.of("tn-one").await(10, TimeUnit.SECONDS), "gone with the tenant");
        Path backup = dir.resolve("backup-of-one");
        Files.copy(one, backup);
        String id = SealedFiles.keyId(one).orElseThrow();

        assertThat(pool.withTransaction(tx -> keys.destroy(tx, "tn-one")).await(10, TimeUnit.SECONDS)).isEqualTo(1);
        TenantKeys elsewhere = new TenantKeys(pool, new MasterKeys(OLD, List.of())); // even with the master key
        assertThat(elsewhere.byId(id).await(10, TimeUnit.SECONDS)).isNull();
        Runnable source = Artifacts.resolveWith(elsewhere::byIdBlocking);
        try {
            assertThatThrownBy(() -> Artifacts.readAllBytes(backup)).isInstanceOf(KeyUnavailableException.class)
                    .hasMessageContaining(id);
        } finally {
            source.run();
        }
    }

    @Test
    void localModeMakesItsMasterKeyOnceReadableByItsOwnerOnlyAndBadKeysAreRefused() throws Exception {
        MasterKeys first = MasterKeys.fromEnvironmentOrLocal(Map.of(), dir);
        MasterKeys again = MasterKeys.fromEnvironmentOrLocal(Map.of(), dir);
        assertThat(again.current().id()).isEqualTo(first.current().id());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(MasterKeys.LOCAL_FILE))))
                .isEqualTo("rw-------");
        String b64 = Files.readString(dir.resolve(MasterKeys.LOCAL_FILE)).strip();
        MasterKeys env = MasterKeys.fromEnvironment(Map.of(MasterKeys.ENV, Secrets.random(32), MasterKeys.PREVIOUS_ENV, b64))
                .orElseThrow();
        assertThat(env.previous()).extracting(MasterKey::id).containsExactly(first.current().id());
        assertThatThrownBy(() -> MasterKeys.fromEnvironment(Map.of(MasterKeys.ENV, "c2hvcnQ=")))
                .hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> MasterKeys.fromEnvironment(Map.of(MasterKeys.ENV, "not base64 at all!")))
                .hasMessageContaining("base64");
    }
}
