package io.lmaas.core.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerTokenTest {

    @Test
    void acceptsOnlyTheExactBearerHeader() {
        String token = WorkerToken.generate();
        assertThat(WorkerToken.matches(token, "Bearer " + token)).isTrue();
        assertThat(WorkerToken.matches(token, WorkerToken.header(token))).isTrue();
        assertThat(WorkerToken.matches(token, null)).isFalse();
        assertThat(WorkerToken.matches(token, "")).isFalse();
        assertThat(WorkerToken.matches(token, token)).isFalse();
        assertThat(WorkerToken.matches(token, "Bearer " + token + "x")).isFalse();
        assertThat(WorkerToken.matches(token, "Bearer " + token.substring(1))).isFalse();
        assertThat(WorkerToken.matches(token, "Basic " + token)).isFalse();
        assertThat(WorkerToken.matches(null, "Bearer ")).isFalse();
        assertThat(WorkerToken.matches("", "Bearer ")).isFalse();
    }

    @Test
    void aMissingOrShortTokenIsRefused() {
        assertThatThrownBy(() -> WorkerToken.requireValid(null)).hasMessageContaining(WorkerToken.ENV);
        assertThatThrownBy(() -> WorkerToken.requireValid("  ")).hasMessageContaining(WorkerToken.ENV);
        assertThatThrownBy(() -> WorkerToken.requireValid("short")).hasMessageContaining("16");
        assertThat(WorkerToken.requireValid(" 0123456789abcdef ")).isEqualTo("0123456789abcdef");
        assertThat(WorkerToken.generate()).hasSizeGreaterThanOrEqualTo(40).isNotEqualTo(WorkerToken.generate());
    }

    @Test
    void secretsAreKeptReadableByTheOwnerOnly(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("secrets").resolve("s");
        String first = Secrets.readOrCreate(file, 16);
        assertThat(Secrets.readOrCreate(file, 16)).isEqualTo(first);
        Secrets.write(file, "replaced");
        assertThat(Secrets.read(file)).isEqualTo("replaced");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    }
}
