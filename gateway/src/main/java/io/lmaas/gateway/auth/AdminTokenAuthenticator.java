package io.lmaas.gateway.auth;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Admin API access with the bootstrap admin token (local mode; Keycloak sign-in comes with the console).
 * Compares SHA-256 digests in constant time.
 */
public final class AdminTokenAuthenticator implements Handler<RoutingContext> {
    public static final String ACTOR = "bootstrap-admin";
    private final byte[] tokenDigest;

    public AdminTokenAuthenticator(String adminToken) {
        this.tokenDigest = sha256(adminToken);
    }

    @Override
    public void handle(RoutingContext ctx) {
        String header = ctx.request().getHeader("authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)
                || !MessageDigest.isEqual(tokenDigest, sha256(header.substring(7).trim()))) {
            ctx.fail(new ApiException(401, "invalid_request_error", "invalid_admin_token", null,
                    "Missing or incorrect admin token.", null));
            return;
        }
        ctx.next();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
