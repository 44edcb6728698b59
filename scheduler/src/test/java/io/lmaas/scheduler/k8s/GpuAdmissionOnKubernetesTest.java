package io.lmaas.scheduler.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.lmaas.core.artifacts.ArtifactStore;
import io.lmaas.core.catalog.ModelCatalogRepository;
import io.lmaas.core.catalog.ModelRecord;
import io.lmaas.core.catalog.ModelTask;
import io.lmaas.core.db.Pools;
import io.lmaas.core.deployments.DeploymentRepository;
import io.lmaas.core.deployments.EndpointRepository;
import io.lmaas.core.jobs.GpuQueueRecord;
import io.lmaas.core.jobs.GpuQueueRepository;
import io.lmaas.core.jobs.JobEvent;
import io.lmaas.core.jobs.JobRecord;
import io.lmaas.core.jobs.JobRepository;
import io.lmaas.core.testing.TestDatabases;
import io.lmaas.scheduler.k8s.crd.GpuRequest;
import io.lmaas.scheduler.k8s.crd.ModelDeployment;
import io.lmaas.scheduler.k8s.jobs.JobController;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * GPU admission end to end on the mock API server and a real PostgreSQL: queued jobs become Kubernetes
 * Jobs only within their tenant's quota, waiting jobs say why (in PostgreSQL, with events), finished Jobs
 * are mirrored back, and a serving deployment draws on the same quota — preempting the tenant's
 * lower-priority job to get its GPUs.
 */
class GpuAdmissionOnKubernetesTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String NS = TestResources.NAMESPACE;

    private KubernetesMockServer server;
    private KubernetesClient client;
    private Vertx vertx;
    private Pool pool;
    private JobRepository jobs;
    private JobController jobController;
    private AdmissionController admission;
    private ModelDeploymentReconciler reconciler;

    @BeforeEach
    void setUp() throws Exception {
        server = Crds.mockServer();
        client = server.createClient();
        Crds.install(client);
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("gpu-1").withLabels(Map.of("lmaas.io/gpu", "h100"))
                .endMetadata().withNewStatus().withAllocatable(Map.of("nvidia.com/gpu", new Quantity("8")))
                .addNewCondition().withType("Ready").withStatus("True").endCondition().endStatus().build()).create();
        vertx = Vertx.vertx();
        pool = Pools.create(vertx, TestDatabases.fresh(), 4);
        for (String t : List.of("tn-acme", "tn-beta")) {
            pool.preparedQuery("INSERT INTO tenants (id, name) VALUES ($1, $1)").execute(Tuple.of(t)).await(5, TimeUnit.SECONDS);
        }
        new GpuQueueRepository(pool).put(new GpuQueueRecord("tn-acme", 1, null, Map.of("h100", 2), Map.of()))
                .await(5, TimeUnit.SECONDS);
        new ModelCatalogRepository(pool).register(new ModelRecord("chat", ModelTask.TEXT_GENERATION, null, null, null), "1",
                ArtifactStore.uri(Path.of("/var/lib/lmaas/artifacts/models/chat/1"))).await(10, TimeUnit.SECONDS);
        jobs = new JobRepository(pool);
        start();
    }

    private void start() {
        jobController = new JobController(client, TestResources.config(), jobs);
        jobController.start(Duration.ofMillis(200));
        reconciler = new ModelDeploymentReconciler(client, TestResources.config(),
                new PostgresMirror(new DeploymentRepository(pool), new EndpointRepository(pool), pool), Clock.systemUTC(), true);
        reconciler.start();
        admission = new AdmissionController(client, TestResources.config(), jobs, new GpuQueueRepository(pool), Clock.systemUTC(),
                () -> {
                    jobController.trigger();
                    reconciler.requeueAll();
                });
        admission.start(Duration.ofMillis(200));
    }

    private void stop() {
        admission.close();
        reconciler.close();
        jobController.close();
    }

    @AfterEach
    void tearDown() throws Exception {
        stop();
        client.close();
        server.destroy();
        pool.close().await(5, TimeUnit.SECONDS);
        vertx.close().await(5, TimeUnit.SECONDS);
    }

    private JobRecord job(String id) throws Exception {
        return jobs.find(id).await(5, TimeUnit.SECONDS);
    }

    private Job k8sJob(String name) {
        return client.batch().v1().jobs().inNamespace(NS).withName(name).get();
    }

    private void setJobStatus(String name, java.util.function.Consumer<Job> change) {
        Job k = k8sJob(name);
        change.accept(k);
        client.batch().v1().jobs().inNamespace(NS).resource(k).updateStatus();
    }

    @Test
    void jobsRunWithinQuotaWaitingOnesSayWhyAndServingSharesTheQuota() throws Exception {
        double jobAdmissions = counted("lmaas_scheduler_admissions", "job");
        double jobPreemptions = counted("lmaas_scheduler_preemptions", "job");
        long reconciles = reconciles();
        jobs.create("job-1", "tn-acme", "fine_tuning", 0, List.of("h100"), 2, new JsonObject()).await(5, TimeUnit.SECONDS);
        jobs.create("job-2", "tn-acme", "fine_tuning", 0, List.of("h100"), 2, new JsonObject()).await(5, TimeUnit.SECONDS);

        await().atMost(WAIT).until(() -> k8sJob("lmaas-job-job-1-0") != null);
        Job k = k8sJob("lmaas-job-job-1-0");
        var pod = k.getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers().get(0).getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("2"));
        assertThat(pod.getNodeSelector()).containsEntry("lmaas.io/gpu", "h100");
        assertThat(pod.getTolerations()).extracting(t -> t.getKey()).containsExactly("nvidia.com/gpu");
        assertThat(k.getMetadata().getLabels()).containsEntry("lmaas.io/tenant", "tn-acme").containsEntry("lmaas.io/job", "job-1");
        assertThat(k.getSpec().getBackoffLimit()).isEqualTo(2);
        assertThat(k.getSpec().getActiveDeadlineSeconds()).isEqualTo(86_400L);

        await().atMost(WAIT).until(() -> "InsufficientQuota: tenant tn-acme uses 2/2 h100, needs 2 more".equals(job("job-2").reason()));
        assertThat(k8sJob("lmaas-job-job-2-0")).isNull();
        List<JobEvent> events = jobs.events("job-2").await(5, TimeUnit.SECONDS);
        assertThat(events).extracting(JobEvent::type).containsExactly("queued", "waiting");
        assertThat(events.get(1).message()).startsWith("InsufficientQuota");

        // The Job's pod cannot be scheduled (as the kube-scheduler would report it): the job's events say so, once.
        for (int i = 0; i < 2; i++) {
            client.pods().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                    .withNewMetadata().withName("lmaas-job-job-1-0-abcde").withLabels(k.getSpec().getTemplate().getMetadata().getLabels())
                    .endMetadata().withNewStatus().withPhase("Pending").addNewCondition().withType("PodScheduled").withStatus("False")
                    .withReason("Unschedulable").withMessage("0/1 nodes are available: 1 Insufficient nvidia.com/gpu").endCondition()
                    .endStatus().build()).createOr(op -> op.update());
        }
        await().atMost(WAIT).until(() -> jobs.events("job-1").await(5, TimeUnit.SECONDS).stream().anyMatch(e -> e.type().equals("pod")
                && e.message().equals("Unschedulable: lmaas-job-job-1-0-abcde: 0/1 nodes are available: 1 Insufficient nvidia.com/gpu")));
        await().pollDelay(Duration.ofMillis(600)).atMost(WAIT).until(() -> true);
        assertThat(jobs.events("job-1").await(5, TimeUnit.SECONDS).stream().filter(e -> e.type().equals("pod"))).hasSize(1);
        client.pods().inNamespace(NS).withName("lmaas-job-job-1-0-abcde").delete();

        // The Job's pod starts, then the Job completes: PostgreSQL follows, and job-2 gets the GPUs.
        setJobStatus("lmaas-job-job-1-0", j -> j.setStatus(new io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder()
                .withActive(1).build()));
        await().atMost(WAIT).until(() -> JobRecord.RUNNING.equals(job("job-1").status()));
        setJobStatus("lmaas-job-job-1-0", j -> j.getStatus().setConditions(List.of(new JobConditionBuilder()
                .withType("Complete").withStatus("True").build())));
        await().atMost(WAIT).until(() -> JobRecord.SUCCEEDED.equals(job("job-1").status()));
        await().atMost(WAIT).until(() -> k8sJob("lmaas-job-job-2-0") != null);
        assertThat(jobs.events("job-1").await(5, TimeUnit.SECONDS)).extracting(JobEvent::type)
                .containsExactly("queued", "admitted", "pod", "running", "succeeded");

        // A serving deployment of the same tenant (priority 1000) takes the quota back from job-2 (priority 0).
        ModelDeployment md = TestResources.modelDeployment("chat-acme", "chat", "1", 2, new GpuRequest(1, "h100"));
        md.getSpec().setTenant("tn-acme");
        client.resource(md).create();
        await().atMost(WAIT).until(() -> job("job-2").attempt() == 1 && job("job-2").admittedFlavor() == null);
        assertThat(jobs.events("job-2").await(5, TimeUnit.SECONDS)).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo("preempted");
            assertThat(e.message()).isEqualTo("Preempted: by md/chat-acme (priority 1000 over 0)");
        });
        await().atMost(WAIT).until(() -> k8sJob("lmaas-job-job-2-0") == null);
        await().atMost(WAIT).until(() -> {
            Deployment d = client.apps().deployments().inNamespace(NS).withName("lmaas-w-chat-acme").get();
            return d != null && d.getSpec().getReplicas() == 2;
        });
        await().atMost(WAIT).until(() -> job("job-2").reason() != null && job("job-2").reason().startsWith("InsufficientQuota"));

        // The scheduler's metrics saw it: two job admissions, one preemption, job-2 waiting for quota, reconciles timed. An
        // admission cycle records its metrics after its database writes, so what the test saw in PostgreSQL can come first.
        await().atMost(WAIT).until(() -> counted("lmaas_scheduler_preemptions", "job") - jobPreemptions >= 1);
        assertThat(counted("lmaas_scheduler_admissions", "job") - jobAdmissions).isEqualTo(2);
        assertThat(counted("lmaas_scheduler_preemptions", "job") - jobPreemptions).isEqualTo(1);
        await().atMost(WAIT).until(() -> io.lmaas.core.metrics.ProcessMetrics.registry().find("lmaas_scheduler_pending_workloads")
                .tag("reason", "InsufficientQuota").gauge().value() == 1.0);
        assertThat(reconciles()).isGreaterThan(reconciles);

        // Restarted controllers find their objects again: no duplicate Jobs or Deployments.
        stop();
        start();
        await().pollDelay(Duration.ofSeconds(1)).atMost(WAIT).until(() -> true);
        assertThat(client.batch().v1().jobs().inNamespace(NS).list().getItems()).extracting(j -> j.getMetadata().getName())
                .containsExactly("lmaas-job-job-1-0");
        assertThat(client.apps().deployments().inNamespace(NS).list().getItems()).hasSize(1);
        assertThat(job("job-2").status()).isEqualTo(JobRecord.QUEUED);
    }

    @Test
    void aBatchRunsAsAJobOnItsAdmittedFlavorIsPreemptedByServingAndRunsAgainUnderANewAttempt() throws Exception {
        jobs.create("batch_1", "tn-acme", "batch", JobRecord.QUEUED, -100, List.of("h100"), 2, new JsonObject()
                .put("endpoint", "/v1/classifications")).await(5, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> k8sJob("lmaas-job-batch-1-0") != null);
        var pod = k8sJob("lmaas-job-batch-1-0").getSpec().getTemplate().getSpec();
        assertThat(pod.getContainers().get(0).getArgs()).containsExactly("worker", "batch", "--job-id=batch_1");
        assertThat(pod.getContainers().get(0).getResources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("2"));
        assertThat(pod.getNodeSelector()).containsEntry("lmaas.io/gpu", "h100");
        assertThat(job("batch_1").admittedFlavor()).isEqualTo("h100");

        // Serving outranks the batch: the tenant's deployment takes the quota, the batch's attempt 0 goes.
        ModelDeployment md = TestResources.modelDeployment("chat-acme", "chat", "1", 1, new GpuRequest(1, "h100"));
        md.getSpec().setTenant("tn-acme");
        client.resource(md).create();
        await().atMost(WAIT).until(() -> job("batch_1").attempt() == 1 && job("batch_1").admittedFlavor() == null);
        assertThat(jobs.events("batch_1").await(5, TimeUnit.SECONDS)).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo("preempted");
            assertThat(e.message()).isEqualTo("Preempted: by md/chat-acme (priority 1000 over -100)");
        });
        await().atMost(WAIT).until(() -> k8sJob("lmaas-job-batch-1-0") == null);
        await().atMost(WAIT).until(() -> job("batch_1").reason() != null && job("batch_1").reason().startsWith("InsufficientQuota"));

        // The deployment goes: the batch is admitted again and runs as a new Job, the attempt's (it resumes where its
        // committed lines end: the batch worker reads that from the batch's progress).
        client.resource(md).delete();
        await().atMost(WAIT).until(() -> k8sJob("lmaas-job-batch-1-1") != null);
        assertThat(k8sJob("lmaas-job-batch-1-1").getSpec().getTemplate().getSpec().getContainers().get(0).getArgs())
                .containsExactly("worker", "batch", "--job-id=batch_1");
        assertThat(k8sJob("lmaas-job-batch-1-1").getMetadata().getLabels()).containsEntry("lmaas.io/attempt", "1");
        assertThat(job("batch_1").admittedFlavor()).isEqualTo("h100");
    }

    @Test
    void aGpuDeploymentWithoutQuotaRunsNothingAndSaysWhy() {
        ModelDeployment md = TestResources.modelDeployment("chat-beta", "chat", "1", 1, new GpuRequest(1, "h100"));
        md.getSpec().setTenant("tn-beta");
        client.resource(md).create();
        await().atMost(WAIT).until(() -> {
            ModelDeployment m = client.resources(ModelDeployment.class).inNamespace(NS).withName("chat-beta").get();
            return m.getStatus() != null && m.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Progressing")
                    && "WaitingForGpus".equals(c.getReason()) && c.getMessage().contains("NoQueue: tenant tn-beta has no GPU queue"));
        });
        assertThat(client.apps().deployments().inNamespace(NS).withName("lmaas-w-chat-beta").get().getSpec().getReplicas()).isZero();
    }

    private static double counted(String meter, String kind) {
        return io.lmaas.core.metrics.ProcessMetrics.registry().find(meter).tag("kind", kind).counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    private static long reconciles() {
        return io.lmaas.core.metrics.ProcessMetrics.registry().find("lmaas_scheduler_reconcile").tag("loop", "model_deployment")
                .timers().stream().mapToLong(io.micrometer.core.instrument.Timer::count).sum();
    }
}
