/* Recurrent panel product for the AVX2 + FMA path: register tiles of MR rows x CV vectors, the
 * weights streamed once per row tile, one FMA chain per accumulator, k summed in order. Vector v of
 * a tile is at column v*VL, found in panel (v*VL)/RK_PANEL, ps elements after the previous one:
 * constants once the loops unroll. */
#include <immintrin.h>
#include "panel.h"

/* offset of column c (a multiple of the vector length) in panels ps apart */
#define RK_COL(c, ps) ((c) / RK_PANEL * (ps) + (c) % RK_PANEL)

/* One register tile: acc[MR rows][CV vectors] += a[MR rows][0..K) @ p[0..K)[CV vectors] */
#define RK_PANEL_TILE(NAME, REAL, VEC, VL, LOAD, STORE, BCAST, FMA, CV, MR)                       \
    static void NAME(int64_t K, const REAL *a, int64_t lda, const REAL *p, int64_t ldp,          \
                     int64_t ps, REAL *acc, int64_t ldacc)                                       \
    {                                                                                            \
        VEC c[MR][CV];                                                                           \
        _Pragma("GCC unroll 8") for (int r = 0; r < MR; ++r)                                     \
            _Pragma("GCC unroll 8") for (int v = 0; v < CV; ++v)                                 \
                c[r][v] = LOAD(acc + r * ldacc + v * VL);                                        \
        for (int64_t k = 0; k < K; ++k) {                                                        \
            VEC b[MR];                                                                           \
            _Pragma("GCC unroll 8") for (int r = 0; r < MR; ++r) b[r] = BCAST(a + r * lda + k);  \
            _Pragma("GCC unroll 8") for (int v = 0; v < CV; ++v)                                 \
            {                                                                                    \
                const VEC w = LOAD(p + k * ldp + RK_COL(v * VL, ps));                            \
                _Pragma("GCC unroll 8") for (int r = 0; r < MR; ++r) c[r][v] = FMA(b[r], w, c[r][v]); \
            }                                                                                    \
        }                                                                                        \
        _Pragma("GCC unroll 8") for (int r = 0; r < MR; ++r)                                     \
            _Pragma("GCC unroll 8") for (int v = 0; v < CV; ++v)                                 \
                STORE(acc + r * ldacc + v * VL, c[r][v]);                                        \
    }

#define F32_TILE(CV, MR)                                                                         \
    RK_PANEL_TILE(tile_f32_##CV##x##MR, float, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps,     \
                  _mm256_broadcast_ss, _mm256_fmadd_ps, CV, MR)
#define F64_TILE(CV, MR)                                                                         \
    RK_PANEL_TILE(tile_f64_##CV##x##MR, double, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd,   \
                  _mm256_broadcast_sd, _mm256_fmadd_pd, CV, MR)

/* MR * (CV + 1) + 1 <= 16 ymm registers */
F32_TILE(8, 1)
F32_TILE(4, 3)
F32_TILE(4, 1)
F32_TILE(6, 1)
F32_TILE(2, 4)
F32_TILE(2, 1)
F64_TILE(8, 1)
F64_TILE(4, 3)
F64_TILE(4, 1)

typedef void (*tile_f32)(int64_t, const float *, int64_t, const float *, int64_t, int64_t,
                         float *, int64_t);
typedef void (*tile_f64)(int64_t, const double *, int64_t, const double *, int64_t, int64_t,
                         double *, int64_t);

/* Rows [0, rows - rows % mr) in tiles of mr rows x cw columns; returns how many rows that is */
#define RK_PANEL_TILES(REAL, TILE_T)                                                             \
    static int64_t tiles_##REAL(TILE_T tile, int64_t mr, int64_t cw, int64_t rows, int64_t K,    \
                                const REAL *a, int64_t lda, const REAL *p, int64_t ldp,          \
                                int64_t ps, int64_t W, REAL *acc, int64_t ldacc)                 \
    {                                                                                            \
        const int64_t done = rows - rows % mr;                                                   \
        for (int64_t w0 = 0; w0 < W; w0 += cw)                                                   \
            for (int64_t r = 0; r < done; r += mr)                                               \
                tile(K, a + r * lda, lda, p + RK_COL(w0, ps), ldp, ps, acc + r * ldacc + w0,     \
                     ldacc);                                                                     \
        return done;                                                                             \
    }
