package io.lmaas.scheduler.k8s;

import io.fabric8.kubernetes.api.model.CapabilitiesBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SeccompProfileBuilder;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.lmaas.core.crypto.MasterKeys;
import io.lmaas.core.secrets.WorkerToken;
import java.util.List;

/**
 * How every pod the scheduler creates runs (pure), as the gateway and scheduler in {@code deploy/k8s} do: the
 * Kubernetes "restricted" Pod Security Standard (the image's non-root user 10001, no privilege escalation, every
 * capability dropped, seccomp RuntimeDefault) and a read-only root filesystem. The one writable place is an
 * emptyDir scratch volume at {@code /tmp}: Java's temporary files, and DJL's cache, where libtorch is unpacked
 * on first use (about 450 MB). Also the internal worker token, from its Secret.
 */
public final class PodSecurity {
    /** The image's user (deploy/Dockerfile). */
    public static final long USER = 10001;
    public static final String SCRATCH = "scratch";
    public static final String SCRATCH_PATH = "/tmp";
    /** Room for libtorch and temporary files in a worker or job pod. */
    public static final String WORKER_SCRATCH = "2Gi";

    private PodSecurity() {
    }

    public static PodSecurityContext pod() {
        return new PodSecurityContextBuilder()
                .withRunAsNonRoot(true)
                .withRunAsUser(USER)
                .withRunAsGroup(USER)
                .withFsGroup(USER)
                .withFsGroupChangePolicy("OnRootMismatch")
                .withSeccompProfile(new SeccompProfileBuilder().withType("RuntimeDefault").build())
                .build();
    }

    public static SecurityContext container() {
        return new SecurityContextBuilder()
                .withRunAsNonRoot(true)
                .withAllowPrivilegeEscalation(false)
                .withPrivileged(false)
                .withReadOnlyRootFilesystem(true)
                .withCapabilities(new CapabilitiesBuilder().withDrop("ALL").build())
                .withSeccompProfile(new SeccompProfileBuilder().withType("RuntimeDefault").build())
                .build();
    }

    public static Volume scratch(String sizeLimit) {
        return new VolumeBuilder().withName(SCRATCH).withNewEmptyDir().withSizeLimit(new Quantity(sizeLimit)).endEmptyDir().build();
    }

    public static VolumeMount scratchMount() {
        return new VolumeMountBuilder().withName(SCRATCH).withMountPath(SCRATCH_PATH).build();
    }

    /** HOME and DJL's cache on the scratch volume (the image's home directory is read-only). */
    public static List<EnvVar> scratchEnv() {
        return List.of(new EnvVarBuilder().withName("HOME").withValue(SCRATCH_PATH).build(),
                new EnvVarBuilder().withName("DJL_CACHE_DIR").withValue(SCRATCH_PATH + "/djl.ai").build());
    }

    /**
     * {@code LMAAS_MASTER_KEY} (and, during a rotation, {@code LMAAS_MASTER_KEY_PREVIOUS}) from the Secret
     * {@value KubernetesConfig#MASTER_KEY_SECRET}: workers open tenants' data keys with it, in memory.
     */
    public static List<EnvVar> masterKeys() {
        return List.of(new EnvVarBuilder().withName(MasterKeys.ENV).withNewValueFrom().withNewSecretKeyRef()
                        .withName(KubernetesConfig.MASTER_KEY_SECRET).withKey("master-key").endSecretKeyRef().endValueFrom().build(),
                new EnvVarBuilder().withName(MasterKeys.PREVIOUS_ENV).withNewValueFrom().withNewSecretKeyRef()
                        .withName(KubernetesConfig.MASTER_KEY_SECRET).withKey("previous").withOptional(true).endSecretKeyRef()
                        .endValueFrom().build());
    }

    /** {@code LMAAS_WORKER_TOKEN} from the Secret {@value KubernetesConfig#WORKER_TOKEN_SECRET}. */
    public static EnvVar workerToken() {
        return new EnvVarBuilder().withName(WorkerToken.ENV).withNewValueFrom().withNewSecretKeyRef()
                .withName(KubernetesConfig.WORKER_TOKEN_SECRET).withKey(KubernetesConfig.WORKER_TOKEN_KEY)
                .endSecretKeyRef().endValueFrom().build();
    }
}
