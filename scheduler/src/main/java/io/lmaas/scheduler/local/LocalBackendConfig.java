package io.lmaas.scheduler.local;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How the local backend starts worker processes: the same distribution (java, classpath, main class)
 * with {@code worker serve ...}, the environment every DJL JVM needs (plus the workers' internal token,
 * {@code LMAAS_WORKER_TOKEN}, which the backend's health probes send too), and where run files and logs go.
 */
public record LocalBackendConfig(Path javaBinary, String classpath, String mainClass, List<String> jvmOptions,
        Map<String, String> environment, Path runDirectory, Path logDirectory, int inferenceThreads,
        Duration healthTimeout, Duration maxBackoff) {

    /**
     * The environment every worker JVM gets: DJL offline and without telemetry, one OpenMP thread, and two glibc malloc
     * arenas (measured: resident memory after an embedding run 641 MB instead of 850 MB, at the same throughput — the
     * default of 8 arenas per core keeps what libtorch frees in arenas of threads that have moved on).
     */
    public static final Map<String, String> WORKER_ENVIRONMENT =
            Map.of("DJL_OFFLINE", "true", "OPT_OUT_TRACKING", "true", "OMP_NUM_THREADS", "1", "MALLOC_ARENA_MAX", "2");

    /** glibc's free memory handed back to the system every second: every worker JVM's, local or in a pod. */
    public static final String NATIVE_HEAP_TRIM = "-XX:TrimNativeHeapInterval=1000";

    /**
     * The JVM options of a worker: a heap of up to 768 MB that starts at 32 MB (the JVM's default initial heap, 1/64 of the
     * machine's memory, is also the floor it never shrinks below: 368 MB committed for ~20 MB of objects on a 23 GB
     * machine), the serial collector, the C1 compiler (a worker's Java work is HTTP and JSON; the compute is libtorch), and
     * glibc's free memory handed back to the system every second ({@code malloc_trim}): libtorch frees a pass's activations
     * into malloc's arenas, which otherwise keep them (measured with all-MiniLM-L6-v2 under load: peak resident memory 566
     * MB instead of 676 MB, at the same throughput).
     */
    public static final List<String> WORKER_JVM_OPTIONS = List.of("-Xms32m", "-Xmx768m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", NATIVE_HEAP_TRIM);

    public LocalBackendConfig {
        jvmOptions = List.copyOf(jvmOptions);
        environment = Map.copyOf(environment);
    }
}
