package io.lmaas.worker.serve;

import io.vertx.core.Vertx;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a worker as a process: serve until SIGTERM, or until the supervising parent process exits. */
public final class WorkerProcess {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerProcess.class);

    private WorkerProcess() {
    }

    public static void run(WorkerConfig config) throws InterruptedException {
        // The master keys and the served model's data key (a tenant's model is sealed): opened in memory, never on disk.
        io.lmaas.core.crypto.ProcessKeys.install(System.getenv());
        Vertx vertx = Vertx.vertx();
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                vertx.close().await(config.drainTimeout().toSeconds() + 10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("worker shutdown: {}", e.getMessage());
            } finally {
                done.countDown();
            }
        }, "worker-shutdown"));
        config.parentPid().flatMap(ProcessHandle::of).ifPresent(parent -> parent.onExit().thenRun(() -> {
            LOG.info("supervisor {} exited; stopping", parent.pid());
            System.exit(0);
        }));
        try {
            vertx.deployVerticle(new WorkerVerticle(config)).await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.error("worker failed to start: {}", e.getMessage());
            vertx.close();
            throw new IllegalStateException("worker failed to start: " + e.getMessage(), e);
        }
        done.await();
    }
}
