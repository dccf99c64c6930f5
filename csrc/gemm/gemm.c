/* GEMM driver: splits C into fixed tiles and runs the active ISA's tile kernel on them. */
#include "../internal.h"

#define RK_GEMM_DRIVER(SFX, REAL)                                                                \
    static void gemm_tile_task_##SFX(void *ctx, int64_t tile)                                   \
    {                                                                                           \
        rk_active_table()->SFX.gemm_tile((const rk_gemm_call_##SFX *)ctx, tile);                \
    }                                                                                           \
    int rk_gemm_##SFX(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, REAL alpha,    \
                      const REAL *a, int64_t lda, const REAL *b, int64_t ldb, REAL beta,        \
                      REAL *c, int64_t ldc)                                                     \
    {                                                                                           \
        if (m < 0 || n < 0 || k < 0) return RK_ERR_ARG;                                         \
        if (m == 0 || n == 0) return RK_OK;                                                     \
        rk_gemm_call_##SFX g = {trans_a, trans_b, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c}; \
        const int64_t tiles = ((m + RK_GEMM_MB - 1) / RK_GEMM_MB) *                             \
                              ((n + RK_GEMM_NB - 1) / RK_GEMM_NB);                               \
        /* below ~1 MFLOP a second thread costs more than it saves */                           \
        const int nth = (double)m * n * k < 5e5 ? 1 : rk_get_num_threads();                     \
        rk_parallel_for(tiles, nth, gemm_tile_task_##SFX, &g);                                  \
        return RK_OK;                                                                           \
    }

RK_GEMM_DRIVER(f32, float)
RK_GEMM_DRIVER(f64, double)
