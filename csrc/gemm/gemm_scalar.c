/* The portable GEMM micro-kernels, the specification the SIMD ones are tested against:
 * gemm/gemm_ukr.inc compiled at the baseline against simd/scalar.h (one lane; fmadd multiplies,
 * then adds). Register tile 4 rows x 8 columns. */
#include "../simd/scalar.h"
#include "../kernels.h"

#define RK_GEMM_MR 4
#define RK_GEMM_NV 8

#define REAL float
#define SFX f32
#include "gemm_ukr.inc"
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "gemm_ukr.inc"

static void rk_gemm_ukr_f32_scalar_4x8(int64_t kc, const float *a, int64_t rsa, int64_t csa,
                                       const float *b, int64_t rsb, float *c, int64_t ldc,
                                       float alpha, float beta, int64_t mr, int64_t nr)
{
    gemm_ukr_f32_scalar(kc, a, rsa, csa, b, rsb, c, ldc, alpha, beta, mr, nr);
}

static void rk_gemm_ukr1_f32_scalar_1x32(int64_t kc, const float *a, int64_t csa, const float *b,
                                         int64_t rsb, int64_t bstep, float *c, float alpha,
                                         float beta, int64_t n)
{
    gemm_ukr1_f32_scalar(kc, a, csa, b, rsb, bstep, c, alpha, beta, n);
}

static void rk_gemm_ukrs_f32_scalar(int64_t kc, int64_t m, int64_t n, const float *a, int64_t rsa,
                                    int64_t csa, const float *b, int64_t ldb, int trans_b, float *c,
                                    int64_t ldc, float alpha, float beta, float *acc)
{
    gemm_ukrs_f32_scalar(kc, m, n, a, rsa, csa, b, ldb, trans_b, c, ldc, alpha, beta, acc);
}

static void rk_gemm_ukr_f64_scalar_4x8(int64_t kc, const double *a, int64_t rsa, int64_t csa,
                                       const double *b, int64_t rsb, double *c, int64_t ldc,
                                       double alpha, double beta, int64_t mr, int64_t nr)
{
    gemm_ukr_f64_scalar(kc, a, rsa, csa, b, rsb, c, ldc, alpha, beta, mr, nr);
}

static void rk_gemm_ukr1_f64_scalar_1x32(int64_t kc, const double *a, int64_t csa, const double *b,
                                         int64_t rsb, int64_t bstep, double *c, double alpha,
                                         double beta, int64_t n)
{
    gemm_ukr1_f64_scalar(kc, a, csa, b, rsb, bstep, c, alpha, beta, n);
}

static void rk_gemm_ukrs_f64_scalar(int64_t kc, int64_t m, int64_t n, const double *a, int64_t rsa,
                                    int64_t csa, const double *b, int64_t ldb, int trans_b, double *c,
                                    int64_t ldc, double alpha, double beta, double *acc)
{
    gemm_ukrs_f64_scalar(kc, m, n, a, rsa, csa, b, ldb, trans_b, c, ldc, alpha, beta, acc);
}

/* name, MR, NR, KC, MC, widest task */
const rk_gemm_kernel_f32 rk_gemm_kernel_f32_scalar = {
    "rk_gemm_ukr_f32_scalar_4x8", RK_GEMM_MR, 8, 256, 64, 1024,
    rk_gemm_ukr_f32_scalar_4x8, rk_gemm_ukr1_f32_scalar_1x32, rk_gemm_ukrs_f32_scalar};
const rk_gemm_kernel_f64 rk_gemm_kernel_f64_scalar = {
    "rk_gemm_ukr_f64_scalar_4x8", RK_GEMM_MR, 8, 256, 64, 1024,
    rk_gemm_ukr_f64_scalar_4x8, rk_gemm_ukr1_f64_scalar_1x32, rk_gemm_ukrs_f64_scalar};
