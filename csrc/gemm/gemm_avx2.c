/* AVX2 + FMA micro-kernels: rk_gemm_ukr_f32_avx2_6x16 and rk_gemm_ukr_f64_avx2_6x8, and for one
 * row (M = 1: bound by the bandwidth B streams at) rk_gemm_ukr1_f32_avx2_1x64 / _f64_avx2_1x32:
 * 4 panels x 2 vectors = 8 independent accumulators.
 * 6 rows x 2 vectors = 12 accumulators + 2 B vectors + 1 broadcast: all 16 ymm registers. Each
 * K step loads one B row (2 vectors) and broadcasts 6 A values; packed A (rsa 1, csa 6) takes
 * a loop with constant offsets, A read in place (small M) a loop with one pointer per row.
 * Few rows with B unpacked, transposed or not: rk_gemm_ukrs_f32_avx2 / _f64_avx2 (see below). */
#include <immintrin.h>
#include "gemm_ukr.h"

#define MR 6
/* K steps ahead that B is prefetched: covers a miss to L3 or memory when B is streamed once
 * (prepacked weights larger than the caches, or small M reading B in place) */
#define RK_PF_STEPS 16
/* elements ahead along a row of B that ukrs prefetches with B transposed: 4 cache lines */
#define RK_UKRS_PF (256 / (int64_t)sizeof(RT))

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

/* ---- few rows (ukrs): op(B) read where it is stored, each element's FMA chain in k order ----
 * B not transposed: the K block's rows are streamed front to back, 4 at a time, and each row of
 * C accumulates in acc (L1) across them, instead of walking 16-column panels down K with a
 * stride. Per element this is the micro-kernel's chain: acc = fma(a[p], B(p, j), acc), p in order,
 * from zero. */
