package io.lmaas.core.api;

import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.Set;
import java.util.TreeSet;

/**
 * The operations a router serves, as {@code "METHOD /path/{param}"}: every route with a method and a path, through
 * mounted sub-routers ({@code route("/v1/*").subRouter(...)}); routes without a method (authentication, body
 * reading, static files) are not operations. Pure: it reads what the router was given, to compare with the API
 * document (OpenApiDocumentTest).
 */
public final class RouteTable {
    private RouteTable() {
    }

    public static Set<String> operations(Router router) {
        Set<String> out = new TreeSet<>();
        collect(router, "", out);
        return out;
    }

    private static void collect(Router router, String prefix, Set<String> out) {
        for (Route route : router.getRoutes()) {
            String path = route.getPath();
            if (route.getSubRouter() != null) {
                collect(route.getSubRouter(), prefix + (path == null ? "" : path.replaceAll("/?\\*?$", "")), out);
            } else if (path != null && route.methods() != null && !route.methods().isEmpty()) {
                String templated = (prefix + path).replaceAll(":([A-Za-z0-9_]+)", "{$1}");
                route.methods().forEach(m -> out.add(m.name() + " " + templated));
            }
        }
    }
}
