/* AVX2 + FMA micro-kernels: rk_gemm_ukr_f32_avx2_6x16 and rk_gemm_ukr_f64_avx2_6x8, and for one
 * row (M = 1: bound by the bandwidth B streams at) rk_gemm_ukr1_f32_avx2_1x64 / _f64_avx2_1x32:
 * 4 panels x 2 vectors = 8 independent accumulators.
 * 6 rows x 2 vectors = 12 accumulators + 2 B vectors + 1 broadcast: all 16 ymm registers. Each
 * K step loads one B row (2 vectors) and broadcasts 6 A values; packed A (rsa 1, csa 6) takes
 * a loop with constant offsets, A read in place (small M) a loop with one pointer per row. */
#include <immintrin.h>
#include "gemm_ukr.h"

#define MR 6
/* K steps ahead that B is prefetched: covers a miss to L3 or memory when B is streamed once
 * (prepacked weights larger than the caches, or small M reading B in place) */
#define RK_PF_STEPS 16

/* Written once against the vector vocabulary VT (vector type), W (lanes), SET1, BCAST, LOADU,
 * STOREU, FMADD, MUL, ADD, ZERO and RT (the scalar type), which are defined per dtype before each instantiation. */
#define RK_AVX2_UKR(NAME, SFX, REAL)                                                              \
    static void NAME(int64_t kc, const REAL *a, int64_t rsa, int64_t csa, const REAL *b,          \
                     int64_t rsb, REAL *c, int64_t ldc, REAL alpha, REAL beta, int64_t mr,        \
                     int64_t nr)                                                                  \
    {                                                                                             \
        VT c00 = ZERO(), c01 = ZERO(), c10 = ZERO(), c11 = ZERO(), c20 = ZERO(), c21 = ZERO();    \
        VT c30 = ZERO(), c31 = ZERO(), c40 = ZERO(), c41 = ZERO(), c50 = ZERO(), c51 = ZERO();    \
        VT b0, b1, ai;                                                                            \
        for (int64_t i = 0; i < mr; ++i) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);  \
        if (rsa == 1 && csa == MR) { /* packed A: the MR values of step p are contiguous */      \
            for (int64_t p = 0; p < kc; ++p, a += MR, b += rsb) {                                 \
                _mm_prefetch((const char *)(b + RK_PF_STEPS * rsb), _MM_HINT_T0);                 \
                b0 = LOADU(b), b1 = LOADU(b + W);                                                 \
                RK_AVX2_ROWS(a[0], a[1], a[2], a[3], a[4], a[5])                                  \
            }                                                                                     \
        } else { /* rows beyond mr alias row 0: read, never stored */                            \
            const REAL *a0 = a, *a1 = a + (mr > 1) * rsa, *a2 = a + (mr > 2) * 2 * rsa;           \
            const REAL *a3 = a + (mr > 3) * 3 * rsa, *a4 = a + (mr > 4) * 4 * rsa;                \
            const REAL *a5 = a + (mr > 5) * 5 * rsa;                                              \
            for (int64_t p = 0; p < kc; ++p, b += rsb) {                                          \
                const int64_t o = p * csa;                                                        \
                _mm_prefetch((const char *)(b + RK_PF_STEPS * rsb), _MM_HINT_T0);                 \
                b0 = LOADU(b), b1 = LOADU(b + W);                                                 \
                RK_AVX2_ROWS(a0[o], a1[o], a2[o], a3[o], a4[o], a5[o])                            \
            }                                                                                     \
        }                                                                                         \
        if (mr == MR && nr == 2 * W) {                                                            \
            const VT va = SET1(alpha), vb = SET1(beta);                                           \
            RK_AVX2_STORE(0) RK_AVX2_STORE(1) RK_AVX2_STORE(2)                                    \
            RK_AVX2_STORE(3) RK_AVX2_STORE(4) RK_AVX2_STORE(5)                                    \
        } else {                                                                                  \
            REAL t[MR * 2 * W] __attribute__((aligned(32)));                                      \
            STOREU(t + 0 * W, c00), STOREU(t + 1 * W, c01), STOREU(t + 2 * W, c10);               \
            STOREU(t + 3 * W, c11), STOREU(t + 4 * W, c20), STOREU(t + 5 * W, c21);               \
            STOREU(t + 6 * W, c30), STOREU(t + 7 * W, c31), STOREU(t + 8 * W, c40);               \
            STOREU(t + 9 * W, c41), STOREU(t + 10 * W, c50), STOREU(t + 11 * W, c51);             \
            rk_gemm_store_edge_##SFX(t, 2 * W, c, ldc, alpha, beta, mr, nr);                      \
        }                                                                                         \
    }

