/* FMA-throughput probe: the machine peak that GEMM and cell benchmarks report fractions of. */
#include <omp.h>
#include "../internal.h"

double rk_fma_peak_gflops(rk_isa isa, int dtype_bytes, int nthreads, double seconds)
{
    if (!rk_isa_supported(isa) || (dtype_bytes != 4 && dtype_bytes != 8) || nthreads < 1) return -1;
    rk_peak_probe_fn_f32 *const probe =
        dtype_bytes == 8 ? rk_tables[isa]->f64.peak : rk_tables[isa]->f32.peak;
    double sink = 0;
    int64_t iters = 1 << 12;
    for (;;) { /* calibrate on this thread: one run of about a tenth of the requested time */
        const double t0 = omp_get_wtime();
        probe(iters, &sink);
        if (omp_get_wtime() - t0 >= seconds / 10 || iters > ((int64_t)1 << 40)) break;
        iters *= 2;
    }
    iters *= 10;
    double flops = 0, slowest = 0;
    if (nthreads == 1) {
        const double t0 = omp_get_wtime();
        flops = probe(iters, &sink);
        slowest = omp_get_wtime() - t0;
    } else {
#pragma omp parallel num_threads(nthreads) reduction(+ : flops, sink) reduction(max : slowest)
        {
            const double t0 = omp_get_wtime();
            flops += probe(iters, &sink);
            slowest = omp_get_wtime() - t0;
        }
    }
    (void)sink; /* written by the probes so that their chains are not optimised away */
    return flops / slowest * 1e-9;
}
