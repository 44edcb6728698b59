package io.lmaas.gateway.auth;

import io.lmaas.gateway.http.ApiException;
import io.lmaas.gateway.identity.ConsoleTokenVerifier;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Admin API sign-in: the bootstrap admin token (compared as SHA-256 digests in constant time) makes the
 * caller the platform admin; with Keycloak configured, a console access token (a JWT) is checked by the
 * {@link ConsoleTokenVerifier}. Either way the {@link AdminPrincipal} is attached to the request.
 */
public final class AdminTokenAuthenticator implements Handler<RoutingContext> {
    public static final String ACTOR = "bootstrap-admin";
    private final byte[] tokenDigest;
    private final Optional<ConsoleTokenVerifier> console;

    public AdminTokenAuthenticator(String adminToken) {
        this(adminToken, Optional.empty());
    }

    public AdminTokenAuthenticator(String adminToken, Optional<ConsoleTokenVerifier> console) {
        this.tokenDigest = sha256(adminToken);
        this.console = console;
    }

    @Override
    public void handle(RoutingContext ctx) {
        String header = ctx.request().getHeader("authorization");
        String token = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : null;
        if (token != null && MessageDigest.isEqual(tokenDigest, sha256(token))) {
            AdminPrincipal.bootstrap().attach(ctx);
            ctx.next();
            return;
        }
        if (token != null && console.isPresent() && ConsoleTokenVerifier.looksLikeJwt(token)) {
            // The key cache is shared by every event loop: carry on on this request's own context.
            io.vertx.core.Context own = io.vertx.core.Vertx.currentContext();
            console.get().verify(token).onComplete(ar -> own.runOnContext(v -> {
                if (ar.succeeded()) {
                    ar.result().attach(ctx);
                    ctx.next();
                } else {
                    ctx.fail(ar.cause());
                }
            }));
            return;
        }
        ctx.fail(new ApiException(401, "invalid_request_error", "invalid_admin_token", null,
                "Missing or incorrect admin token.", null));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
