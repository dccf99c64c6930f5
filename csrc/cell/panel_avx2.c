/* The recurrent panel product for the avx2 path: cell/panel_kernel.inc compiled with this ISA's
 * flags against simd/avx2.h. */
#include "../simd/avx2.h"
#include "panel.h"

#define REAL float
#define SFX f32
#include "panel_kernel.inc"
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "panel_kernel.inc"

const char rk_panel_tiles_f32_avx2[] = RK_PANEL_TILES_TEXT;
const char rk_panel_tiles_f64_avx2[] = RK_PANEL_TILES_TEXT;

void rk_panel_gemm_f32_avx2(int64_t rows, int64_t K, const float *a, int64_t lda, const float *p,
                            int64_t ldp, int64_t ps, int64_t W, float *acc, int64_t ldacc,
                            const float *next)
{
    panel_gemm_f32_avx2(rows, K, a, lda, p, ldp, ps, W, acc, ldacc, next);
}

void rk_panel_gemm_f64_avx2(int64_t rows, int64_t K, const double *a, int64_t lda, const double *p,
                            int64_t ldp, int64_t ps, int64_t W, double *acc, int64_t ldacc,
                            const double *next)
{
    panel_gemm_f64_avx2(rows, K, a, lda, p, ldp, ps, W, acc, ldacc, next);
}
