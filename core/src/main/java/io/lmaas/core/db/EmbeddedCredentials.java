package io.lmaas.core.db;

import io.lmaas.core.secrets.Secrets;
import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Password authentication for the embedded PostgreSQL. zonky's initdb trusts every connection; on every start,
 * after initdb and before the server listens (zonky's data-directory customizer), this keeps the superuser's
 * password in {@value #PASSWORD_FILE} in the data directory (mode 600), rewrites {@code pg_hba.conf} to require
 * SCRAM for every connection, and sets the role's password in single-user mode: no connection is needed, so
 * the server never listens without a password. A data directory of an earlier version (trust, no password
 * file) is upgraded the same way.
 */
final class EmbeddedCredentials {
    static final String PASSWORD_FILE = "superuser-password";
    static final String HBA = """
            # Written by LMaaS on every start of the embedded server: a password (SCRAM) for every connection.
            # The superuser's password is in superuser-password, next to this file (mode 600).
            local   all   all                  scram-sha-256
            host    all   all   127.0.0.1/32   scram-sha-256
            host    all   all   ::1/128        scram-sha-256
            """;

    private EmbeddedCredentials() {
    }

    /** The password kept in the data directory, or a new one (written by {@link #apply} once initdb has run). */
    static String password(Path dataDirectory) throws IOException {
        Path file = dataDirectory.resolve(PASSWORD_FILE);
        String kept = Files.exists(file) ? Secrets.read(file) : "";
        return kept.matches("[\\x21-\\x7e]{16,}") ? kept : Secrets.random(24);
    }

    /** Password file, pg_hba.conf, the role's password: run before the postmaster starts. */
    static void apply(Path dataDirectory, String password) {
        try {
            Path file = dataDirectory.resolve(PASSWORD_FILE);
            if (!Files.exists(file) || !Secrets.read(file).equals(password)) {
                Secrets.write(file, password);
            }
            Files.writeString(dataDirectory.resolve("pg_hba.conf"), HBA, StandardCharsets.UTF_8);
            setRolePassword(dataDirectory, password);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot secure the embedded PostgreSQL in " + dataDirectory, e);
        }
    }

    private static void setRolePassword(Path dataDirectory, String password) throws IOException {
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            command.addAll(List.of("unshare", "-U")); // as zonky runs initdb and pg_ctl when started as root
        }
        command.addAll(List.of(Binaries.INSTANCE.postgres().toString(), "--single", "-D", dataDirectory.toString(), "-F",
                "-c", "exit_on_error=true", "-c", "password_encryption=scram-sha-256", "postgres"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            // On stdin, never on the command line; standard_conforming_strings is on, so only ' needs doubling.
            in.write(("ALTER ROLE postgres WITH PASSWORD '" + password.replace("'", "''") + "';\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace(password, "<redacted>");
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("setting the embedded PostgreSQL's password timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted while setting the embedded PostgreSQL's password", e);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("cannot set the embedded PostgreSQL's password in " + dataDirectory
                    + " (is another server running on it?): " + output.strip());
        }
    }

    /** zonky's own binaries, noting the archive's MD5: zonky unpacks them into {@code <work dir>/PG-<md5>}. */
    static final class Binaries implements PgBinaryResolver {
        static final Binaries INSTANCE = new Binaries();
        private volatile String digest;

        @Override
        public InputStream getPgBinary(String system, String machineHardware) throws IOException {
            InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, machineHardware);
            if (in == null) {
                return null;
            }
            byte[] archive;
            try (in) {
                archive = in.readAllBytes();
            }
            try {
                digest = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(archive));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            return new ByteArrayInputStream(archive);
        }

        /** The {@code postgres} binary zonky unpacked (its working directory, as zonky computes it). */
        Path postgres() {
            File work = new File(System.getProperty("ot.epg.working-dir",
                    new File(System.getProperty("java.io.tmpdir"), "embedded-pg").getPath()));
            Path bin = work.toPath().resolve("PG-" + digest).resolve("bin").resolve("postgres");
            if (digest == null || !Files.isExecutable(bin)) {
                throw new IllegalStateException("cannot find the embedded PostgreSQL binaries (looked for " + bin + ")");
            }
            return bin;
        }
    }
}
