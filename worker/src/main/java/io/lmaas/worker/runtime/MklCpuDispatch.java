package io.lmaas.worker.runtime;

import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets oneMKL, inside libtorch, use the AVX-512 kernels of a non-Intel CPU that has them. MKL chooses its kernels by
 * vendor: on AMD it runs its AVX2 code even on Zen 4 and 5, half the float32 matrix-product speed those CPUs have
 * (measured: 205 vs 470-490 GFLOP/s on 2 Zen 5 cores). The shim {@code src/main/c/mkl_cpu_dispatch.c}, built into this
 * jar, answers MKL's "is this an Intel CPU" and is loaded into the process's global symbol scope before the first matrix
 * product, so MKL dispatches by the CPU's features instead. Applied only where it is needed (a non-Intel x86-64 CPU
 * with AVX-512F) and not switched off ({@code LMAAS_MKL_CPU_DISPATCH=off}); at most once per process.
 */
public final class MklCpuDispatch {
    private static final Logger LOG = LoggerFactory.getLogger(MklCpuDispatch.class);
    private static final String RESOURCE = "/native/linux-x86_64/libmkl_cpu_dispatch.so";
    private static final int RTLD_LAZY_GLOBAL = 0x101;
    private static boolean done;
    /** Held for the life of the process: JNA closes a library whose NativeLibrary is collected, and MKL would lose it. */
    private static NativeLibrary shim;

    private MklCpuDispatch() {
    }

    /** Whether the CPU described by {@code /proc/cpuinfo} needs the shim: not an Intel one, and with AVX-512F. */
    static boolean needed(String cpuinfo, String setting) {
        if ("off".equalsIgnoreCase(setting)) {
            return false;
        }
        String vendor = field(cpuinfo, "vendor_id");
        String flags = " " + field(cpuinfo, "flags") + " ";
        return vendor != null && !vendor.equals("GenuineIntel") && flags.contains(" avx512f ");
    }

    private static String field(String cpuinfo, String name) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    /** Loads the shim if this machine needs it; never fails the caller (MKL then keeps its own dispatch). */
    public static synchronized void apply() {
        if (done) {
            return;
        }
        done = true;
        try {
            Path cpuinfo = Path.of("/proc/cpuinfo");
            if (!"amd64".equals(System.getProperty("os.arch")) || !Files.isReadable(cpuinfo)
                    || !needed(Files.readString(cpuinfo), System.getenv("LMAAS_MKL_CPU_DISPATCH"))) {
                return;
            }
            byte[] library;
            try (InputStream in = MklCpuDispatch.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    LOG.info("MKL keeps its vendor dispatch (AVX2 on this CPU): the worker was built without a C compiler");
                    return;
                }
                library = in.readAllBytes();
            }
            // One file per build of the shim, reused by every process (a killed process leaves nothing new behind);
            // under DJL's cache directory where it is set (a pod's writable scratch), else the temporary directory.
            String cache = System.getenv("DJL_CACHE_DIR");
            Path dir = Path.of(cache != null ? cache : System.getProperty("java.io.tmpdir"));
            Path file = dir.resolve("lmaas-mkl-cpu-dispatch-" + Integer.toHexString(java.util.Arrays.hashCode(library)) + ".so");
            if (!Files.isRegularFile(file) || Files.size(file) != library.length) {
                Files.createDirectories(dir);
                Path tmp = Files.createTempFile(dir, "lmaas-mkl-cpu-dispatch", ".tmp");
                Files.write(tmp, library);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            shim = NativeLibrary.getInstance(file.toString(), Map.of(Library.OPTION_OPEN_FLAGS, RTLD_LAZY_GLOBAL));
            LOG.debug("MKL dispatches by CPU features (AVX-512 on this non-Intel CPU)");
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.warn("MKL keeps its vendor dispatch: the CPU-dispatch shim did not load ({})", e.toString());
        }
    }
}
