package io.lmaas.core.db;

import io.lmaas.core.config.ConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Where the PostgreSQL system of record lives. Accepts {@code postgresql://user:pass@host:port/db}
 * (also {@code postgres://} and {@code jdbc:postgresql://}); gives both the Vert.x client and JDBC
 * (Flyway) views.
 */
public record DatabaseUrl(String host, int port, String database, String user, String password) {

    public static DatabaseUrl parse(String url) {
        String raw = url.startsWith("jdbc:") ? url.substring(5) : url;
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            throw new ConfigException("database URL is not a valid URI: " + e.getMessage());
        }
        if (!"postgresql".equals(uri.getScheme()) && !"postgres".equals(uri.getScheme())) {
            throw new ConfigException("database URL must start with postgresql://, got scheme '" + uri.getScheme() + "'");
        }
        if (uri.getHost() == null) {
            throw new ConfigException("database URL has no host");
        }
        String db = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
        String user = "postgres";
        String password = "";
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = decode(parts[0]);
            password = parts.length > 1 ? decode(parts[1]) : "";
        }
        // JDBC style ?user=&password= query parameters are honoured too.
        if (uri.getRawQuery() != null) {
            for (String kv : uri.getRawQuery().split("&")) {
                String[] p = kv.split("=", 2);
                if (p.length == 2 && p[0].equals("user")) {
                    user = decode(p[1]);
                } else if (p.length == 2 && p[0].equals("password")) {
                    password = decode(p[1]);
                }
            }
        }
        return new DatabaseUrl(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), db, user, password);
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** The full URL, password included (percent-encoded): for a child process's environment, never for logs. */
    public String withCredentials() {
        return "postgresql://" + java.net.URLEncoder.encode(user, StandardCharsets.UTF_8) + ":"
                + java.net.URLEncoder.encode(password, StandardCharsets.UTF_8) + "@" + host + ":" + port + "/" + database;
    }

    /** The URL without its password, for logs. */
    public String redacted() {
        return "postgresql://" + user + "@" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return redacted();
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