#define RK_AVX2_UKRS_NN(NAME, SFX)                                                                \
    static void NAME(int64_t kc, int64_t m, int64_t n, const RT *a, int64_t rsa, int64_t csa,     \
                     const RT *b, int64_t ldb, RT *c, int64_t ldc, RT alpha, RT beta, RT *acc)    \
    {                                                                                             \
        const int64_t la = rk_gemm_ukrs_cols(n), nv = n / W * W;                                  \
        const MASKT tail = TAILMASK(n - nv); /* lanes past n read as zero, never stored */       \
        int64_t p = 0;                                                                            \
        for (; p + 4 <= kc; p += 4) {                                                             \
            const RT *b0 = b + p * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;           \
            _mm_prefetch((const char *)(b3 + 4 * ldb), _MM_HINT_T0);                              \
            for (int64_t i = 0; i < m; ++i) {                                                     \
                const RT *ai = a + i * rsa + p * csa;                                             \
                const VT x0 = SET1(ai[0]), x1 = SET1(ai[csa]), x2 = SET1(ai[2 * csa]);            \
                const VT x3 = SET1(ai[3 * csa]);                                                  \
                RT *r = acc + i * la;                                                             \
                int64_t j = 0;                                                                    \
                for (; j < nv; j += W) {                                                          \
                    VT s = p ? LOADU(r + j) : ZERO();                                             \
                    s = FMADD(x0, LOADU(b0 + j), s), s = FMADD(x1, LOADU(b1 + j), s);             \
                    s = FMADD(x2, LOADU(b2 + j), s), s = FMADD(x3, LOADU(b3 + j), s);             \
                    STOREU(r + j, s);                                                             \
                }                                                                                 \
                if (j < n) {                                                                      \
                    VT s = p ? LOADU(r + j) : ZERO();                                             \
                    s = FMADD(x0, MASKLOAD(b0 + j, tail), s);                                     \
                    s = FMADD(x1, MASKLOAD(b1 + j, tail), s);                                     \
                    s = FMADD(x2, MASKLOAD(b2 + j, tail), s);                                     \
                    s = FMADD(x3, MASKLOAD(b3 + j, tail), s);                                     \
                    STOREU(r + j, s);                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
        for (; p < kc; ++p) { /* the last kc % 4 rows, one at a time */                           \
            const RT *b0 = b + p * ldb;                                                           \
            for (int64_t i = 0; i < m; ++i) {                                                     \
                const VT x0 = SET1(a[i * rsa + p * csa]);                                         \
                RT *r = acc + i * la;                                                             \
                int64_t j = 0;                                                                    \
                for (; j < nv; j += W)                                                            \
                    STOREU(r + j, FMADD(x0, LOADU(b0 + j), p ? LOADU(r + j) : ZERO()));           \
                if (j < n)                                                                        \
                    STOREU(r + j, FMADD(x0, MASKLOAD(b0 + j, tail), p ? LOADU(r + j) : ZERO()));  \
            }                                                                                     \
        }                                                                                         \
        const VT va = SET1(alpha), vb = SET1(beta);                                               \
        for (int64_t i = 0; i < m; ++i) {                                                         \
            RT *ci = c + i * ldc;                                                                 \
            const RT *r = acc + i * la;                                                           \
            for (int64_t j = 0; j < nv; j += W) RK_AVX2_STORE1V(ci + j, LOADU(r + j))             \
            if (nv < n) rk_gemm_store_edge_##SFX(r + nv, 0, ci + nv, 0, alpha, beta, 1, n - nv);  \
        }                                                                                         \
    }
/* alpha * ACC + beta * C at ptr, as RK_AVX2_STORE */
#define RK_AVX2_STORE1V(PTR, ACC)                                                                 \
    {                                                                                             \
        VT r_ = MUL(va, ACC);                                                                     \
        if (beta == 1) r_ = ADD(r_, LOADU(PTR));                                                  \
        else if (beta != 0) r_ = ADD(r_, MUL(vb, LOADU(PTR)));                                    \
        STOREU(PTR, r_);                                                                          \
    }

/* B transposed (W_hh stored (N,K), the recurrence's shape): W rows of B are read front to back
 * together and transposed in registers, W/2 steps of K at a time (HALF), into vectors t[q] =
 * B(p + q, j .. j + W), which feed the rows of C in the micro-kernel's order. No copy of B is
 * made, so nothing is re-packed per call. Each element's sum is one dependent FMA chain, so with
 * few rows a band takes G = 2 column groups of W at once, interleaved, to have independent chains
 * in flight; ROWS and G are constants after inlining, so everything stays in registers:
 * G W/2 + G ROWS + 1 <= 16. */
#define RK_AVX2_UKRS_T(NAME, SFX)                                                                 \
    static inline __attribute__((always_inline)) void NAME##_band(                                \
        int64_t kc, const int rows, const int G, const RT *a, int64_t rsa, int64_t csa,           \
        const RT *b, int64_t ldb, RT *c, int64_t ldc, RT alpha, RT beta)                          \
    {                                                                                             \
        VT s[6];                                                                                  \
        for (int i = 0; i < 6; ++i) s[i] = ZERO();                                                \
        int64_t p = 0;                                                                            \
        for (; p + 2 * W <= kc; p += 2 * W) { /* a whole cache line of each row per step: rows  \
                                               * a power-of-2 stride apart share L1 sets, and a \
                                               * line left half-read may be evicted */            \
            for (int g = 0; g < G; ++g)                                                           \
                for (int r = 0; r < W; ++r)                                                       \
                    _mm_prefetch((const char *)(b + (g * W + r) * ldb + p + RK_UKRS_PF),          \
                                 _MM_HINT_T0);                                                    \
            for (int h = 0; h < 2 * W; h += W / 2) {                                              \
                RK_AVX2_HALF_FMAS(p + h)                                                          \
            }                                                                                     \
        }                                                                                         \
        for (; p + W / 2 <= kc; p += W / 2) {                                                     \
            RK_AVX2_HALF_FMAS(p)                                                                  \
        }                                                                                         \
        for (; p < kc; ++p) /* the last kc % (W/2) steps: one column of each tile */              \
            for (int g = 0; g < G; ++g) {                                                         \
                RT col[W] __attribute__((aligned(32)));                                           \
                for (int r = 0; r < W; ++r) col[r] = b[(g * W + r) * ldb + p];                    \
                const VT tc = LOADU(col);                                                         \
                for (int i = 0; i < rows; ++i)                                                    \
                    s[g * rows + i] = FMADD(BCAST(a + i * rsa + p * csa), tc, s[g * rows + i]);   \
            }                                                                                     \
        const VT va = SET1(alpha), vb = SET1(beta);                                               \
        for (int g = 0; g < G; ++g)                                                               \
            for (int i = 0; i < rows; ++i) RK_AVX2_STORE1V(c + i * ldc + g * W, s[g * rows + i])  \
    }                                                                                             \
    /* the last n % W columns (nj < W), a row at a time: one column gathered per step (rare) */    \
    static void NAME##_edge(int64_t kc, int64_t m, int64_t nj, const RT *a, int64_t rsa,          \
                            int64_t csa, const RT *b, int64_t ldb, RT *c, int64_t ldc, RT alpha,  \
                            RT beta)                                                              \
    {                                                                                             \
        RT col[W] __attribute__((aligned(32)));                                                   \
        for (int64_t i = 0; i < m; ++i) {                                                         \
            VT s = ZERO();                                                                        \
            for (int64_t p = 0; p < kc; ++p) {                                                    \
                for (int r = 0; r < W; ++r) col[r] = b[(r < nj ? r : nj - 1) * ldb + p];          \
                s = FMADD(BCAST(a + i * rsa + p * csa), LOADU(col), s);                           \
            }                                                                                     \
            STOREU(col, s);                                                                       \
            rk_gemm_store_edge_##SFX(col, 0, c + i * ldc, 0, alpha, beta, 1, nj);                 \
        }                                                                                         \
    }                                                                                             \
    /* columns [0, 4 W) of up to 6 rows: bands of G = 2 column groups below 4 rows, else 1 */     \
    static void NAME##_4w(int64_t kc, int64_t rows, const RT *a, int64_t rsa, int64_t csa,        \
                          const RT *b, int64_t ldb, RT *c, int64_t ldc, RT alpha, RT beta)        \
    {                                                                                             \
        const int64_t bw = W * ldb;                                                               \
        switch (rows) {                                                                           \
        case 1:                                                                                   \
            for (int g = 0; g < 4; g += 2)                                                        \
                NAME##_band(kc, 1, 2, a, rsa, csa, b + g * bw, ldb, c + g * W, ldc, alpha, beta); \
            break;                                                                                \
        case 2:                                                                                   \
            for (int g = 0; g < 4; g += 2)                                                        \
                NAME##_band(kc, 2, 2, a, rsa, csa, b + g * bw, ldb, c + g * W, ldc, alpha, beta); \
            break;                                                                                \
        case 3:                                                                                   \
            for (int g = 0; g < 4; g += 2)                                                        \
                NAME##_band(kc, 3, 2, a, rsa, csa, b + g * bw, ldb, c + g * W, ldc, alpha, beta); \
            break;                                                                                \
        case 4:                                                                                   \
            for (int g = 0; g < 4; ++g)                                                           \
                NAME##_band(kc, 4, 1, a, rsa, csa, b + g * bw, ldb, c + g * W, ldc, alpha, beta); \
            break;                                                                                \
        case 5:                                                                                   \
            for (int g = 0; g < 4; ++g)                                                           \
                NAME##_band(kc, 5, 1, a, rsa, csa, b + g * bw, ldb, c + g * W, ldc, alpha, beta); \
            break;                                                                                \
        default:                                                                                  \
            for (int g = 0; g < 4; ++g)                                                           \
                NAME##_band(kc, 6, 1, a, rsa, csa, b + g * bw, ldb, c + g * W, ldc, alpha, beta); \
            break;                                                                                \
        }                                                                                         \
    }                                                                                             \
    /* columns [0, W) of up to 6 rows */                                                          \
    static void NAME##_1w(int64_t kc, int64_t rows, const RT *a, int64_t rsa, int64_t csa,        \
                          const RT *b, int64_t ldb, RT *c, int64_t ldc, RT alpha, RT beta)        \
    {                                                                                             \
        switch (rows) {                                                                           \
        case 1: NAME##_band(kc, 1, 1, a, rsa, csa, b, ldb, c, ldc, alpha, beta); break;           \
        case 2: NAME##_band(kc, 2, 1, a, rsa, csa, b, ldb, c, ldc, alpha, beta); break;           \
        case 3: NAME##_band(kc, 3, 1, a, rsa, csa, b, ldb, c, ldc, alpha, beta); break;           \
        case 4: NAME##_band(kc, 4, 1, a, rsa, csa, b, ldb, c, ldc, alpha, beta); break;           \
        case 5: NAME##_band(kc, 5, 1, a, rsa, csa, b, ldb, c, ldc, alpha, beta); break;           \
        default: NAME##_band(kc, 6, 1, a, rsa, csa, b, ldb, c, ldc, alpha, beta); break;          \
        }                                                                                         \
    }                                                                                             \
    /* 4 W columns at a time, all row groups of 6 over them while their B rows are in cache */    \
    static void NAME(int64_t kc, int64_t m, int64_t n, const RT *a, int64_t rsa, int64_t csa,     \
                     const RT *b, int64_t ldb, RT *c, int64_t ldc, RT alpha, RT beta)             \
    {                                                                                             \
        int64_t j = 0;                                                                            \
        for (; j + 4 * W <= n; j += 4 * W)                                                        \
            for (int64_t i = 0; i < m; i += 6)                                                    \
                NAME##_4w(kc, m - i < 6 ? m - i : 6, a + i * rsa, rsa, csa, b + j * ldb, ldb,     \
                          c + i * ldc + j, ldc, alpha, beta);                                     \
        for (; j + W <= n; j += W)                                                                \
            for (int64_t i = 0; i < m; i += 6)                                                    \
                NAME##_1w(kc, m - i < 6 ? m - i : 6, a + i * rsa, rsa, csa, b + j * ldb, ldb,     \
                          c + i * ldc + j, ldc, alpha, beta);                                     \
        if (j < n)                                                                                \
            NAME##_edge(kc, m, n - j, a, rsa, csa, b + j * ldb, ldb, c + j, ldc, alpha, beta);    \
    }
