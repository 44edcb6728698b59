package io.lmaas.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When the MKL CPU-dispatch shim is loaded: non-Intel x86-64 CPUs with AVX-512F, unless switched off. */
class MklCpuDispatchTest {
    private static final String ZEN5 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n"
            + "flags\t\t: fpu sse2 avx2 fma avx512f avx512dq avx512_bf16\n";
    private static final String ZEN3 = "vendor_id\t: AuthenticAMD\nflags\t\t: fpu sse2 avx2 fma\n";
    private static final String INTEL = "vendor_id\t: GenuineIntel\nflags\t\t: fpu avx2 avx512f avx512bw\n";

    @Test
    void onlyNonIntelCpusWithAvx512NeedIt() {
        assertThat(MklCpuDispatch.needed(ZEN5, null)).isTrue();
        assertThat(MklCpuDispatch.needed(ZEN5, "auto")).isTrue();
        assertThat(MklCpuDispatch.needed(ZEN5, "off")).isFalse();
        assertThat(MklCpuDispatch.needed(ZEN3, null)).isFalse();
        assertThat(MklCpuDispatch.needed(INTEL, null)).isFalse();
        assertThat(MklCpuDispatch.needed("", null)).isFalse();
        // A flag that merely starts with avx512f is not avx512f.
        assertThat(MklCpuDispatch.needed("vendor_id : AuthenticAMD\nflags : avx512fx\n", null)).isFalse();
    }

    @Test
    void theShimIsBuiltIntoTheJarOnLinux() {
        if ("Linux".equals(System.getProperty("os.name")) && "amd64".equals(System.getProperty("os.arch"))) {
            assertThat(MklCpuDispatch.class.getResource("/native/linux-x86_64/libmkl_cpu_dispatch.so")).isNotNull();
        }
        MklCpuDispatch.apply();
        MklCpuDispatch.apply(); // idempotent, never throws
    }
}
