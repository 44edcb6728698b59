package io.lmaas.core.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Whether a process that is not this JVM's child still runs. The JDK's {@link ProcessHandle#isAlive} says a zombie (a
 * process that has exited and that its parent has not reaped yet) is alive. A killed postmaster is one until whoever
 * adopted it reaps it: init, at once or a second later, or nobody at all when this JVM is the container's PID 1 (it
 * reaps only the processes it started itself). Going by the JDK, the platform would then take the dead database for a
 * running one for ever. On Linux the process's state is read from {@code /proc}; elsewhere the JDK's answer stands.
 */
public final class ProcessLiveness {
    private static final boolean PROC = Files.isDirectory(Path.of("/proc/self"));

    private ProcessLiveness() {
    }

    /** Whether process {@code pid} exists and has not exited. */
    public static boolean running(long pid) {
        if (PROC) {
            try {
                return !zombie(stat(pid));
            } catch (NoSuchFileException e) {
                return false;
            } catch (IOException | RuntimeException e) {
                // unreadable (another user's process under a hardened /proc): the JDK's answer below
            }
        }
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Whether process {@code pid} has exited but is still in the process table, waiting for its parent to reap it. */
    public static boolean zombie(long pid) {
        try {
            return PROC && zombie(stat(pid));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String stat(long pid) throws IOException {
        return Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    }

    /**
     * From {@code /proc/<pid>/stat}: {@code pid (comm) state …}. The command name may hold spaces and parentheses, so the
     * state is the field after the last {@code )}.
     */
    static boolean zombie(String stat) {
        int end = stat.lastIndexOf(')');
        if (end < 0 || end + 2 >= stat.length()) {
            throw new IllegalArgumentException("not a /proc stat line: " + stat);
        }
        char state = stat.charAt(end + 2);
        return state == 'Z' || state == 'X';
    }
}
