/* The GEMM micro-kernels for the avx2 path: gemm/gemm_ukr.inc compiled with this ISA's flags
 * against simd/avx2.h. Register tile 6 rows x 2 ymm: 12 accumulators + 2 B vectors + 1 broadcast,
 * of 16 registers; each K step loads 2 vectors of B and broadcasts 6 values of A. */
#include "../simd/avx2.h"
#include "../kernels.h"

#define RK_GEMM_MR 6
#define RK_GEMM_NV 2
/* B transposed, up to VL/2 rows: transposed in registers, which beats the transposed product
 * there (4x1024x1024 B^T 28 against 24 GFLOP/s, 3 rows 21 against 18, on a Xeon) */
#define RK_GEMM_LOADT 2

#define REAL float
#define SFX f32
#include "gemm_ukr.inc"
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "gemm_ukr.inc"

static void rk_gemm_ukr_f32_avx2_6x16(int64_t kc, const float *a, int64_t rsa, int64_t csa,
                                      const float *b, int64_t rsb, float *c, int64_t ldc,
                                      float alpha, float beta, int64_t mr, int64_t nr)
{
    gemm_ukr_f32_avx2(kc, a, rsa, csa, b, rsb, c, ldc, alpha, beta, mr, nr);
}

static void rk_gemm_ukr1_f32_avx2_1x64(int64_t kc, const float *a, int64_t csa, const float *b,
                                       int64_t rsb, int64_t bstep, float *c, float alpha,
                                       float beta, int64_t n)
{
    gemm_ukr1_f32_avx2(kc, a, csa, b, rsb, bstep, c, alpha, beta, n);
}

static void rk_gemm_ukrs_f32_avx2(int64_t kc, int64_t m, int64_t n, const float *a, int64_t rsa,
                                  int64_t csa, const float *b, int64_t ldb, int trans_b, float *c,
                                  int64_t ldc, float alpha, float beta, float *acc)
{
    gemm_ukrs_f32_avx2(kc, m, n, a, rsa, csa, b, ldb, trans_b, c, ldc, alpha, beta, acc);
}

static void rk_gemm_ukr_f64_avx2_6x8(int64_t kc, const double *a, int64_t rsa, int64_t csa,
                                     const double *b, int64_t rsb, double *c, int64_t ldc,
                                     double alpha, double beta, int64_t mr, int64_t nr)
{
    gemm_ukr_f64_avx2(kc, a, rsa, csa, b, rsb, c, ldc, alpha, beta, mr, nr);
}

static void rk_gemm_ukr1_f64_avx2_1x32(int64_t kc, const double *a, int64_t csa, const double *b,
                                       int64_t rsb, int64_t bstep, double *c, double alpha,
                                       double beta, int64_t n)
{
    gemm_ukr1_f64_avx2(kc, a, csa, b, rsb, bstep, c, alpha, beta, n);
}

static void rk_gemm_ukrs_f64_avx2(int64_t kc, int64_t m, int64_t n, const double *a, int64_t rsa,
                                  int64_t csa, const double *b, int64_t ldb, int trans_b, double *c,
                                  int64_t ldc, double alpha, double beta, double *acc)
{
    gemm_ukrs_f64_avx2(kc, m, n, a, rsa, csa, b, ldb, trans_b, c, ldc, alpha, beta, acc);
}

/* name, MR, NR, KC, MC, widest task: B micro-panel 32 KiB (L1's size, read again by every A
 * micro-panel), A block 144 KiB in a 512 KiB L2, B block 2 MiB in L3. KC 512 halves the passes
 * over C against 256: on Zen 3, float32 2048^2 on 1 thread 196-202 -> 189-194 ms (medians of 6
 * alternating processes; 88-90% of the probe) */
const rk_gemm_kernel_f32 rk_gemm_kernel_f32_avx2 = {
    "rk_gemm_ukr_f32_avx2_6x16", RK_GEMM_MR, 16, 512, 72, 1024,
    rk_gemm_ukr_f32_avx2_6x16, rk_gemm_ukr1_f32_avx2_1x64, rk_gemm_ukrs_f32_avx2};
const rk_gemm_kernel_f64 rk_gemm_kernel_f64_avx2 = {
    "rk_gemm_ukr_f64_avx2_6x8", RK_GEMM_MR, 8, 512, 36, 512,
    rk_gemm_ukr_f64_avx2_6x8, rk_gemm_ukr1_f64_avx2_1x32, rk_gemm_ukrs_f64_avx2};
