/* Portable reference micro-kernels (no intrinsics): rk_gemm_ukr_f32_scalar_4x8 and
 * rk_gemm_ukr_f64_scalar_4x8, and their one-row forms rk_gemm_ukr1_*_scalar_1x32 (up to 4
 * panels), and the few-row form rk_gemm_ukrs_*_scalar (B read in place, transposed or not).
 * The specification the SIMD kernels are tested against. */
#include "gemm_ukr.h"

#define RK_SCALAR_MR 4
#define RK_SCALAR_NR 8

#define RK_DEFINE_SCALAR_UKR(SFX, REAL)                                                          \
    static void rk_gemm_ukr_##SFX##_scalar_4x8(int64_t kc, const REAL *a, int64_t rsa,          \
                                               int64_t csa, const REAL *b, int64_t rsb, REAL *c, \
                                               int64_t ldc, REAL alpha, REAL beta, int64_t mr,  \
                                               int64_t nr)                                       \
    {                                                                                            \
        REAL acc[RK_SCALAR_MR][RK_SCALAR_NR] = {{0}};                                            \
        const REAL *ar[RK_SCALAR_MR];                                                            \
        for (int64_t i = 0; i < RK_SCALAR_MR; ++i) ar[i] = a + (i < mr ? i : 0) * rsa;          \
        for (int64_t p = 0; p < kc; ++p) {                                                       \
            const REAL *bp = b + p * rsb;                                                        \
            for (int64_t i = 0; i < RK_SCALAR_MR; ++i) {                                         \
                const REAL aip = ar[i][p * csa];                                                 \
                for (int64_t j = 0; j < RK_SCALAR_NR; ++j) acc[i][j] += aip * bp[j];             \
            }                                                                                    \
        }                                                                                        \
        rk_gemm_store_edge_##SFX(&acc[0][0], RK_SCALAR_NR, c, ldc, alpha, beta, mr, nr);         \
    }                                                                                            \
    static void rk_gemm_ukr1_##SFX##_scalar_1x32(int64_t kc, const REAL *a, int64_t csa,         \
                                                 const REAL *b, int64_t rsb, int64_t bstep,     \
                                                 REAL *c, REAL alpha, REAL beta, int64_t n)     \
    {                                                                                            \
        REAL acc[4 * RK_SCALAR_NR] = {0};                                                        \
        for (int64_t q = 0; q * RK_SCALAR_NR < n; ++q)                                           \
            for (int64_t p = 0; p < kc; ++p) {                                                   \
                const REAL ap = a[p * csa], *bp = b + q * bstep + p * rsb;                       \
                for (int64_t j = 0; j < RK_SCALAR_NR; ++j) acc[q * RK_SCALAR_NR + j] += ap * bp[j]; \
            }                                                                                    \
        rk_gemm_store_edge_##SFX(acc, 0, c, 0, alpha, beta, 1, n);                               \
    }                                                                                            \
    /* ukrs: a row of C at a time, each element's products summed in k order as in ukr */        \
    static void rk_gemm_ukrs_##SFX##_scalar(int64_t kc, int64_t m, int64_t n, const REAL *a,     \
                                            int64_t rsa, int64_t csa, const REAL *b, int64_t ldb, \
                                            int trans_b, REAL *c, int64_t ldc, REAL alpha,       \
                                            REAL beta, REAL *acc)                                \
    {                                                                                            \
        const int64_t rsb = trans_b ? 1 : ldb, csb = trans_b ? ldb : 1;                          \
        for (int64_t i = 0; i < m; ++i) {                                                        \
            for (int64_t j = 0; j < n; ++j) {                                                    \
                REAL s = 0;                                                                      \
                for (int64_t p = 0; p < kc; ++p) s += a[i * rsa + p * csa] * b[p * rsb + j * csb]; \
                acc[j] = s;                                                                      \
            }                                                                                    \
            rk_gemm_store_edge_##SFX(acc, 0, c + i * ldc, 0, alpha, beta, 1, n);                 \
        }                                                                                        \
    }                                                                                            \
    const rk_gemm_kernel_##SFX rk_gemm_kernel_##SFX##_scalar = {                                 \
        "rk_gemm_ukr_" #SFX "_scalar_4x8", RK_SCALAR_MR, RK_SCALAR_NR, 256, 64, 1024,            \
        rk_gemm_ukr_##SFX##_scalar_4x8, rk_gemm_ukr1_##SFX##_scalar_1x32,                         \
        rk_gemm_ukrs_##SFX##_scalar};

RK_DEFINE_SCALAR_UKR(f32, float)
RK_DEFINE_SCALAR_UKR(f64, double)
