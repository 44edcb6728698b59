package io.lmaas.gateway.auth;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a key may do: which models (null = every model the tenant may use) and which endpoint families
 * (null = all of {@code inference, files, fine_tuning, batches}). Pure.
 */
public record KeyScopes(List<String> models, Set<String> endpoints) {
    public static final KeyScopes ALL = new KeyScopes(null, null);
    public static final Set<String> FAMILIES = Set.of("inference", "files", "fine_tuning", "batches");

    public boolean allowsModel(String model) {
        return models == null || models.contains(model);
    }

    public boolean allowsFamily(String family) {
        return endpoints == null || endpoints.contains(family);
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("models", models == null ? null : new JsonArray(new ArrayList<>(models)))
                .put("endpoints", endpoints == null ? null : new JsonArray(new ArrayList<>(endpoints)));
    }

    public static KeyScopes fromStored(JsonObject json) {
        if (json == null) {
            return ALL;
        }
        JsonArray m = json.getJsonArray("models");
        JsonArray e = json.getJsonArray("endpoints");
        return new KeyScopes(m == null ? null : m.stream().map(String.class::cast).toList(),
                e == null ? null : new LinkedHashSet<>(e.stream().map(String.class::cast).toList()));
    }

    /** Parses {@code {"models":[...]|null, "endpoints":[...]|null}}; 400 naming the field otherwise. */
    public static KeyScopes parse(Object raw) {
        if (raw == null) {
            return ALL;
        }
        if (!(raw instanceof JsonObject json)) {
            throw ApiException.invalidParam("scopes", "'scopes' must be an object with 'models' and/or 'endpoints'");
        }
        for (String f : json.fieldNames()) {
            if (!f.equals("models") && !f.equals("endpoints")) {
                throw ApiException.invalidParam("scopes." + f, "unknown scope '" + f + "'; known: models, endpoints");
            }
        }
        List<String> models = strings(json.getValue("models"), "scopes.models");
        List<String> endpoints = strings(json.getValue("endpoints"), "scopes.endpoints");
        if (endpoints != null) {
            for (String e : endpoints) {
                if (!FAMILIES.contains(e)) {
                    throw ApiException.invalidParam("scopes.endpoints", "unknown endpoint family '" + e
                            + "'; known: inference, files, fine_tuning, batches");
                }
            }
        }
        return new KeyScopes(models == null ? null : List.copyOf(new LinkedHashSet<>(models)),
                endpoints == null ? null : new LinkedHashSet<>(endpoints));
    }

    private static List<String> strings(Object raw, String param) {
        if (raw == null) {
            return null;
        }
        if (!(raw instanceof JsonArray array)) {
            throw ApiException.invalidParam(param, "'" + param + "' must be an array of strings or null");
        }
        List<String> out = new ArrayList<>();
        for (Object o : array) {
            if (!(o instanceof String s) || s.isBlank() || s.length() > 200) {
                throw ApiException.invalidParam(param, "'" + param + "' must hold non-empty strings");
            }
            out.add(s);
        }
        return out;
    }
}
