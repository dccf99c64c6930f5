/* AVX-512 micro-kernels: rk_gemm_ukr_f32_avx512_8x48 and rk_gemm_ukr_f64_avx512_8x24, and for one
 * row (M = 1: bound by the bandwidth B streams at) rk_gemm_ukr1_f32_avx512_1x192 / _f64_1x96:
 * 4 panels x 3 vectors = 12 independent accumulators.
 * 8 rows x 3 vectors = 24 accumulators (12 per FMA pipe on a two-pipe core: enough to cover a
 * 4-cycle FMA latency) + 3 B vectors + 1 broadcast, of 32 zmm registers. Each K step loads one
 * B row (3 vectors) and broadcasts 8 A values: 11 loads per 24 FMAs. MR = 8 divides the batch
 * sizes of the recurrence (8, 16, 32, 64) so small products have no row tail. Packed A (rsa 1,
 * csa 8) takes a loop with constant offsets, A read in place (small M) one pointer per row. */
#include <immintrin.h>
#include "gemm_ukr.h"

#define MR 8
/* K steps ahead that B (3 cache lines per step) is prefetched: covers a miss to L3 or memory
 * when B is streamed once (prepacked weights larger than the caches, or small M in place) */
#define RK_PF_STEPS 16
#define RK_PREFETCH_B                                                                             \
    _mm_prefetch((const char *)(b + RK_PF_STEPS * rsb), _MM_HINT_T0);                             \
    _mm_prefetch((const char *)(b + RK_PF_STEPS * rsb + W), _MM_HINT_T0);                         \
    _mm_prefetch((const char *)(b + RK_PF_STEPS * rsb + 2 * W), _MM_HINT_T0);

/* Written once against the vector vocabulary VT (vector type), W (lanes), RT (scalar type),
 * SET1, LOADU, STOREU, FMADD, MUL, ADD, ZERO, defined per dtype before each instantiation. */
#define RK_AVX512_UKR(NAME, SFX)                                                                  \
    static void NAME(int64_t kc, const RT *a, int64_t rsa, int64_t csa, const RT *b, int64_t rsb, \
                     RT *c, int64_t ldc, RT alpha, RT beta, int64_t mr, int64_t nr)               \
    {                                                                                             \
        VT c00 = ZERO(), c01 = ZERO(), c02 = ZERO(), c10 = ZERO(), c11 = ZERO(), c12 = ZERO();    \
        VT c20 = ZERO(), c21 = ZERO(), c22 = ZERO(), c30 = ZERO(), c31 = ZERO(), c32 = ZERO();    \
        VT c40 = ZERO(), c41 = ZERO(), c42 = ZERO(), c50 = ZERO(), c51 = ZERO(), c52 = ZERO();    \
        VT c60 = ZERO(), c61 = ZERO(), c62 = ZERO(), c70 = ZERO(), c71 = ZERO(), c72 = ZERO();    \
        VT b0, b1, b2, ai;                                                                        \
        for (int64_t i = 0; i < mr; ++i) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);  \
        for (int64_t i = 0; i < mr; ++i)                                                          \
            _mm_prefetch((const char *)(c + i * ldc + nr - 1), _MM_HINT_T0);                      \
        if (rsa == 1 && csa == MR) { /* packed A: the MR values of step p are contiguous */      \
            for (int64_t p = 0; p < kc; ++p, a += MR, b += rsb) {                                 \
                RK_PREFETCH_B                                                                     \
                b0 = LOADU(b), b1 = LOADU(b + W), b2 = LOADU(b + 2 * W);                          \
                RK_AVX512_ROWS(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])                    \
            }                                                                                     \
        } else { /* rows beyond mr alias row 0: read, never stored */                            \
            const RT *a0 = a, *a1 = a + (mr > 1) * rsa, *a2 = a + (mr > 2) * 2 * rsa;             \
            const RT *a3 = a + (mr > 3) * 3 * rsa, *a4 = a + (mr > 4) * 4 * rsa;                  \
            const RT *a5 = a + (mr > 5) * 5 * rsa, *a6 = a + (mr > 6) * 6 * rsa;                  \
            const RT *a7 = a + (mr > 7) * 7 * rsa;                                                \
            for (int64_t p = 0; p < kc; ++p, b += rsb) {                                          \
                const int64_t o = p * csa;                                                        \
                RK_PREFETCH_B                                                                     \
                b0 = LOADU(b), b1 = LOADU(b + W), b2 = LOADU(b + 2 * W);                          \
                RK_AVX512_ROWS(a0[o], a1[o], a2[o], a3[o], a4[o], a5[o], a6[o], a7[o])            \
            }                                                                                     \
        }                                                                                         \
        if (mr == MR && nr == 3 * W) {                                                            \
            const VT va = SET1(alpha), vb = SET1(beta);                                           \
            RK_AVX512_STORE(0) RK_AVX512_STORE(1) RK_AVX512_STORE(2) RK_AVX512_STORE(3)           \
            RK_AVX512_STORE(4) RK_AVX512_STORE(5) RK_AVX512_STORE(6) RK_AVX512_STORE(7)           \
        } else {                                                                                  \
            RT t[MR * 3 * W] __attribute__((aligned(64)));                                        \
            RK_AVX512_SPILL(0) RK_AVX512_SPILL(1) RK_AVX512_SPILL(2) RK_AVX512_SPILL(3)           \
            RK_AVX512_SPILL(4) RK_AVX512_SPILL(5) RK_AVX512_SPILL(6) RK_AVX512_SPILL(7)           \
            rk_gemm_store_edge_##SFX(t, 3 * W, c, ldc, alpha, beta, mr, nr);                      \
        }                                                                                         \
    }