/* W/2 steps of K from P: each group's half tile transposed, then the steps in order, the
 * groups' independent chains interleaved (4 groups' half tiles would not fit the registers, and
 * their 32 rows a power-of-2 stride apart would evict each other's lines from L1) */
#define RK_AVX2_HALF_FMAS(P)                                                                      \
    {                                                                                             \
        VT t[2][W / 2];                                                                           \
        for (int g = 0; g < G; ++g) HALF(b + g * W * ldb + (P), ldb, t[g]);                       \
        for (int q = 0; q < W / 2; ++q)                                                           \
            for (int i = 0; i < rows; ++i) {                                                      \
                const VT x = BCAST(a + i * rsa + ((P) + q) * csa);                                \
                for (int g = 0; g < G; ++g) s[g * rows + i] = FMADD(x, t[g][q], s[g * rows + i]); \
            }                                                                                     \
    }
#define RK_AVX2_UKRS(NAME, SFX)                                                                   \
    RK_AVX2_UKRS_NN(NAME##_nn, SFX)                                                               \
    RK_AVX2_UKRS_T(NAME##_t, SFX)                                                                 \
    static void NAME(int64_t kc, int64_t m, int64_t n, const RT *a, int64_t rsa, int64_t csa,     \
                     const RT *b, int64_t ldb, int trans_b, RT *c, int64_t ldc, RT alpha,         \
                     RT beta, RT *acc)                                                            \
    {                                                                                             \
        if (trans_b) NAME##_t(kc, m, n, a, rsa, csa, b, ldb, c, ldc, alpha, beta);                \
        else NAME##_nn(kc, m, n, a, rsa, csa, b, ldb, c, ldc, alpha, beta, acc);                  \
    }

/* Half of an 8 x 8 tile of floats: rows w + r ldb, 4 steps of K -> t[q] = (w[q], w[ldb + q] ..
 * w[7 ldb + q]), q < 4. Rows r and r + 4 share a register (one 128-bit load into each lane), so
 * the rest is a 4 x 4 transpose in each lane: in-lane shuffles only (cheap on 128-bit-wide
 * cores). */
static inline __attribute__((always_inline)) void rk_avx2_half_f32(const float *w, int64_t ldb,
                                                                   __m256 *t)
{
#define RK_LD2(r) _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(w + (r) * ldb)),         \
                                       _mm_loadu_ps(w + ((r) + 4) * ldb), 1)
    const __m256 x = RK_LD2(0), y = RK_LD2(1), z = RK_LD2(2), v = RK_LD2(3);
#undef RK_LD2
    const __m256 u0 = _mm256_unpacklo_ps(x, y), u1 = _mm256_unpackhi_ps(x, y);
    const __m256 u2 = _mm256_unpacklo_ps(z, v), u3 = _mm256_unpackhi_ps(z, v);
    t[0] = _mm256_shuffle_ps(u0, u2, _MM_SHUFFLE(1, 0, 1, 0));
    t[1] = _mm256_shuffle_ps(u0, u2, _MM_SHUFFLE(3, 2, 3, 2));
    t[2] = _mm256_shuffle_ps(u1, u3, _MM_SHUFFLE(1, 0, 1, 0));
    t[3] = _mm256_shuffle_ps(u1, u3, _MM_SHUFFLE(3, 2, 3, 2));
}
/* Half of a 4 x 4 tile of doubles, the same way: rows r and r + 2 share a register, q < 2 */
static inline __attribute__((always_inline)) void rk_avx2_half_f64(const double *w, int64_t ldb,
                                                                   __m256d *t)
{
    const __m256d x = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(w)),
                                           _mm_loadu_pd(w + 2 * ldb), 1);
    const __m256d y = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(w + ldb)),
                                           _mm_loadu_pd(w + 3 * ldb), 1);
    t[0] = _mm256_unpacklo_pd(x, y);
    t[1] = _mm256_unpackhi_pd(x, y);
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
#define MASKT __m256i
#define TAILMASK(r)                                                                               \
    _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(r)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define MASKLOAD _mm256_maskload_ps
