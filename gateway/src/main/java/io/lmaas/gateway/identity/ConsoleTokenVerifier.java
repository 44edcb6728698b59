package io.lmaas.gateway.identity;

import io.lmaas.gateway.auth.AdminPrincipal;
import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Future;
import java.time.Clock;

/**
 * Console sign-in: a Keycloak access token checked against the realm's keys ({@link JwksCache}) and the
 * {@link ConsoleTokenRules}. {@code 401 invalid_token} for a bad, expired or foreign token, {@code 403
 * no_console_role} for a user without a console role.
 */
public final class ConsoleTokenVerifier {
    private final JwksCache keys;
    private final ConsoleTokenRules rules;
    private final Clock clock;

    public ConsoleTokenVerifier(JwksCache keys, ConsoleTokenRules rules, Clock clock) {
        this.keys = keys;
        this.rules = rules;
        this.clock = clock;
    }

    public static boolean looksLikeJwt(String token) {
        return token.chars().filter(c -> c == '.').count() == 2;
    }

    public Future<AdminPrincipal> verify(String token) {
        Jwt jwt;
        try {
            jwt = Jwt.parse(token);
        } catch (Jwt.Invalid e) {
            return Future.failedFuture(invalid(e.getMessage()));
        }
        return keys.key(jwt.keyId()).compose(key -> {
            if (key == null) {
                return Future.failedFuture(invalid("the token is signed with a key the realm does not have"));
            }
            try {
                jwt.verify(key);
                return Future.succeededFuture(rules.principal(jwt.claims(), clock.instant()));
            } catch (Jwt.Invalid e) {
                return Future.failedFuture(invalid(e.getMessage()));
            } catch (ConsoleTokenRules.Refused e) {
                return Future.failedFuture(e.forbidden() ? ApiException.forbidden("no_console_role", null, e.getMessage())
                        : invalid(e.getMessage()));
            }
        });
    }

    private static ApiException invalid(String why) {
        return new ApiException(401, "invalid_request_error", "invalid_token", null, "Sign in again: " + why + ".", null);
    }
}