#define RK_AVX512_ROW(i, AV)                                                                      \
    ai = SET1(AV);                                                                                \
    c##i##0 = FMADD(ai, b0, c##i##0);                                                             \
    c##i##1 = FMADD(ai, b1, c##i##1);                                                             \
    c##i##2 = FMADD(ai, b2, c##i##2);
#define RK_AVX512_ROWS(A0, A1, A2, A3, A4, A5, A6, A7)                                            \
    RK_AVX512_ROW(0, A0) RK_AVX512_ROW(1, A1) RK_AVX512_ROW(2, A2) RK_AVX512_ROW(3, A3)           \
    RK_AVX512_ROW(4, A4) RK_AVX512_ROW(5, A5) RK_AVX512_ROW(6, A6) RK_AVX512_ROW(7, A7)
/* alpha * acc + beta * C with multiply and add (no FMA), as rk_gemm_store_edge does */
#define RK_AVX512_STORE(i)                                                                        \
    {                                                                                             \
        RT *ci = c + (i) * ldc;                                                                   \
        VT r0 = MUL(va, c##i##0), r1 = MUL(va, c##i##1), r2 = MUL(va, c##i##2);                   \
        if (beta == 1) {                                                                          \
            r0 = ADD(r0, LOADU(ci)), r1 = ADD(r1, LOADU(ci + W)), r2 = ADD(r2, LOADU(ci + 2 * W)); \
        } else if (beta != 0) {                                                                   \
            r0 = ADD(r0, MUL(vb, LOADU(ci))), r1 = ADD(r1, MUL(vb, LOADU(ci + W)));               \
            r2 = ADD(r2, MUL(vb, LOADU(ci + 2 * W)));                                             \
        }                                                                                         \
        STOREU(ci, r0), STOREU(ci + W, r1), STOREU(ci + 2 * W, r2);                               \
    }
#define RK_AVX512_SPILL(i)                                                                        \
    STOREU(t + (i) * 3 * W, c##i##0), STOREU(t + (i) * 3 * W + W, c##i##1);                       \
    STOREU(t + (i) * 3 * W + 2 * W, c##i##2);

#define RK_AVX512_UKR1(NAME, SFX)                                                                 \
    static void NAME(int64_t kc, const RT *a, int64_t csa, const RT *b, int64_t rsb,              \
                     int64_t bstep, RT *c, RT alpha, RT beta, int64_t n)                          \
    {                                                                                             \
        const int64_t np = (n + 3 * W - 1) / (3 * W); /* panels beyond np alias panel 0 */       \
        const RT *q0 = b, *q1 = b + (np > 1) * bstep, *q2 = b + (np > 2) * 2 * bstep;             \
        const RT *q3 = b + (np > 3) * 3 * bstep;                                                  \
        VT c00 = ZERO(), c01 = ZERO(), c02 = ZERO(), c10 = ZERO(), c11 = ZERO(), c12 = ZERO();    \
        VT c20 = ZERO(), c21 = ZERO(), c22 = ZERO(), c30 = ZERO(), c31 = ZERO(), c32 = ZERO();    \
        for (int64_t p = 0; p < kc; ++p) {                                                        \
            const int64_t o = p * rsb;                                                            \
            const VT ai = SET1(a[p * csa]);                                                       \
            RK_AVX512_PANEL1(q0, c00, c01, c02)                                                   \
            RK_AVX512_PANEL1(q1, c10, c11, c12)                                                   \
            RK_AVX512_PANEL1(q2, c20, c21, c22)                                                   \
            RK_AVX512_PANEL1(q3, c30, c31, c32)                                                   \
        }                                                                                         \
        if (n == 12 * W) {                                                                        \
            const VT va = SET1(alpha), vb = SET1(beta);                                           \
            RK_AVX512_STORE1(0, c00) RK_AVX512_STORE1(1, c01) RK_AVX512_STORE1(2, c02)            \
            RK_AVX512_STORE1(3, c10) RK_AVX512_STORE1(4, c11) RK_AVX512_STORE1(5, c12)            \
            RK_AVX512_STORE1(6, c20) RK_AVX512_STORE1(7, c21) RK_AVX512_STORE1(8, c22)            \
            RK_AVX512_STORE1(9, c30) RK_AVX512_STORE1(10, c31) RK_AVX512_STORE1(11, c32)          \
        } else {                                                                                  \
            RT t[12 * W] __attribute__((aligned(64)));                                            \
            STOREU(t, c00), STOREU(t + W, c01), STOREU(t + 2 * W, c02);                           \
            STOREU(t + 3 * W, c10), STOREU(t + 4 * W, c11), STOREU(t + 5 * W, c12);               \
            STOREU(t + 6 * W, c20), STOREU(t + 7 * W, c21), STOREU(t + 8 * W, c22);               \
            STOREU(t + 9 * W, c30), STOREU(t + 10 * W, c31), STOREU(t + 11 * W, c32);             \
            rk_gemm_store_edge_##SFX(t, 0, c, 0, alpha, beta, 1, n);                              \
        }                                                                                         \
    }
#define RK_AVX512_PANEL1(Q, A0, A1, A2)                                                           \
    {                                                                                             \
        const RT *b = (Q) + o;                                                                    \
        RK_PREFETCH_B                                                                             \
        A0 = FMADD(ai, LOADU(b), A0), A1 = FMADD(ai, LOADU(b + W), A1);                           \
        A2 = FMADD(ai, LOADU(b + 2 * W), A2);                                                     \
    }
/* vector v of c (lanes v W ..): alpha * acc + beta * C, as RK_AVX512_STORE */
#define RK_AVX512_STORE1(v, ACC)                                                                  \
    {                                                                                             \
        VT r = MUL(va, ACC);                                                                      \
        if (beta == 1) r = ADD(r, LOADU(c + (v) * W));                                            \
        else if (beta != 0) r = ADD(r, MUL(vb, LOADU(c + (v) * W)));                              \
        STOREU(c + (v) * W, r);                                                                   \
    }

/* ---- few rows (ukrs): op(B) read where it is stored, each element's FMA chain in k order ----
 * B not transposed: the K block's rows are streamed front to back, 4 at a time, and each row of
 * C accumulates in acc (L1) across them (the micro-kernel's chain acc = fma(a[p], B(p, j), acc),
 * p in order, from zero). B transposed: W rows of B are walked together and step p gathers
 * B(p, j .. j + W) from them into one vector, feeding up to 8 rows of C in the same order. */
#define RK_AVX512_UKRS(NAME, SFX)                                                                 \
    static void NAME##_nn(int64_t kc, int64_t m, int64_t n, const RT *a, int64_t rsa,             \
                          int64_t csa, const RT *b, int64_t ldb, RT *c, int64_t ldc, RT alpha,    \
                          RT beta, RT *acc)                                                       \
    {                                                                                             \
        const int64_t la = rk_gemm_ukrs_cols(n), nv = n / W * W;                                  \
        const MASKT tail = (MASKT)((1u << (n - nv)) - 1); /* lanes past n: zero, never stored */ \
        for (int64_t p = 0; p < kc; p += 4) {                                                     \
            const int64_t ps = kc - p < 4 ? kc - p : 4;                                           \
            for (int64_t i = 0; i < m; ++i) {                                                     \
                const RT *ai = a + i * rsa + p * csa;                                             \
                RT *r = acc + i * la;                                                             \
                for (int64_t j = 0; j < n; j += W) {                                              \
                    const MASKT mk = j < nv ? (MASKT)-1 : tail;                                   \
                    VT s = p ? MASKLOAD(mk, r + j) : ZERO();                                      \
                    for (int64_t q = 0; q < ps; ++q)                                              \
                        s = FMADD(SET1(ai[q * csa]), MASKLOAD(mk, b + (p + q) * ldb + j), s);     \
                    STOREU(r + j, s);                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
        for (int64_t i = 0; i < m; ++i)                                                           \
            rk_gemm_store_edge_##SFX(acc + i * la, 0, c + i * ldc, 0, alpha, beta, 1, n);          \
    }                                                                                             \
    static void NAME##_t(int64_t kc, int64_t m, int64_t n, const RT *a, int64_t rsa, int64_t csa, \
                         const RT *b, int64_t ldb, RT *c, int64_t ldc, RT alpha, RT beta)         \
    {                                                                                             \
        RT col[W] __attribute__((aligned(64)));                                                   \
        for (int64_t j = 0; j < n; j += W) {                                                      \
            const int64_t nj = n - j < W ? n - j : W;                                             \
            const RT *w = b + j * ldb;                                                            \
            for (int64_t i0 = 0; i0 < m; i0 += MR) {                                              \
                const int64_t mi = m - i0 < MR ? m - i0 : MR;                                     \
                VT s[MR];                                                                         \
                for (int i = 0; i < MR; ++i) s[i] = ZERO();                                       \
                for (int64_t p = 0; p < kc; ++p) {                                                \
                    for (int r = 0; r < W; ++r) col[r] = w[(r < nj ? r : nj - 1) * ldb + p];      \
                    const VT t = LOADU(col);                                                      \
                    for (int i = 0; i < mi; ++i)                                                  \
                        s[i] = FMADD(SET1(a[(i0 + i) * rsa + p * csa]), t, s[i]);                 \
                }                                                                                 \
                for (int i = 0; i < mi; ++i) {                                                    \
                    STOREU(col, s[i]);                                                            \
                    rk_gemm_store_edge_##SFX(col, 0, c + (i0 + i) * ldc + j, 0, alpha, beta, 1,   \
                                             nj);                                                 \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }                                                                                             \
    static void NAME(int64_t kc, int64_t m, int64_t n, const RT *a, int64_t rsa, int64_t csa,     \
                     const RT *b, int64_t ldb, int trans_b, RT *c, int64_t ldc, RT alpha,         \
                     RT beta, RT *acc)                                                            \
    {                                                                                             \
        if (trans_b) NAME##_t(kc, m, n, a, rsa, csa, b, ldb, c, ldc, alpha, beta);                \
        else NAME##_nn(kc, m, n, a, rsa, csa, b, ldb, c, ldc, alpha, beta, acc);                  \
    }

#define RT float
#define VT __m512
#define W 16
#define SET1 _mm512_set1_ps
#define LOADU _mm512_loadu_ps
#define STOREU _mm512_storeu_ps
#define FMADD _mm512_fmadd_ps
#define MUL _mm512_mul_ps
#define ADD _mm512_add_ps
#define ZERO _mm512_setzero_ps
#define MASKT __mmask16
#define MASKLOAD _mm512_maskz_loadu_ps
RK_AVX512_UKR(rk_gemm_ukr_f32_avx512_8x48, f32)
RK_AVX512_UKR1(rk_gemm_ukr1_f32_avx512_1x192, f32)
RK_AVX512_UKRS(rk_gemm_ukrs_f32_avx512, f32)
#undef RT
#undef VT
#undef W
#undef SET1
#undef LOADU
#undef STOREU
#undef FMADD
#undef MUL
#undef ADD
#undef ZERO
#undef MASKT
#undef MASKLOAD

#define RT double
#define VT __m512d
#define W 8
#define SET1 _mm512_set1_pd
#define LOADU _mm512_loadu_pd
#define STOREU _mm512_storeu_pd
#define FMADD _mm512_fmadd_pd
#define MUL _mm512_mul_pd
#define ADD _mm512_add_pd
#define ZERO _mm512_setzero_pd
#define MASKT __mmask8
#define MASKLOAD _mm512_maskz_loadu_pd
RK_AVX512_UKR(rk_gemm_ukr_f64_avx512_8x24, f64)
RK_AVX512_UKR1(rk_gemm_ukr1_f64_avx512_1x96, f64)
RK_AVX512_UKRS(rk_gemm_ukrs_f64_avx512, f64)

/* name, MR, NR, KC, MC (A block 192-256 KiB of a 1 MiB L2), widest task (B block <= 1.9 MiB in
 * L3) */
const rk_gemm_kernel_f32 rk_gemm_kernel_f32_avx512 = {"rk_gemm_ukr_f32_avx512_8x48", MR, 48, 256,
                                                      192, 1920, rk_gemm_ukr_f32_avx512_8x48,
                                                      rk_gemm_ukr1_f32_avx512_1x192,
                                                      rk_gemm_ukrs_f32_avx512};
const rk_gemm_kernel_f64 rk_gemm_kernel_f64_avx512 = {"rk_gemm_ukr_f64_avx512_8x24", MR, 24, 256,
                                                      128, 960, rk_gemm_ukr_f64_avx512_8x24,
                                                      rk_gemm_ukr1_f64_avx512_1x96,
                                                      rk_gemm_ukrs_f64_avx512};
