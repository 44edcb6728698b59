package io.lmaas.scheduler.k8s.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A served model version on Kubernetes ({@code kubectl get modeldeployments}). The scheduler reconciles
 * each into a worker Deployment and Service and reports readiness in its status. The CRD is generated
 * from these types at build time (deploy/k8s/base/crd holds the committed copy, checked by a test).
 */
@Group(ModelDeployment.GROUP)
@Version(ModelDeployment.VERSION)
@Kind("ModelDeployment")
@Plural("modeldeployments")
@Singular("modeldeployment")
@ShortNames("mdep")
@AdditionalPrinterColumn(name = "MODEL", jsonPath = ".spec.model", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "VERSION", jsonPath = ".spec.version", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "READY", jsonPath = ".status.ready", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "AGE", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class ModelDeployment extends CustomResource<ModelDeploymentSpec, ModelDeploymentStatus> implements Namespaced {
    public static final String GROUP = "lmaas.io";
    public static final String VERSION = "v1alpha1";

    @Override
    protected ModelDeploymentSpec initSpec() {
        return new ModelDeploymentSpec();
    }
}
