package io.lmaas.deploy.identity;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Signs a user in to the console client the way a browser does — authorization code flow with PKCE
 * (S256) through Keycloak's real login form — and returns the access token. For API-level tests; the
 * browser tests use a real browser.
 */
public final class OidcLogin {
    private static final Pattern FORM = Pattern.compile("<form[^>]*id=\"kc-form-login\"[^>]*action=\"([^\"]+)\"");

    private OidcLogin() {
    }

    public static String accessToken(KeycloakServer kc, String consoleOrigin, String username, String password) throws Exception {
        // Keycloak marks its session cookies Secure; browsers send them to http://127.0.0.1 (a secure context),
        // java.net.CookieManager would not, so cookies are carried by hand.
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(5)).build();
        Map<String, String> cookies = new java.util.LinkedHashMap<>();
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        String verifier = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        String challenge = Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256")
                .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        String redirect = consoleOrigin + "/console/";
        String auth = kc.issuer() + "/protocol/openid-connect/auth?" + form(Map.of("client_id", "lmaas-console",
                "redirect_uri", redirect, "response_type", "code", "scope", "openid", "state", "s1",
                "code_challenge", challenge, "code_challenge_method", "S256"));
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(auth)).build(), HttpResponse.BodyHandlers.ofString());
        keep(cookies, page);
        Matcher m = FORM.matcher(page.body());
        if (page.statusCode() != 200 || !m.find()) {
            throw new IllegalStateException("no login form: " + page.statusCode() + " " + page.body());
        }
        String action = m.group(1).replace("&amp;", "&");
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(action))
                .header("Content-Type", "application/x-www-form-urlencoded").header("Cookie", cookies.entrySet().stream()
                        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("; ")))
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("username", username, "password", password, "credentialId", ""))))
                .build(), HttpResponse.BodyHandlers.ofString());
        String location = login.headers().firstValue("location").orElseThrow(() -> new IllegalStateException(
                "login refused for " + username + ": " + login.statusCode()));
        Matcher code = Pattern.compile("[?&]code=([^&]+)").matcher(location);
        if (!location.startsWith(redirect) || !code.find()) {
            throw new IllegalStateException("unexpected redirect " + location);
        }
        HttpResponse<String> token = http.send(HttpRequest.newBuilder(URI.create(kc.issuer() + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("grant_type", "authorization_code", "code",
                        java.net.URLDecoder.decode(code.group(1), StandardCharsets.UTF_8), "redirect_uri", redirect,
                        "client_id", "lmaas-console", "code_verifier", verifier)))).build(), HttpResponse.BodyHandlers.ofString());
        if (token.statusCode() != 200) {
            throw new IllegalStateException("token exchange failed: " + token.body());
        }
        return new JsonObject(token.body()).getString("access_token");
    }

    private static void keep(Map<String, String> cookies, HttpResponse<?> r) {
        for (String set : r.headers().allValues("set-cookie")) {
            String pair = set.split(";", 2)[0];
            int eq = pair.indexOf('=');
            if (eq > 0) {
                cookies.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
    }

    private static String form(Map<String, String> fields) {
        return fields.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }
}
