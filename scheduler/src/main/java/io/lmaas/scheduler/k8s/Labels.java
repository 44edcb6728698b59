package io.lmaas.scheduler.k8s;

import java.util.LinkedHashMap;
import java.util.Map;

/** The labels and annotations LMaaS puts on what it creates in Kubernetes (pure). */
public final class Labels {
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGER = "lmaas-scheduler";
    public static final String NAME = "app.kubernetes.io/name";
    public static final String DEPLOYMENT = "lmaas.io/deployment";
    public static final String MODEL = "lmaas.io/model";
    public static final String TENANT = "lmaas.io/tenant";
    public static final String JOB = "lmaas.io/job";
    /** Hash of the spec an object was generated from: a changed hash means the object must be replaced. */
    public static final String SPEC_HASH = "lmaas.io/spec-hash";

    private Labels() {
    }

    /** Labels of a ModelDeployment's worker objects and pods. */
    public static Map<String, String> worker(String deployment, String model, String tenant) {
        Map<String, String> labels = selector(deployment);
        labels.put(NAME, "lmaas-worker");
        labels.put(MANAGED_BY, MANAGER);
        labels.put(MODEL, model);
        if (tenant != null) {
            labels.put(TENANT, tenant);
        }
        return labels;
    }

    /** What selects one ModelDeployment's pods. */
    public static Map<String, String> selector(String deployment) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(DEPLOYMENT, deployment);
        return labels;
    }
}
