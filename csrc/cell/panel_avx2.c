/* Recurrent panel product for the AVX2 + FMA path: register tiles of MR rows x CV vectors, the
 * weights streamed once per row tile, one FMA chain per accumulator, k summed in order. */
#include <immintrin.h>
#include "panel.h"

/* One register tile: acc[MR rows][CV vectors] += a[MR rows][0..K) @ p[0..K)[CV vectors] */
#define RK_PANEL_TILE(NAME, REAL, VEC, VL, LOAD, STORE, BCAST, FMA, CV, MR)                       \
    static void NAME(int64_t K, const REAL *a, int64_t lda, const REAL *p, int64_t W, REAL *acc, \
                     int64_t ldacc)                                                              \
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
                const VEC w = LOAD(p + k * W + v * VL);                                          \
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
F32_TILE(6, 2)
F32_TILE(6, 1)
F32_TILE(2, 4)
F64_TILE(8, 1)
F64_TILE(4, 3)
F64_TILE(6, 2)
F64_TILE(6, 1)

/* One row, CV vectors, K split four ways so that a narrow panel still has 4*CV independent FMA
 * chains: acc += ((s0 + s1) + (s2 + s3)), s_i summing k = i mod 4 in order. */
#define RK_PANEL_ROW_SPLITK(NAME, REAL, VEC, VL, LOAD, STORE, BCAST, FMA, ADD, ZERO, CV)        \
    static void NAME(int64_t K, const REAL *a, int64_t lda, const REAL *p, int64_t W, REAL *acc, \
                     int64_t ldacc)                                                              \
    {                                                                                            \
        (void)lda;                                                                               \
        (void)ldacc;                                                                             \
        VEC s[4][CV];                                                                            \
        _Pragma("GCC unroll 4") for (int i = 0; i < 4; ++i)                                      \
            _Pragma("GCC unroll 4") for (int v = 0; v < CV; ++v) s[i][v] = ZERO();               \
        int64_t k = 0;                                                                           \
        for (; k + 4 <= K; k += 4)                                                               \
            _Pragma("GCC unroll 4") for (int i = 0; i < 4; ++i)                                  \
            {                                                                                    \
                const VEC b = BCAST(a + k + i);                                                  \
                _Pragma("GCC unroll 4") for (int v = 0; v < CV; ++v)                             \
                    s[i][v] = FMA(b, LOAD(p + (k + i) * W + v * VL), s[i][v]);                   \
            }                                                                                    \
        for (int i = 0; k < K; ++k, ++i) {                                                       \
            const VEC b = BCAST(a + k);                                                          \
            _Pragma("GCC unroll 4") for (int v = 0; v < CV; ++v)                                 \
                s[i][v] = FMA(b, LOAD(p + k * W + v * VL), s[i][v]);                             \
        }                                                                                        \
        _Pragma("GCC unroll 4") for (int v = 0; v < CV; ++v)                                     \
            STORE(acc + v * VL, ADD(LOAD(acc + v * VL), ADD(ADD(s[0][v], s[1][v]),              \
                                                             ADD(s[2][v], s[3][v]))));           \
    }
RK_PANEL_ROW_SPLITK(row_f32_2_k4, float, __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps,
                    _mm256_broadcast_ss, _mm256_fmadd_ps, _mm256_add_ps, _mm256_setzero_ps, 2)
RK_PANEL_ROW_SPLITK(row_f64_4_k4, double, __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd,
                    _mm256_broadcast_sd, _mm256_fmadd_pd, _mm256_add_pd, _mm256_setzero_pd, 4)

typedef void (*tile_f32)(int64_t, const float *, int64_t, const float *, int64_t, float *, int64_t);
typedef void (*tile_f64)(int64_t, const double *, int64_t, const double *, int64_t, double *, int64_t);

/* Rows in tiles of mr (then single rows), columns in chunks of cw elements. */
#define RK_PANEL_DRIVE(REAL, TILE_T, big, mr, one, cw)                                           \
    for (int64_t w0 = 0; w0 < W; w0 += (cw)) {                                                  \
        int64_t r = 0;                                                                           \
        for (; r + (mr) <= rows; r += (mr))                                                      \
            (big)(K, a + r * lda, lda, p + w0, W, acc + r * ldacc + w0, ldacc);                  \
        for (; r < rows; ++r) (one)(K, a + r * lda, lda, p + w0, W, acc + r * ldacc + w0, ldacc); \
    }

/* Few rows: one row at a time over wide chunks (or split K on a single panel); more rows: tiles
 * of several rows, so each weight loaded from cache serves all of them. */
void rk_panel_gemm_f32_avx2(int64_t rows, int64_t K, const float *a, int64_t lda, const float *p,
                            int64_t W, float *acc, int64_t ldacc)
{
    if (W % 64 == 0 && rows < 3) {
        RK_PANEL_DRIVE(float, tile_f32, tile_f32_8x1, 1, tile_f32_8x1, 64)
    } else if (W % 32 == 0) {
        RK_PANEL_DRIVE(float, tile_f32, tile_f32_4x3, 3, tile_f32_4x1, 32)
    } else if (W % 48 == 0) {
        RK_PANEL_DRIVE(float, tile_f32, tile_f32_6x2, 2, tile_f32_6x1, 48)
    } else {
        RK_PANEL_DRIVE(float, tile_f32, tile_f32_2x4, 4, row_f32_2_k4, 16)
    }
}

void rk_panel_gemm_f64_avx2(int64_t rows, int64_t K, const double *a, int64_t lda, const double *p,
                            int64_t W, double *acc, int64_t ldacc)
{
    if (W % 32 == 0 && rows < 3) {
        RK_PANEL_DRIVE(double, tile_f64, tile_f64_8x1, 1, tile_f64_8x1, 32)
    } else if (W % 24 == 0 && rows < 3) {
        RK_PANEL_DRIVE(double, tile_f64, tile_f64_6x2, 2, tile_f64_6x1, 24)
    } else {
        RK_PANEL_DRIVE(double, tile_f64, tile_f64_4x3, 3, row_f64_4_k4, 16)
    }
}