RK_PANEL_TILES(float, tile_f32)
RK_PANEL_TILES(double, tile_f64)

/* Single rows [r0, rows): the widest tile over most of W (its vectors are the independent FMA
 * chains that hide the latency), then one narrower tile for the rest */
#define RK_PANEL_ROWS(REAL, TILE_T, wide, cw, tail)                                              \
    static void rows_##REAL(int64_t r0, int64_t rows, int64_t K, const REAL *a, int64_t lda,     \
                            const REAL *p, int64_t ldp, int64_t ps, int64_t W, REAL *acc,        \
                            int64_t ldacc)                                                       \
    {                                                                                            \
        const int64_t wm = W - W % (cw);                                                         \
        for (int64_t w0 = 0; w0 < wm; w0 += (cw))                                                \
            for (int64_t r = r0; r < rows; ++r)                                                  \
                wide(K, a + r * lda, lda, p + RK_COL(w0, ps), ldp, ps, acc + r * ldacc + w0,     \
                     ldacc);                                                                     \
        if (wm < W) {                                                                            \
            const TILE_T last = tail;                                                            \
            for (int64_t r = r0; r < rows; ++r)                                                  \
                last(K, a + r * lda, lda, p + RK_COL(wm, ps), ldp, ps, acc + r * ldacc + wm,     \
                     ldacc);                                                                     \
        }                                                                                        \
    }
RK_PANEL_ROWS(float, tile_f32, tile_f32_8x1, 64,
              W % 64 == 48 ? tile_f32_6x1 : W % 64 == 32 ? tile_f32_4x1 : tile_f32_2x1)
RK_PANEL_ROWS(double, tile_f64, tile_f64_8x1, 32, tile_f64_4x1)

/* Every element sums its K products in order whatever the tile, so a thread's run of panels gives
 * the same bits however the runs are cut (the vanilla RNN's forward and every backward take all
 * owned panels in one call). Rows in tiles of several, so each weight loaded from cache serves all
 * of them (panels ps apart: one per tile, read as one sequential stream); the rest one at a time,
 * each over several panels. */
void rk_panel_gemm_f32_avx2(int64_t rows, int64_t K, const float *a, int64_t lda, const float *p,
                            int64_t ldp, int64_t ps, int64_t W, float *acc, int64_t ldacc)
{
    int64_t r = 0;
    if (rows >= 3) {
        const int contiguous = ps == RK_PANEL; /* the forward: a tile may span panels */
        if (contiguous && W % 32 == 0)
            r = tiles_float(tile_f32_4x3, 3, 32, rows, K, a, lda, p, ldp, ps, W, acc, ldacc);
        else if (contiguous && W == 48) { /* GRU: 3-row tiles on 32 columns, 4-row on 16 */
            const int64_t r1 = tiles_float(tile_f32_4x3, 3, 32, rows, K, a, lda, p, ldp, ps, 32,
                                           acc, ldacc);
            rows_float(r1, rows, K, a, lda, p, ldp, ps, 32, acc, ldacc);
            const float *p2 = p + RK_COL(32, ps);
            const int64_t r2 = tiles_float(tile_f32_2x4, 4, 16, rows, K, a, lda, p2, ldp, ps, 16,
                                           acc + 32, ldacc);
            rows_float(r2, rows, K, a, lda, p2, ldp, ps, 16, acc + 32, ldacc);
            return;
        } else
            r = tiles_float(tile_f32_2x4, 4, 16, rows, K, a, lda, p, ldp, ps, W, acc, ldacc);
    }
    rows_float(r, rows, K, a, lda, p, ldp, ps, W, acc, ldacc);
}

void rk_panel_gemm_f64_avx2(int64_t rows, int64_t K, const double *a, int64_t lda, const double *p,
                            int64_t ldp, int64_t ps, int64_t W, double *acc, int64_t ldacc)
{
    int64_t r = 0;
    if (rows >= 3)
        r = tiles_double(tile_f64_4x3, 3, 16, rows, K, a, lda, p, ldp, ps, W, acc, ldacc);
    rows_double(r, rows, K, a, lda, p, ldp, ps, W, acc, ldacc);
}
