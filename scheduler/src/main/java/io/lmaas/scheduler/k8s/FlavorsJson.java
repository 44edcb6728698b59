package io.lmaas.scheduler.k8s;

import io.lmaas.scheduler.admission.Flavor;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPU flavors from JSON (pure), as the scheduler's {@code --gpu-flavors} / {@code LMAAS_GPU_FLAVORS} gives them:
 * <pre>{"h100": {"nodeSelector": {"lmaas.io/gpu": "h100"},
 *           "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}}</pre>
 */
public final class FlavorsJson {
    private FlavorsJson() {
    }

    public static Map<String, Flavor> parse(String json) {
        JsonObject root;
        try {
            root = new JsonObject(json);
        } catch (DecodeException e) {
            throw new IllegalArgumentException("GPU flavors must be a JSON object: " + e.getMessage());
        }
        Map<String, Flavor> out = new LinkedHashMap<>();
        for (String name : root.fieldNames()) {
            if (!name.matches("[a-z0-9][a-z0-9-]{0,62}")) {
                throw new IllegalArgumentException("GPU flavor name '" + name + "' must be lower-case letters, digits and '-'");
            }
            if (!(root.getValue(name) instanceof JsonObject f)) {
                throw new IllegalArgumentException("GPU flavor '" + name + "' must be an object");
            }
            Map<String, String> selector = new LinkedHashMap<>();
            JsonObject sel = f.getJsonObject("nodeSelector", new JsonObject());
            sel.forEach(e -> selector.put(e.getKey(), String.valueOf(e.getValue())));
            if (selector.isEmpty()) {
                throw new IllegalArgumentException("GPU flavor '" + name + "' needs a nodeSelector");
            }
            List<Flavor.Toleration> tolerations = new ArrayList<>();
            for (Object o : f.getJsonArray("tolerations", new JsonArray())) {
                JsonObject t = (JsonObject) o;
                tolerations.add(new Flavor.Toleration(t.getString("key"), t.getString("operator", "Equal"), t.getString("value"),
                        t.getString("effect")));
            }
            out.put(name, new Flavor(name, selector, tolerations));
        }
        return out;
    }
}
