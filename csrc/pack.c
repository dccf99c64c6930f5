/* Copying rows into packed panels (see internal.h), shared by the GEMM driver and the recurrence's
 * panel packing: plain C, which the compiler vectorises at the baseline as well as hand-written
 * vectors would (a copy has nothing to transpose). The interleave, which transposes, is a kernel
 * slot written against the vector vocabulary (pack.inc). */
#include <stdint.h>
#include "internal.h"

/* A few elements per row: GCC must not turn the loops into a memmove call per row (the call costs
 * more than the copy). */
#if defined(__GNUC__) && !defined(__clang__)
#define RK_NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define RK_NO_LIBCALLS
#endif

RK_NO_LIBCALLS void rk_copy_rows_f32(const float *src, int64_t ld, int64_t kc, int64_t n, int64_t w,
                                     int64_t z, float *restrict dst)
{
    for (int64_t p = 0; p < kc; ++p, src += ld, dst += w) {
        for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
        for (int64_t i = n; i < z; ++i) dst[i] = 0;
    }
}

RK_NO_LIBCALLS void rk_copy_rows_f64(const double *src, int64_t ld, int64_t kc, int64_t n, int64_t w,
                                     int64_t z, double *restrict dst)
{
    for (int64_t p = 0; p < kc; ++p, src += ld, dst += w) {
        for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
        for (int64_t i = n; i < z; ++i) dst[i] = 0;
    }
}
