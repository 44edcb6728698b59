package io.lmaas.gateway.auth;

import io.lmaas.core.ids.Ids;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API key format {@code lm-<keyId>-<secret>}: the key id is public (stored, logged, shown masked),
 * the secret is shown once and only its keyed hash is stored. Pure code.
 */
public final class ApiKeys {
    private static final Pattern FORMAT = Pattern.compile("lm-([a-z2-9]{12})-([A-Za-z0-9]{40})");
    private static final char[] SECRET_ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A newly issued key: the full token is shown to the caller once and never stored. */
    public record Issued(String keyId, String secret) {
        public String token() {
            return "lm-" + keyId + "-" + secret;
        }

        public String last4() {
            return secret.substring(secret.length() - 4);
        }

        @Override
        public String toString() {
            return "Issued[keyId=" + keyId + ", secret=<redacted>]";
        }
    }

    /** A presented token split into its parts. */
    public record Presented(String keyId, String secret) {
        @Override
        public String toString() {
            return "Presented[keyId=" + keyId + ", secret=<redacted>]";
        }
    }

    private ApiKeys() {
    }

    public static Issued issue() {
        char[] secret = new char[40];
        for (int i = 0; i < secret.length; i++) {
            secret[i] = SECRET_ALPHABET[RANDOM.nextInt(SECRET_ALPHABET.length)];
        }
        return new Issued(Ids.random(12), new String(secret));
    }

    public static Optional<Presented> parse(String token) {
        if (token == null) {
            return Optional.empty();
        }
        Matcher m = FORMAT.matcher(token);
        return m.matches() ? Optional.of(new Presented(m.group(1), m.group(2))) : Optional.empty();
    }

    /** How a key is shown after creation: its id and the last four characters of the secret. */
    public static String masked(String keyId, String last4) {
        return "lm-" + keyId + "-****" + last4;
    }
}