#define HALF rk_avx2_half_f32
RK_AVX2_UKR(rk_gemm_ukr_f32_avx2_6x16, f32, float)
RK_AVX2_UKR1(rk_gemm_ukr1_f32_avx2_1x64, f32)
RK_AVX2_UKRS(rk_gemm_ukrs_f32_avx2, f32)
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
#undef MASKT
#undef TAILMASK
#undef MASKLOAD
#undef HALF

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
#define MASKT __m256i
#define TAILMASK(r) _mm256_cmpgt_epi64(_mm256_set1_epi64x(r), _mm256_setr_epi64x(0, 1, 2, 3))
#define MASKLOAD _mm256_maskload_pd
#define HALF rk_avx2_half_f64
RK_AVX2_UKR(rk_gemm_ukr_f64_avx2_6x8, f64, double)
RK_AVX2_UKR1(rk_gemm_ukr1_f64_avx2_1x32, f64)
RK_AVX2_UKRS(rk_gemm_ukrs_f64_avx2, f64)

/* name, MR, NR, KC (B micro-panel 16 KiB in L1), MC (A block 120-144 KiB in a 512 KiB L2),
 * widest task (B block 1 MiB in L3) */
const rk_gemm_kernel_f32 rk_gemm_kernel_f32_avx2 = {"rk_gemm_ukr_f32_avx2_6x16", MR, 16, 256, 120,
                                                    1024, rk_gemm_ukr_f32_avx2_6x16,
                                                    rk_gemm_ukr1_f32_avx2_1x64,
                                                    rk_gemm_ukrs_f32_avx2};
const rk_gemm_kernel_f64 rk_gemm_kernel_f64_avx2 = {"rk_gemm_ukr_f64_avx2_6x8", MR, 8, 256, 72,
                                                    512, rk_gemm_ukr_f64_avx2_6x8,
                                                    rk_gemm_ukr1_f64_avx2_1x32,
                                                    rk_gemm_ukrs_f64_avx2};
