package io.lmaas.scheduler.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.InputStream;
import java.util.HashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/** fabric8's mock API server in CRUD mode, and the generated ModelDeployment CRD installed in it (as kubectl apply would). */
final class Crds {
    static final String RESOURCE = "/META-INF/fabric8/modeldeployments.lmaas.io-v1.yml";
    /** Held so the level set on it sticks: the mock server logs every request at INFO otherwise. */
    private static final Logger MOCK_LOG = Logger.getLogger("io.fabric8.mockwebserver");

    static KubernetesMockServer mockServer() {
        MOCK_LOG.setLevel(Level.WARNING);
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        return server;
    }

    private Crds() {
    }

    static void install(KubernetesClient client) throws Exception {
        try (InputStream in = Crds.class.getResourceAsStream(RESOURCE)) {
            client.apiextensions().v1().customResourceDefinitions().load(in).create();
        }
    }
}
