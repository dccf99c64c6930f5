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

/* Whole rows of a constant width (a full GEMM panel: 4 to 48 elements), which compile to a few
 * vector moves per row; the general loop spent more on its checks than on the copy. */
#define RK_COPY_FIXED(REAL, W_)                                                                  \
    case W_:                                                                                     \
        for (int64_t p = 0; p < kc; ++p, src += ld, dst += W_) {                                 \
            REAL row[W_];                                                                        \
            for (int i = 0; i < W_; ++i) row[i] = src[i];                                        \
            for (int i = 0; i < W_; ++i) dst[i] = row[i];                                        \
        }                                                                                        \
        return;

#define RK_COPY_ROWS(SFX, REAL)                                                                  \
    RK_NO_LIBCALLS void rk_copy_rows_##SFX(const REAL *src, int64_t ld, int64_t kc, int64_t n,      \
                                           int64_t w, int64_t z, REAL *restrict dst)              \
    {                                                                                            \
        if (n == w && z == w) switch (w) {                                                       \
            RK_COPY_FIXED(REAL, 4) RK_COPY_FIXED(REAL, 6) RK_COPY_FIXED(REAL, 8)                 \
            RK_COPY_FIXED(REAL, 16) RK_COPY_FIXED(REAL, 24) RK_COPY_FIXED(REAL, 48)              \
            default: break;                                                                      \
            }                                                                                    \
        for (int64_t p = 0; p < kc; ++p, src += ld, dst += w) {                                  \
            for (int64_t i = 0; i < n; ++i) dst[i] = src[i];                                     \
            for (int64_t i = n; i < z; ++i) dst[i] = 0;                                          \
        }                                                                                        \
    }

RK_COPY_ROWS(f32, float)
RK_COPY_ROWS(f64, double)
