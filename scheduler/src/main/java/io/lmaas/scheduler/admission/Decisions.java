package io.lmaas.scheduler.admission;

import java.util.List;
import java.util.Map;

/**
 * What one admission cycle decided: workloads to start (on which flavor, whether on borrowed quota),
 * workloads to stop to make room (and why), and why every other pending workload waits.
 */
public record Decisions(List<Admission> admissions, List<Preemption> preemptions, Map<String, Reason> pending) {

    public record Admission(Workload workload, String flavor, boolean borrowing) {
    }

    public record Preemption(Snapshot.Admitted victim, Workload by, Reason reason) {
    }

    /** A machine-readable code (PascalCase) and a message a tenant can read, e.g. {@code InsufficientQuota: tenant acme uses 4/4 h100}. */
    public record Reason(String code, String message) {
        @Override
        public String toString() {
            return code + ": " + message;
        }
    }
}
