/*
 * Makes oneMKL (linked into libtorch_cpu.so) dispatch by CPU features instead of by vendor.
 *
 * oneMKL asks mkl_serv_intel_cpu_true() whether the CPU is an Intel one and, when it is not, runs its AVX2 kernels even
 * where the CPU has AVX-512 (AMD Zen 4 and 5). libtorch_cpu.so exports these symbols and calls them through its PLT, so
 * this library, loaded into the global symbol scope before the first matrix product (worker.runtime.MklCpuDispatch),
 * answers for them, and MKL then picks its kernels from the features the CPU reports. Measured on a 2-core AMD EPYC
 * (Zen 5): a 1024^3 float32 matmul at 470-490 GFLOP/s instead of 203-208 (docs/benchmarks.md).
 */
int mkl_serv_intel_cpu_true(void) {
    return 1;
}

int mkl_serv_intel_cpu(void) {
    return 1;
}
