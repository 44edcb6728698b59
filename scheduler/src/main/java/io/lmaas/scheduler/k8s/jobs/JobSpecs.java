package io.lmaas.scheduler.k8s.jobs;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.scheduler.admission.Flavor;
import io.lmaas.scheduler.k8s.KubernetesConfig;
import io.lmaas.scheduler.k8s.Labels;
import io.lmaas.scheduler.k8s.PodSecurity;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code batch/v1} Job an admitted LMaaS job runs as (pure). Its name is a function of the job id and
 * attempt, so a scheduler that crashed after creating it finds it again instead of creating another; a
 * preempted job's next attempt gets a new name. Its pod runs under {@link PodSecurity}; it gets the database
 * URL from its Secret but not the workers' token (a job serves nothing).
 */
public final class JobSpecs {
    public static final String ATTEMPT = "lmaas.io/attempt";
    static final int DEFAULT_BACKOFF_LIMIT = 2;
    static final long DEFAULT_DEADLINE_SECONDS = 24 * 3600;

    private JobSpecs() {
    }

    /** {@code lmaas-job-<id>-<attempt>}, lower-cased and cut to 63 characters (with a hash when cut). */
    public static String name(String jobId, int attempt) {
        String raw = ("lmaas-job-" + jobId + "-" + attempt).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
        if (raw.length() <= 63) {
            return raw;
        }
        return raw.substring(0, 52) + "-" + hash(raw);
    }

    public static Job job(JobRecord job, Flavor flavor, KubernetesConfig config) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(Labels.NAME, "lmaas-job");
        labels.put(Labels.MANAGED_BY, Labels.MANAGER);
        labels.put(Labels.JOB, job.id());
        labels.put(Labels.TENANT, job.tenantId());
        labels.put(ATTEMPT, Integer.toString(job.attempt()));
        Map<String, Quantity> requests = new LinkedHashMap<>();
        requests.put("cpu", new Quantity(config.workerCpu()));
        requests.put("memory", new Quantity(config.workerMemory()));
        Map<String, Quantity> limits = new LinkedHashMap<>();
        limits.put("memory", new Quantity(config.workerMemory()));
        if (job.gpus() > 0) {
            requests.put(io.lmaas.scheduler.k8s.DesiredObjects.GPU_RESOURCE, new Quantity(Integer.toString(job.gpus())));
            limits.put(io.lmaas.scheduler.k8s.DesiredObjects.GPU_RESOURCE, new Quantity(Integer.toString(job.gpus())));
        }
        int backoffLimit = job.spec() == null ? DEFAULT_BACKOFF_LIMIT : job.spec().getInteger("backoff_limit", DEFAULT_BACKOFF_LIMIT);
        long deadline = job.spec() == null ? DEFAULT_DEADLINE_SECONDS
                : job.spec().getLong("timeout_seconds", DEFAULT_DEADLINE_SECONDS);
        return new JobBuilder()
                .withNewMetadata()
                    .withName(name(job.id(), job.attempt()))
                    .withNamespace(config.namespace())
                    .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                    .withBackoffLimit(backoffLimit)
                    .withActiveDeadlineSeconds(deadline)
                    .withTtlSecondsAfterFinished(3600)
                    .withNewTemplate()
                        .withNewMetadata().withLabels(labels).endMetadata()
                        .withNewSpec()
                            .withRestartPolicy("Never")
                            .addNewContainer()
                                .withName("job")
                                .withImage(config.image())
                                .withImagePullPolicy(config.imagePullPolicy())
                                .withArgs(List.of("worker", io.lmaas.scheduler.local.WorkerCommand.mode(job.kind()), "--job-id=" + job.id()))
                                .addNewEnv().withName("DJL_OFFLINE").withValue("true").endEnv()
                                .addNewEnv().withName("OPT_OUT_TRACKING").withValue("true").endEnv()
                                .addNewEnv().withName("LMAAS_ARTIFACTS").withValue(config.artifactsMountPath()).endEnv()
                                .addNewEnv().withName("LMAAS_DATABASE_URL").withNewValueFrom()
                                    .withNewSecretKeyRef().withName("lmaas-database").withKey("url").endSecretKeyRef()
                                .endValueFrom().endEnv()
                                .addAllToEnv(PodSecurity.scratchEnv())
                                .addAllToEnv(PodSecurity.masterKeys())
                                .withNewResources().withRequests(requests).withLimits(limits).endResources()
                                .withSecurityContext(PodSecurity.container())
                                .addNewVolumeMount().withName("artifacts").withMountPath(config.artifactsMountPath()).endVolumeMount()
                                .addToVolumeMounts(PodSecurity.scratchMount())
                            .endContainer()
                            .withSecurityContext(PodSecurity.pod())
                            .withAutomountServiceAccountToken(false)
                            .withNodeSelector(flavor == null ? null : flavor.nodeSelector())
                            .withTolerations(flavor == null ? List.of() : flavor.tolerations().stream()
                                    .map(t -> new TolerationBuilder().withKey(t.key()).withOperator(t.operator())
                                            .withValue(t.value()).withEffect(t.effect()).build()).toList())
                            .addNewVolume().withName("artifacts")
                                .withNewPersistentVolumeClaim().withClaimName(config.artifactsClaim()).endPersistentVolumeClaim()
                            .endVolume()
                            .addToVolumes(PodSecurity.scratch(PodSecurity.WORKER_SCRATCH))
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 5);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
