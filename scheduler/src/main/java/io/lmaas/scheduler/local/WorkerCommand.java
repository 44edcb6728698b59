package io.lmaas.scheduler.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of one worker process (pure). */
public final class WorkerCommand {
    /** How long a stopped worker may spend finishing its running work (the backend waits a little longer). */
    public static final long DRAIN_TIMEOUT_MS = 8000;

    private WorkerCommand() {
    }

    public static List<String> serve(LocalBackendConfig config, String modelId, Path modelDir, Path portFile, long parentPid) {
        List<String> cmd = worker(config, "serve");
        cmd.add("--model-dir=" + modelDir);
        cmd.add("--model-id=" + modelId);
        if (modelDir.getParent() != null && modelDir.getParent().getParent() != null) {
            // Adapters of this model are versions in the same store (<models>/<adapter>/<version>).
            cmd.add("--adapters-root=" + modelDir.getParent().getParent());
        }
        cmd.add("--port=0");
        cmd.add("--port-file=" + portFile);
        cmd.add("--parent-pid=" + parentPid);
        cmd.add("--threads=" + config.inferenceThreads());
        cmd.add("--drain-timeout-ms=" + DRAIN_TIMEOUT_MS);
        return cmd;
    }

    /**
     * {@code lmaas worker job} (fine-tuning) or {@code lmaas worker batch} (a batch, by {@code kind}): the database URL and
     * artifact root travel in the environment, not the command line. With {@code nextFromStdin}, a batch worker whose batch
     * completed reads its tenant's next batch's id from its standard input.
     */
    public static List<String> job(LocalBackendConfig config, String kind, String jobId, long parentPid, boolean nextFromStdin) {
        List<String> cmd = worker(config, mode(kind));
        cmd.add("--job-id=" + jobId);
        cmd.add("--parent-pid=" + parentPid);
        if (nextFromStdin) {
            cmd.add("--next-jobs-from-stdin=true");
        }
        return cmd;
    }

    /**
     * {@code lmaas worker batch --standby}: a batch worker started for no tenant that warms up on the platform model
     * {@code model}, then reads the id of the batch it runs (and of its tenant's next ones) from its standard input.
     */
    public static List<String> standby(LocalBackendConfig config, String model, long parentPid) {
        List<String> cmd = worker(config, "batch");
        cmd.add("--standby=true");
        cmd.add("--standby-model=" + model);
        cmd.add("--parent-pid=" + parentPid);
        cmd.add("--next-jobs-from-stdin=true");
        return cmd;
    }

    /** The worker subcommand that runs a job of {@code kind}. */
    public static String mode(String kind) {
        return "batch".equals(kind) ? "batch" : "job";
    }

    /** {@code java <options> -cp <classpath> <main> worker <mode>}, offline and without telemetry. */
    private static List<String> worker(LocalBackendConfig config, String mode) {
        List<String> cmd = new ArrayList<>();
        cmd.add(config.javaBinary().toString());
        cmd.addAll(config.jvmOptions());
        cmd.add("-DOPT_OUT_TRACKING=true");
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-cp");
        cmd.add(config.classpath());
        cmd.add(config.mainClass());
        cmd.add("worker");
        cmd.add(mode);
        return cmd;
    }
}
