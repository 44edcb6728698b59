package io.lmaas.deploy.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Warms a JVM under load until its JIT compilers are quiet: the load runs in slices, and the warm-up ends after a slice in
 * which the process's compiler threads used under 2 % of one core (or at the cap). On a slow machine C2 compiles a hot
 * request path for tens of seconds (200-500 ms a method); a fixed warm-up measured the compiler's work as the gateway's.
 * Reads the compiler threads' CPU time from {@code /proc} (Linux, as wrk and nginx are).
 */
final class JitWarmup {
    private static final double QUIET = 0.02;

    private JitWarmup() {
    }

    /** Runs {@code slice} (a load of {@code sliceSeconds}) until {@code pid}'s compilers are quiet, and says how long it took. */
    static void until(long pid, int sliceSeconds, int maxSeconds, Slice slice) throws Exception {
        int spent = 0;
        double busy;
        do {
            long before = compilerTicks(pid);
            slice.run();
            spent += sliceSeconds;
            busy = (compilerTicks(pid) - before) / 100.0 / sliceSeconds;
        } while (busy >= QUIET && spent < maxSeconds);
        System.out.printf(Locale.ROOT, "JIT warm-up: %d s (compiler threads %.0f %% of a core in the last %d s)%n", spent,
                busy * 100, sliceSeconds);
    }

    /** One slice of load. */
    interface Slice {
        void run() throws Exception;
    }

    /** User + system clock ticks of the process's C1/C2 compiler threads so far. */
    static long compilerTicks(long pid) {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (Stream<Path> threads = Files.list(tasks)) {
            return threads.mapToLong(JitWarmup::ticksIfCompiler).sum();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + tasks, e);
        }
    }

    private static long ticksIfCompiler(Path task) {
        try {
            String stat = Files.readString(task.resolve("stat"));
            String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
            if (!name.contains("CompilerThre")) {
                return 0;
            }
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0; // the thread ended
        }
    }
}
