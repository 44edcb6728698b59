package io.lmaas.gateway.gpu;

import io.lmaas.gateway.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a job asks the scheduler for (pure): GPUs of which flavors ({@code "gpu": {"count", "flavors"}}) and its
 * {@code priority} among the tenant's jobs (serving deployments outrank every job). Read the same way for fine-tuning
 * jobs and batches.
 */
public record JobResources(int gpus, List<String> flavors, int priority) {
    private static final Pattern FLAVOR = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    /** Reads {@code gpu} and {@code priority} from a request body; {@code defaultPriority} when it names none. */
    public static JobResources parse(JsonObject body, int defaultPriority) {
        int gpus = 0;
        List<String> flavors = List.of();
        Object gpu = body.getValue("gpu");
        if (gpu != null) {
            if (!(gpu instanceof JsonObject g) || !(g.getValue("count") instanceof Integer count) || count < 0 || count > 64
                    || !(g.getValue("flavors", new JsonArray()) instanceof JsonArray list)) {
                throw ApiException.invalidParam("gpu", "'gpu' must be {\"count\": 0 to 64, \"flavors\": [flavor names]}");
            }
            flavors = new ArrayList<>();
            for (Object f : list) {
                if (!(f instanceof String name) || !FLAVOR.matcher(name).matches()) {
                    throw ApiException.invalidParam("gpu", "'gpu.flavors' must be GPU flavor names");
                }
                flavors.add(name);
            }
            if (count > 0 && flavors.isEmpty()) {
                throw ApiException.invalidParam("gpu", "'gpu.flavors' must name at least one flavor when GPUs are asked for");
            }
            gpus = count;
        }
        Object priority = body.getValue("priority", defaultPriority);
        if (!(priority instanceof Integer p) || p < -1000 || p > 999) {
            throw ApiException.invalidParam("priority", "'priority' must be an integer from -1000 to 999");
        }
        return new JobResources(gpus, List.copyOf(flavors), p);
    }
}
