package io.lmaas.deploy.k8s;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The Kubernetes Pod Security Standards' "restricted" profile (baseline included), as the API server's
 * admission applies it to a pod spec, and LMaaS's own rule on top: a read-only root filesystem with a writable
 * emptyDir at {@code /tmp}. Each check returns what a pod violates (empty: it passes).
 */
final class RestrictedPodSecurity {
    private static final Set<String> VOLUME_TYPES = Set.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
            "persistentVolumeClaim", "projected", "secret");
    private static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
            "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
            "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes");

    private RestrictedPodSecurity() {
    }

    /** Violations of the "restricted" Pod Security Standard. */
    static List<String> violations(PodSpec pod) {
        List<String> out = new ArrayList<>();
        PodSecurityContext psc = Optional.ofNullable(pod.getSecurityContext()).orElse(new PodSecurityContext());
        if (Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID()) || Boolean.TRUE.equals(pod.getHostIPC())) {
            out.add("host namespaces");
        }
        for (Volume v : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
            if (type(v).filter(VOLUME_TYPES::contains).isEmpty()) {
                out.add("volume " + v.getName() + " of a type restricted pods may not use");
            }
        }
        if (psc.getSysctls() != null) {
            psc.getSysctls().stream().filter(s -> !SAFE_SYSCTLS.contains(s.getName())).forEach(s -> out.add("sysctl " + s.getName()));
        }
        if (psc.getRunAsUser() != null && psc.getRunAsUser() == 0) {
            out.add("pod runAsUser 0");
        }
        if (psc.getSeLinuxOptions() != null && (psc.getSeLinuxOptions().getUser() != null || psc.getSeLinuxOptions().getRole() != null)) {
            out.add("pod SELinux user or role");
        }
        boolean podNonRoot = Boolean.TRUE.equals(psc.getRunAsNonRoot());
        boolean podSeccomp = confined(psc.getSeccompProfile());
        if (psc.getSeccompProfile() != null && !podSeccomp) {
            out.add("pod seccomp " + psc.getSeccompProfile().getType());
        }
        for (Container c : containers(pod)) {
            String name = "container " + c.getName() + ": ";
            SecurityContext sc = Optional.ofNullable(c.getSecurityContext()).orElse(new SecurityContext());
            if (Boolean.TRUE.equals(sc.getPrivileged())) {
                out.add(name + "privileged");
            }
            if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
                out.add(name + "allowPrivilegeEscalation must be false");
            }
            if (Boolean.FALSE.equals(sc.getRunAsNonRoot()) || (!podNonRoot && !Boolean.TRUE.equals(sc.getRunAsNonRoot()))) {
                out.add(name + "runAsNonRoot must be true (pod or container)");
            }
            if (sc.getRunAsUser() != null && sc.getRunAsUser() == 0) {
                out.add(name + "runAsUser 0");
            }
            if (sc.getSeccompProfile() != null ? !confined(sc.getSeccompProfile()) : !podSeccomp) {
                out.add(name + "seccompProfile must be RuntimeDefault or Localhost (pod or container)");
            }
            Capabilities caps = sc.getCapabilities();
            if (caps == null || caps.getDrop() == null || !caps.getDrop().contains("ALL")) {
                out.add(name + "capabilities must drop ALL");
            }
            if (caps != null && caps.getAdd() != null && caps.getAdd().stream().anyMatch(a -> !a.equals("NET_BIND_SERVICE"))) {
                out.add(name + "capabilities may add NET_BIND_SERVICE only");
            }
            if (sc.getProcMount() != null && !sc.getProcMount().equals("Default")) {
                out.add(name + "procMount");
            }
            if (sc.getSeLinuxOptions() != null && (sc.getSeLinuxOptions().getUser() != null || sc.getSeLinuxOptions().getRole() != null)) {
                out.add(name + "SELinux user or role");
            }
            if (c.getPorts() != null && c.getPorts().stream().anyMatch(p -> p.getHostPort() != null && p.getHostPort() != 0)) {
                out.add(name + "host port");
            }
        }
        return out;
    }

    /** LMaaS's own rule: read-only root filesystems, a writable emptyDir at /tmp, DJL's cache (if set) on it. */
    static List<String> readOnlyRootViolations(PodSpec pod) {
        List<String> out = new ArrayList<>();
        for (Container c : containers(pod)) {
            String name = "container " + c.getName() + ": ";
            if (c.getSecurityContext() == null || !Boolean.TRUE.equals(c.getSecurityContext().getReadOnlyRootFilesystem())) {
                out.add(name + "readOnlyRootFilesystem must be true");
            }
            Optional<VolumeMount> tmp = mounts(c).filter(m -> m.getMountPath().equals("/tmp")).findFirst();
            boolean scratch = tmp.isPresent() && !Boolean.TRUE.equals(tmp.get().getReadOnly()) && pod.getVolumes().stream()
                    .anyMatch(v -> v.getName().equals(tmp.get().getName()) && v.getEmptyDir() != null);
            if (!scratch) {
                out.add(name + "needs a writable emptyDir at /tmp");
            }
            if (c.getEnv() != null) {
                c.getEnv().stream().filter(e -> e.getName().equals("DJL_CACHE_DIR") || e.getName().equals("HOME"))
                        .filter(e -> e.getValue() == null || !e.getValue().startsWith("/tmp"))
                        .forEach(e -> out.add(name + e.getName() + " must be on the scratch volume"));
            }
        }
        return out;
    }

    private static Stream<VolumeMount> mounts(Container c) {
        return c.getVolumeMounts() == null ? Stream.empty() : c.getVolumeMounts().stream();
    }

    private static List<Container> containers(PodSpec pod) {
        List<Container> all = new ArrayList<>(pod.getContainers());
        if (pod.getInitContainers() != null) {
            all.addAll(pod.getInitContainers());
        }
        return all;
    }

    private static boolean confined(SeccompProfile p) {
        return p != null && ("RuntimeDefault".equals(p.getType()) || "Localhost".equals(p.getType()));
    }

    private static Optional<String> type(Volume v) {
        if (v.getConfigMap() != null) {
            return Optional.of("configMap");
        } else if (v.getSecret() != null) {
            return Optional.of("secret");
        } else if (v.getEmptyDir() != null) {
            return Optional.of("emptyDir");
        } else if (v.getPersistentVolumeClaim() != null) {
            return Optional.of("persistentVolumeClaim");
        } else if (v.getProjected() != null) {
            return Optional.of("projected");
        } else if (v.getDownwardAPI() != null) {
            return Optional.of("downwardAPI");
        } else if (v.getCsi() != null) {
            return Optional.of("csi");
        } else if (v.getEphemeral() != null) {
            return Optional.of("ephemeral");
        }
        return Optional.empty();
    }
}
