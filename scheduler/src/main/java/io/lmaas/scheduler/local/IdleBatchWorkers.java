package io.lmaas.scheduler.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batch worker processes that wait for a batch (the local job runner's, on its thread): each tenant's idle worker — its
 * batch completed, it holds that tenant's data key and model — and the standby, started for no tenant, warmed up on a
 * platform model, holding no key. A batch goes to its tenant's idle worker, else to the standby, which then belongs to
 * that tenant; the id of the batch is written on the worker's standard input. Closing that input ends a worker.
 */
final class IdleBatchWorkers {
    private static final Logger LOG = LoggerFactory.getLogger(IdleBatchWorkers.class);

    /** A worker waiting since {@code since}, and its log. */
    record Waiting(Process process, Instant since, Path log) {
    }

    private final Map<String, Waiting> byTenant = new HashMap<>();
    private Waiting standby;

    /** Keeps {@code w} for its tenant's next batch (ending the tenant's earlier idle worker, if another). */
    void keep(String tenantId, Waiting w) {
        Waiting before = byTenant.put(tenantId, w);
        if (before != null && before.process() != w.process()) {
            end(before.process());
        }
    }

    void standBy(Waiting w) {
        if (standby != null && standby.process() != w.process()) {
            end(standby.process());
        }
        standby = w;
    }

    /** Whether a standby worker is up. */
    boolean hasStandby() {
        return standby != null && standby.process().isAlive();
    }

    /**
     * Hands the batch {@code jobId} of {@code tenantId} to the tenant's idle worker, else to the standby: the worker that
     * runs it now, or null when neither is up (or the one found is gone: it is forgotten).
     */
    Waiting hand(String tenantId, String jobId) {
        Waiting w = byTenant.remove(tenantId);
        if (w == null || !w.process().isAlive()) {
            w = standby;
            standby = null;
        }
        if (w == null || !w.process().isAlive()) {
            return null;
        }
        try {
            w.process().getOutputStream().write((jobId + "\n").getBytes(StandardCharsets.UTF_8));
            w.process().getOutputStream().flush();
            return w;
        } catch (IOException e) {
            LOG.info("batch {}: the waiting worker pid {} is gone ({})", jobId, w.process().pid(), e.toString());
            w.process().destroy();
            return null;
        }
    }

    /** Ends the longest-idle tenants' workers until at most {@code n} are idle (each holds a model and a JVM's memory). */
    void keepAtMost(int n) {
        while (byTenant.size() > n) {
            String oldest = byTenant.entrySet().stream().min(Map.Entry.comparingByValue(Comparator.comparing(Waiting::since)))
                    .orElseThrow().getKey();
            Waiting w = byTenant.remove(oldest);
            LOG.info("batch worker pid {} (tenant {}) ends: room for another", w.process().pid(), oldest);
            end(w.process());
        }
    }

    /**
     * Forgets workers that died and ends tenants' workers idle longer than {@code linger}; whether the standby died
     * without being handed a batch.
     */
    boolean expire(Instant now, Duration linger) {
        byTenant.values().removeIf(w -> {
            if (!w.process().isAlive()) {
                return true;
            }
            if (now.isAfter(w.since().plus(linger))) {
                LOG.info("batch worker pid {} was idle for {} s: ending it", w.process().pid(), linger.toSeconds());
                end(w.process());
                return true;
            }
            return false;
        });
        if (standby != null && !standby.process().isAlive()) {
            LOG.warn("the standby batch worker pid {} exited with {} (its log: {})", standby.process().pid(),
                    standby.process().exitValue(), standby.log().getFileName());
            standby = null;
            return true;
        }
        return false;
    }

    /** The pid of the tenant's idle worker, or of the standby ({@code tenantId} null), if up. */
    Long pid(String tenantId) {
        Waiting w = tenantId == null ? standby : byTenant.get(tenantId);
        return w != null && w.process().isAlive() ? w.process().pid() : null;
    }

    /** Every waiting process, forgotten here (the runner stops them). */
    java.util.List<Process> drain() {
        java.util.List<Process> all = new java.util.ArrayList<>();
        byTenant.values().forEach(w -> all.add(w.process()));
        if (standby != null) {
            all.add(standby.process());
        }
        byTenant.clear();
        standby = null;
        return all;
    }

    /** Ends a waiting worker: its input closed, it exits after its current wait. */
    static void end(Process p) {
        try {
            p.getOutputStream().close();
        } catch (IOException e) {
            p.destroy();
        }
    }
}
