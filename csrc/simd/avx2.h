/* The vector vocabulary for AVX2 (8 floats, 4 doubles); the names and their semantics are those
 * listed in simd/scalar.h. Include only from *_avx2.c, which are compiled with -mavx2 -mfma. */
#ifndef RK_SIMD_AVX2_H
#define RK_SIMD_AVX2_H
#include <immintrin.h>
#include <stdint.h>

typedef __m256 rk_v_f32;
typedef __m256d rk_v_f64;
typedef __m256 rk_m_f32; /* all-ones / all-zeros lanes */
typedef __m256d rk_m_f64;
#define RK_VW_f32 8
#define RK_VW_f64 4
#define RK_VT_f32 4
#define RK_VT_f64 2
#define RK_SIMD_ISA "avx2"
#define RK_SIMD_SFX avx2
#define RK_VREGS 16
#define RK_VREG_NAME "ymm"

/* always inline: a call left uninlined is found `const` (a prefetch has no effect the compiler
 * models) and deleted */
static inline __attribute__((always_inline)) void rk_prefetch(const void *p)
{
    __builtin_prefetch(p, 0, 3);
}
static inline __attribute__((always_inline)) void rk_prefetch_l2(const void *p)
{
    __builtin_prefetch(p, 0, 2);
}

/* lanes [0, n) set: the mask of vmaskmov, which neither reads nor faults on the others */
static inline __m256i rk_avx2_first_f32(int64_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline __m256i rk_avx2_first_f64(int64_t n)
{
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
}

/* ---- float32 ---- */
static inline __m256 rk_v_load_f32(const float *p) { return _mm256_loadu_ps(p); }
static inline void rk_v_store_f32(float *p, __m256 v) { _mm256_storeu_ps(p, v); }
static inline __m256 rk_v_loadn_f32(const float *p, int64_t n)
{
    return _mm256_maskload_ps(p, rk_avx2_first_f32(n));
}
static inline void rk_v_storen_f32(float *p, __m256 v, int64_t n)
{
    _mm256_maskstore_ps(p, rk_avx2_first_f32(n), v);
}
static inline __m256 rk_v_set1_f32(float c) { return _mm256_set1_ps(c); }
static inline __m256 rk_v_add_f32(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
static inline __m256 rk_v_sub_f32(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }
static inline __m256 rk_v_mul_f32(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
static inline __m256 rk_v_div_f32(__m256 a, __m256 b) { return _mm256_div_ps(a, b); }
static inline __m256 rk_v_zero_f32(void) { return _mm256_setzero_ps(); }
static inline __m256 rk_v_bcast_f32(const float *p) { return _mm256_broadcast_ss(p); }
/* 8 rows x 4: rows r and r + 4 share a register (a 128-bit load into each lane), then a 4 x 4
 * transpose inside each lane: in-lane shuffles only, cheap on 128-bit-wide cores */
static inline __attribute__((always_inline)) void rk_avx2_transpose_f32(const __m128 *row,
                                                                       __m256 *t)
{
    __m256 x[4];
    for (int r = 0; r < 4; ++r)
        x[r] = _mm256_insertf128_ps(_mm256_castps128_ps256(row[r]), row[r + 4], 1);
    const __m256 u0 = _mm256_unpacklo_ps(x[0], x[1]), u1 = _mm256_unpackhi_ps(x[0], x[1]);
    const __m256 u2 = _mm256_unpacklo_ps(x[2], x[3]), u3 = _mm256_unpackhi_ps(x[2], x[3]);
    t[0] = _mm256_shuffle_ps(u0, u2, _MM_SHUFFLE(1, 0, 1, 0));
    t[1] = _mm256_shuffle_ps(u0, u2, _MM_SHUFFLE(3, 2, 3, 2));
    t[2] = _mm256_shuffle_ps(u1, u3, _MM_SHUFFLE(1, 0, 1, 0));
    t[3] = _mm256_shuffle_ps(u1, u3, _MM_SHUFFLE(3, 2, 3, 2));
}
static inline void rk_v_loadt_f32(const float *p, int64_t ld, __m256 *t)
{
    __m128 row[8];
    for (int r = 0; r < 8; ++r) row[r] = _mm_loadu_ps(p + r * ld);
    rk_avx2_transpose_f32(row, t);
}
static inline void rk_v_loadtn_f32(const float *p, int64_t ld, int64_t n, __m256 *t)
{
    __m128 row[8];
    for (int r = 0; r < 8; ++r) row[r] = r < n ? _mm_loadu_ps(p + r * ld) : _mm_setzero_ps();
    rk_avx2_transpose_f32(row, t);
}
static inline __m256 rk_v_fmadd_f32(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
static inline __m256 rk_v_inreg_f32(__m256 v)
{
    __asm__("" : "+v"(v));
    return v;
}
static inline __m256 rk_v_min_f32(__m256 a, __m256 b) { return _mm256_min_ps(a, b); }
static inline __m256 rk_v_max_f32(__m256 a, __m256 b) { return _mm256_max_ps(a, b); }
static inline __m256 rk_v_and_f32(__m256 a, __m256 b) { return _mm256_and_ps(a, b); }
static inline __m256 rk_v_or_f32(__m256 a, __m256 b) { return _mm256_or_ps(a, b); }
static inline __m256 rk_v_xor_f32(__m256 a, __m256 b) { return _mm256_xor_ps(a, b); }
static inline __m256 rk_v_andnot_f32(__m256 a, __m256 b) { return _mm256_andnot_ps(a, b); }
static inline __m256 rk_v_shlmant_f32(__m256 v)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(v), 23));
}
static inline __m256 rk_v_gt_f32(__m256 a, __m256 b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline __m256 rk_v_select_f32(__m256 m, __m256 a, __m256 b)
{
    return _mm256_blendv_ps(b, a, m);
}

/* ---- float64 ---- */
static inline __m256d rk_v_load_f64(const double *p) { return _mm256_loadu_pd(p); }
static inline void rk_v_store_f64(double *p, __m256d v) { _mm256_storeu_pd(p, v); }
static inline __m256d rk_v_loadn_f64(const double *p, int64_t n)
{
    return _mm256_maskload_pd(p, rk_avx2_first_f64(n));
}
static inline void rk_v_storen_f64(double *p, __m256d v, int64_t n)
{
    _mm256_maskstore_pd(p, rk_avx2_first_f64(n), v);
}
static inline __m256d rk_v_set1_f64(double c) { return _mm256_set1_pd(c); }
static inline __m256d rk_v_add_f64(__m256d a, __m256d b) { return _mm256_add_pd(a, b); }
static inline __m256d rk_v_sub_f64(__m256d a, __m256d b) { return _mm256_sub_pd(a, b); }
static inline __m256d rk_v_mul_f64(__m256d a, __m256d b) { return _mm256_mul_pd(a, b); }
static inline __m256d rk_v_div_f64(__m256d a, __m256d b) { return _mm256_div_pd(a, b); }
static inline __m256d rk_v_zero_f64(void) { return _mm256_setzero_pd(); }
static inline __m256d rk_v_bcast_f64(const double *p) { return _mm256_broadcast_sd(p); }
/* 4 rows x 2, the same way: rows r and r + 2 share a register */
static inline __attribute__((always_inline)) void rk_avx2_transpose_f64(const __m128d *row,
                                                                       __m256d *t)
{
    const __m256d x = _mm256_insertf128_pd(_mm256_castpd128_pd256(row[0]), row[2], 1);
    const __m256d y = _mm256_insertf128_pd(_mm256_castpd128_pd256(row[1]), row[3], 1);
    t[0] = _mm256_unpacklo_pd(x, y);
    t[1] = _mm256_unpackhi_pd(x, y);
}
static inline void rk_v_loadt_f64(const double *p, int64_t ld, __m256d *t)
{
    __m128d row[4];
    for (int r = 0; r < 4; ++r) row[r] = _mm_loadu_pd(p + r * ld);
    rk_avx2_transpose_f64(row, t);
}
static inline void rk_v_loadtn_f64(const double *p, int64_t ld, int64_t n, __m256d *t)
{
    __m128d row[4];
    for (int r = 0; r < 4; ++r) row[r] = r < n ? _mm_loadu_pd(p + r * ld) : _mm_setzero_pd();
    rk_avx2_transpose_f64(row, t);
}
static inline __m256d rk_v_fmadd_f64(__m256d a, __m256d b, __m256d c) { return _mm256_fmadd_pd(a, b, c); }
static inline __m256d rk_v_inreg_f64(__m256d v)
{
    __asm__("" : "+v"(v));
    return v;
}
static inline __m256d rk_v_min_f64(__m256d a, __m256d b) { return _mm256_min_pd(a, b); }
static inline __m256d rk_v_max_f64(__m256d a, __m256d b) { return _mm256_max_pd(a, b); }
static inline __m256d rk_v_and_f64(__m256d a, __m256d b) { return _mm256_and_pd(a, b); }
static inline __m256d rk_v_or_f64(__m256d a, __m256d b) { return _mm256_or_pd(a, b); }
static inline __m256d rk_v_xor_f64(__m256d a, __m256d b) { return _mm256_xor_pd(a, b); }
static inline __m256d rk_v_andnot_f64(__m256d a, __m256d b) { return _mm256_andnot_pd(a, b); }
static inline __m256d rk_v_shlmant_f64(__m256d v)
{
    return _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_castpd_si256(v), 52));
}
static inline __m256d rk_v_gt_f64(__m256d a, __m256d b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
static inline __m256d rk_v_select_f64(__m256d m, __m256d a, __m256d b)
{
    return _mm256_blendv_pd(b, a, m);
}

#endif