#define RK_AVX2_ROW(i, AV)                                                                        \
    ai = BCAST(&(AV));                                                                            \
    c##i##0 = FMADD(ai, b0, c##i##0);                                                             \
    c##i##1 = FMADD(ai, b1, c##i##1);
#define RK_AVX2_ROWS(A0, A1, A2, A3, A4, A5)                                                      \
    RK_AVX2_ROW(0, A0) RK_AVX2_ROW(1, A1) RK_AVX2_ROW(2, A2)                                      \
    RK_AVX2_ROW(3, A3) RK_AVX2_ROW(4, A4) RK_AVX2_ROW(5, A5)
/* alpha * acc + beta * C with multiply and add (no FMA), as rk_gemm_store_edge does */
#define RK_AVX2_STORE(i)                                                                          \
    {                                                                                             \
        RT *ci = c + (i) * ldc;                                                                 \
        VT r0 = MUL(va, c##i##0), r1 = MUL(va, c##i##1);                                          \
        if (beta == 1) {                                                                          \
            r0 = ADD(r0, LOADU(ci)), r1 = ADD(r1, LOADU(ci + W));                                 \
        } else if (beta != 0) {                                                                   \
            r0 = ADD(r0, MUL(vb, LOADU(ci))), r1 = ADD(r1, MUL(vb, LOADU(ci + W)));               \
        }                                                                                         \
        STOREU(ci, r0), STOREU(ci + W, r1);                                                       \
    }

#define RK_AVX2_UKR1(NAME, SFX)                                                                   \
    static void NAME(int64_t kc, const RT *a, int64_t csa, const RT *b, int64_t rsb,              \
                     int64_t bstep, RT *c, RT alpha, RT beta, int64_t n)                          \
    {                                                                                             \
        const int64_t np = (n + 2 * W - 1) / (2 * W); /* panels beyond np alias panel 0 */       \
        const RT *q0 = b, *q1 = b + (np > 1) * bstep, *q2 = b + (np > 2) * 2 * bstep;             \
        const RT *q3 = b + (np > 3) * 3 * bstep;                                                  \
        VT c00 = ZERO(), c01 = ZERO(), c10 = ZERO(), c11 = ZERO();                                \
        VT c20 = ZERO(), c21 = ZERO(), c30 = ZERO(), c31 = ZERO();                                \
        for (int64_t p = 0; p < kc; ++p) {                                                        \
            const int64_t o = p * rsb, f = o + RK_PF_STEPS * rsb;                                 \
            const VT ai = BCAST(a + p * csa);                                                     \
            _mm_prefetch((const char *)(q0 + f), _MM_HINT_T0);                                    \
            _mm_prefetch((const char *)(q1 + f), _MM_HINT_T0);                                    \
            _mm_prefetch((const char *)(q2 + f), _MM_HINT_T0);                                    \
            _mm_prefetch((const char *)(q3 + f), _MM_HINT_T0);                                    \
            c00 = FMADD(ai, LOADU(q0 + o), c00), c01 = FMADD(ai, LOADU(q0 + o + W), c01);         \
            c10 = FMADD(ai, LOADU(q1 + o), c10), c11 = FMADD(ai, LOADU(q1 + o + W), c11);         \
            c20 = FMADD(ai, LOADU(q2 + o), c20), c21 = FMADD(ai, LOADU(q2 + o + W), c21);         \
            c30 = FMADD(ai, LOADU(q3 + o), c30), c31 = FMADD(ai, LOADU(q3 + o + W), c31);         \
        }                                                                                         \
        if (n == 8 * W) {                                                                         \
            const VT va = SET1(alpha), vb = SET1(beta);                                           \
            RK_AVX2_STORE1(0, c00) RK_AVX2_STORE1(1, c01) RK_AVX2_STORE1(2, c10)                  \
            RK_AVX2_STORE1(3, c11) RK_AVX2_STORE1(4, c20) RK_AVX2_STORE1(5, c21)                  \
            RK_AVX2_STORE1(6, c30) RK_AVX2_STORE1(7, c31)                                         \
        } else {                                                                                  \
            RT t[8 * W] __attribute__((aligned(32)));                                             \
            STOREU(t, c00), STOREU(t + W, c01), STOREU(t + 2 * W, c10), STOREU(t + 3 * W, c11);   \
            STOREU(t + 4 * W, c20), STOREU(t + 5 * W, c21), STOREU(t + 6 * W, c30);               \
            STOREU(t + 7 * W, c31);                                                               \
            rk_gemm_store_edge_##SFX(t, 0, c, 0, alpha, beta, 1, n);                              \
        }                                                                                         \
    }
/* vector v of c (lanes v W ..): alpha * acc + beta * C, as RK_AVX2_STORE */
#define RK_AVX2_STORE1(v, ACC)                                                                    \
    {                                                                                             \
        VT r = MUL(va, ACC);                                                                      \
        if (beta == 1) r = ADD(r, LOADU(c + (v) * W));                                            \
        else if (beta != 0) r = ADD(r, MUL(vb, LOADU(c + (v) * W)));                              \
        STOREU(c + (v) * W, r);                                                                   \
    }

#define RT float
#define VT __m256
#define W 8
#define SET1 _mm256_set1_ps
#define BCAST _mm256_broadcast_ss
#define LOADU _mm256_loadu_ps
#define STOREU _mm256_storeu_ps
#define FMADD _mm256_fmadd_ps
#define MUL _mm256_mul_ps
#define ADD _mm256_add_ps
#define ZERO _mm256_setzero_ps
RK_AVX2_UKR(rk_gemm_ukr_f32_avx2_6x16, f32, float)
RK_AVX2_UKR1(rk_gemm_ukr1_f32_avx2_1x64, f32)
#undef RT
#undef VT
#undef W
#undef SET1
#undef BCAST
#undef LOADU
#undef STOREU
#undef FMADD
#undef MUL
#undef ADD
#undef ZERO

#define RT double
#define VT __m256d
#define W 4
#define SET1 _mm256_set1_pd
#define BCAST _mm256_broadcast_sd
#define LOADU _mm256_loadu_pd
#define STOREU _mm256_storeu_pd
#define FMADD _mm256_fmadd_pd
#define MUL _mm256_mul_pd
#define ADD _mm256_add_pd
#define ZERO _mm256_setzero_pd
RK_AVX2_UKR(rk_gemm_ukr_f64_avx2_6x8, f64, double)
RK_AVX2_UKR1(rk_gemm_ukr1_f64_avx2_1x32, f64)

/* name, MR, NR, KC (B micro-panel 16 KiB in L1), MC (A block 120-144 KiB), widest task (B block
 * 256 KiB): A and B blocks together fit a 512 KiB L2 */
const rk_gemm_kernel_f32 rk_gemm_kernel_f32_avx2 = {"rk_gemm_ukr_f32_avx2_6x16", MR, 16, 256, 120,
                                                    256, rk_gemm_ukr_f32_avx2_6x16,
                                                    rk_gemm_ukr1_f32_avx2_1x64};
const rk_gemm_kernel_f64 rk_gemm_kernel_f64_avx2 = {"rk_gemm_ukr_f64_avx2_6x8", MR, 8, 256, 72,
                                                    128, rk_gemm_ukr_f64_avx2_6x8,
                                                    rk_gemm_ukr1_f64_avx2_1x32};
