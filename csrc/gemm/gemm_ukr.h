/* Helpers shared by the micro-kernel files (static inline only: each ISA file gets its own copy). */
#ifndef RK_GEMM_UKR_H
#define RK_GEMM_UKR_H
#include "../internal.h"

/* C[0:mr, 0:nr] = alpha * t + beta * C from a tile t (row stride ldt); beta == 0 does not read C.
 * The same operations (multiply, multiply, add; no FMA) as the kernels' full-tile stores, so an
 * element rounds the same whether its tile is full or not. */
#define RK_DEFINE_STORE_EDGE(SFX, REAL)                                                          \
    static inline void rk_gemm_store_edge_##SFX(const REAL *t, int64_t ldt, REAL *c,             \
                                                int64_t ldc, REAL alpha, REAL beta, int64_t mr,  \
                                                int64_t nr)                                      \
    {                                                                                            \
        for (int64_t i = 0; i < mr; ++i) {                                                       \
            REAL *ci = c + i * ldc;                                                              \
            const REAL *ti = t + i * ldt;                                                        \
            if (beta == 0)                                                                       \
                for (int64_t j = 0; j < nr; ++j) ci[j] = alpha * ti[j];                          \
            else                                                                                 \
                for (int64_t j = 0; j < nr; ++j) ci[j] = alpha * ti[j] + beta * ci[j];           \
        }                                                                                        \
    }
RK_DEFINE_STORE_EDGE(f32, float)
RK_DEFINE_STORE_EDGE(f64, double)

#endif
