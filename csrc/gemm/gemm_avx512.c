/* The GEMM micro-kernels for the avx512 path: gemm/gemm_ukr.inc compiled with this ISA's flags
 * against simd/avx512.h. Register tile 8 rows x 3 zmm: 24 accumulators (12 per FMA pipe on a
 * two-pipe core, enough to cover a 4-cycle latency) + 3 B vectors + 1 broadcast, of 32 registers;
 * each K step loads 3 vectors of B and broadcasts 8 values of A. MR = 8 divides the batch sizes
 * of the recurrence (8, 16, 32, 64), so small products have no row tail. */
#include "../simd/avx512.h"
#include "../kernels.h"

#define RK_GEMM_MR 8
#define RK_GEMM_NV 3
/* B transposed, up to VL/4 rows: transposed in registers (one shuffle port: the transposed
 * product wins from VL/4 rows up; 1x4096x1024 B^T 7.6 against 5.7 GFLOP/s, 4 rows 26 against
 * 22, 8 rows 36 against 46, on a Xeon) */
#define RK_GEMM_LOADT 4

#define REAL float
#define SFX f32
#include "gemm_ukr.inc"
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "gemm_ukr.inc"

static void rk_gemm_ukr_f32_avx512_8x48(int64_t kc, const float *a, int64_t rsa, int64_t csa,
                                        const float *b, int64_t rsb, float *c, int64_t ldc,
                                        float alpha, float beta, int64_t mr, int64_t nr)
{
    gemm_ukr_f32_avx512(kc, a, rsa, csa, b, rsb, c, ldc, alpha, beta, mr, nr);
}

static void rk_gemm_ukr1_f32_avx512_1x192(int64_t kc, const float *a, int64_t csa, const float *b,
                                          int64_t rsb, int64_t bstep, float *c, float alpha,
                                          float beta, int64_t n)
{
    gemm_ukr1_f32_avx512(kc, a, csa, b, rsb, bstep, c, alpha, beta, n);
}

static void rk_gemm_ukrs_f32_avx512(int64_t kc, int64_t m, int64_t n, const float *a, int64_t rsa,
                                    int64_t csa, const float *b, int64_t ldb, int trans_b, float *c,
                                    int64_t ldc, float alpha, float beta, float *acc)
{
    gemm_ukrs_f32_avx512(kc, m, n, a, rsa, csa, b, ldb, trans_b, c, ldc, alpha, beta, acc);
}

static void rk_gemm_ukr_f64_avx512_8x24(int64_t kc, const double *a, int64_t rsa, int64_t csa,
                                        const double *b, int64_t rsb, double *c, int64_t ldc,
                                        double alpha, double beta, int64_t mr, int64_t nr)
{
    gemm_ukr_f64_avx512(kc, a, rsa, csa, b, rsb, c, ldc, alpha, beta, mr, nr);
}

static void rk_gemm_ukr1_f64_avx512_1x96(int64_t kc, const double *a, int64_t csa, const double *b,
                                         int64_t rsb, int64_t bstep, double *c, double alpha,
                                         double beta, int64_t n)
{
    gemm_ukr1_f64_avx512(kc, a, csa, b, rsb, bstep, c, alpha, beta, n);
}

static void rk_gemm_ukrs_f64_avx512(int64_t kc, int64_t m, int64_t n, const double *a, int64_t rsa,
                                    int64_t csa, const double *b, int64_t ldb, int trans_b, double *c,
                                    int64_t ldc, double alpha, double beta, double *acc)
{
    gemm_ukrs_f64_avx512(kc, m, n, a, rsa, csa, b, ldb, trans_b, c, ldc, alpha, beta, acc);
}

/* name, MR, NR, KC, MC, widest task. A B micro-panel (KC x NR, 48 KiB) is larger than L1 can keep
 * next to A's, so the driver keeps each A micro-panel in L1 and streams B's from L2: the widest
 * task's B block (KC x 960 floats, 480 doubles: 960 KiB) fits a 1 MiB L2 */
const rk_gemm_kernel_f32 rk_gemm_kernel_f32_avx512 = {
    "rk_gemm_ukr_f32_avx512_8x48", RK_GEMM_MR, 48, 256, 192, 960,
    rk_gemm_ukr_f32_avx512_8x48, rk_gemm_ukr1_f32_avx512_1x192, rk_gemm_ukrs_f32_avx512};
const rk_gemm_kernel_f64 rk_gemm_kernel_f64_avx512 = {
    "rk_gemm_ukr_f64_avx512_8x24", RK_GEMM_MR, 24, 256, 128, 480,
    rk_gemm_ukr_f64_avx512_8x24, rk_gemm_ukr1_f64_avx512_1x96, rk_gemm_ukrs_f64_avx512};
