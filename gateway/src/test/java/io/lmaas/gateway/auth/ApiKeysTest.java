package io.lmaas.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ApiKeysTest {

    @Test
    void issuedKeysParseBackAndNeverPrintTheirSecret() {
        ApiKeys.Issued issued = ApiKeys.issue();
        assertThat(issued.token()).startsWith("lm-" + issued.keyId() + "-").hasSize(3 + 12 + 1 + 40);
        assertThat(ApiKeys.parse(issued.token())).contains(new ApiKeys.Presented(issued.keyId(), issued.secret()));
        assertThat(issued.toString()).doesNotContain(issued.secret());
        assertThat(ApiKeys.parse(issued.token()).orElseThrow().toString()).doesNotContain(issued.secret());
        assertThat(ApiKeys.masked(issued.keyId(), issued.last4())).isEqualTo("lm-" + issued.keyId() + "-****" + issued.last4());
        assertThat(ApiKeys.issue().token()).isNotEqualTo(issued.token());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "sk-abc", "lm-short-secret", "lm-abcdefghijkm-tooshort",
        "lm-ABCDEFGHIJKM-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "lm-abcdefghijkm-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"})
    void malformedTokensAreRejected(String token) {
        assertThat(ApiKeys.parse(token)).isEmpty();
    }

    @Test
    void hashesAreKeyedAndCompared() {
        KeyHasher a = new KeyHasher("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));
        KeyHasher b = new KeyHasher("fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.UTF_8));
        byte[] stored = a.hash("secret");
        assertThat(a.matches("secret", stored)).isTrue();
        assertThat(a.matches("secreT", stored)).isFalse();
        assertThat(b.matches("secret", stored)).isFalse();
    }
}
