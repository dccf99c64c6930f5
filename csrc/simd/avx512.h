/* The vector vocabulary for AVX-512 F+DQ (16 floats, 8 doubles); the names and their semantics
 * are those listed in simd/scalar.h. Include only from *_avx512.c, compiled with -mavx512f
 * -mavx512dq (and BW, VL). Tails use opmasks: masked-off lanes are neither read nor written. */
#ifndef RK_SIMD_AVX512_H
#define RK_SIMD_AVX512_H
#include <immintrin.h>
#include <stdint.h>

typedef __m512 rk_v_f32;
typedef __m512d rk_v_f64;
typedef __mmask16 rk_m_f32;
typedef __mmask8 rk_m_f64;
#define RK_VW_f32 16
#define RK_VW_f64 8
#define RK_VT_f32 4
#define RK_VT_f64 2
#define RK_SIMD_ISA "avx512"
#define RK_SIMD_SFX avx512
#define RK_VREGS 32
#define RK_VREG_NAME "zmm"

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

/* ---- float32 ---- */
static inline __m512 rk_v_load_f32(const float *p) { return _mm512_loadu_ps(p); }
static inline void rk_v_store_f32(float *p, __m512 v) { _mm512_storeu_ps(p, v); }
static inline __m512 rk_v_loadn_f32(const float *p, int64_t n)
{
    return _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1u), p);
}
static inline void rk_v_storen_f32(float *p, __m512 v, int64_t n)
{
    _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1u), v);
}
static inline __m512 rk_v_set1_f32(float c) { return _mm512_set1_ps(c); }
static inline __m512 rk_v_add_f32(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }
static inline __m512 rk_v_sub_f32(__m512 a, __m512 b) { return _mm512_sub_ps(a, b); }
static inline __m512 rk_v_mul_f32(__m512 a, __m512 b) { return _mm512_mul_ps(a, b); }
static inline __m512 rk_v_div_f32(__m512 a, __m512 b) { return _mm512_div_ps(a, b); }
static inline __m512 rk_v_zero_f32(void) { return _mm512_setzero_ps(); }
static inline __m512 rk_v_bcast_f32(const float *p) { return _mm512_set1_ps(*p); }
/* 16 rows x 4: rows r, r + 4, r + 8, r + 12 share a register (a 128-bit load into each lane),
 * then a 4 x 4 transpose inside each 128-bit lane */
static inline __attribute__((always_inline)) void rk_avx512_transpose_f32(const __m128 *row,
                                                                         __m512 *t)
{
    __m512 x[4];
    for (int r = 0; r < 4; ++r) {
        x[r] = _mm512_castps128_ps512(row[r]);
        x[r] = _mm512_insertf32x4(x[r], row[r + 4], 1);
        x[r] = _mm512_insertf32x4(x[r], row[r + 8], 2);
        x[r] = _mm512_insertf32x4(x[r], row[r + 12], 3);
    }
    const __m512 u0 = _mm512_unpacklo_ps(x[0], x[1]), u1 = _mm512_unpackhi_ps(x[0], x[1]);
    const __m512 u2 = _mm512_unpacklo_ps(x[2], x[3]), u3 = _mm512_unpackhi_ps(x[2], x[3]);
    t[0] = _mm512_shuffle_ps(u0, u2, _MM_SHUFFLE(1, 0, 1, 0));
    t[1] = _mm512_shuffle_ps(u0, u2, _MM_SHUFFLE(3, 2, 3, 2));
    t[2] = _mm512_shuffle_ps(u1, u3, _MM_SHUFFLE(1, 0, 1, 0));
    t[3] = _mm512_shuffle_ps(u1, u3, _MM_SHUFFLE(3, 2, 3, 2));
}
static inline void rk_v_loadt_f32(const float *p, int64_t ld, __m512 *t)
{
    __m128 row[16];
    for (int r = 0; r < 16; ++r) row[r] = _mm_loadu_ps(p + r * ld);
    rk_avx512_transpose_f32(row, t);
}
static inline void rk_v_loadtn_f32(const float *p, int64_t ld, int64_t n, __m512 *t)
{
    __m128 row[16];
    for (int r = 0; r < 16; ++r) row[r] = r < n ? _mm_loadu_ps(p + r * ld) : _mm_setzero_ps();
    rk_avx512_transpose_f32(row, t);
}
static inline __m512 rk_v_fmadd_f32(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
static inline __m512 rk_v_inreg_f32(__m512 v)
{
#ifndef RK_EMULATE_AVX512 /* SIMDe's vectors are structs, not registers */
    __asm__("" : "+v"(v));
#endif
    return v;
}
static inline __m512 rk_v_min_f32(__m512 a, __m512 b) { return _mm512_min_ps(a, b); }
static inline __m512 rk_v_max_f32(__m512 a, __m512 b) { return _mm512_max_ps(a, b); }
static inline __m512 rk_v_and_f32(__m512 a, __m512 b) { return _mm512_and_ps(a, b); }
static inline __m512 rk_v_or_f32(__m512 a, __m512 b) { return _mm512_or_ps(a, b); }
static inline __m512 rk_v_xor_f32(__m512 a, __m512 b) { return _mm512_xor_ps(a, b); }
static inline __m512 rk_v_andnot_f32(__m512 a, __m512 b) { return _mm512_andnot_ps(a, b); }
static inline __m512 rk_v_shlmant_f32(__m512 v)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(v), 23));
}
static inline __mmask16 rk_v_gt_f32(__m512 a, __m512 b)
{
    return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ);
}
static inline __m512 rk_v_select_f32(__mmask16 m, __m512 a, __m512 b)
{
    return _mm512_mask_blend_ps(m, b, a);
}

/* ---- float64 ---- */
static inline __m512d rk_v_load_f64(const double *p) { return _mm512_loadu_pd(p); }
static inline void rk_v_store_f64(double *p, __m512d v) { _mm512_storeu_pd(p, v); }
static inline __m512d rk_v_loadn_f64(const double *p, int64_t n)
{
    return _mm512_maskz_loadu_pd((__mmask8)((1u << n) - 1u), p);
}
static inline void rk_v_storen_f64(double *p, __m512d v, int64_t n)
{
    _mm512_mask_storeu_pd(p, (__mmask8)((1u << n) - 1u), v);
}
static inline __m512d rk_v_set1_f64(double c) { return _mm512_set1_pd(c); }
static inline __m512d rk_v_add_f64(__m512d a, __m512d b) { return _mm512_add_pd(a, b); }
static inline __m512d rk_v_sub_f64(__m512d a, __m512d b) { return _mm512_sub_pd(a, b); }
static inline __m512d rk_v_mul_f64(__m512d a, __m512d b) { return _mm512_mul_pd(a, b); }
static inline __m512d rk_v_div_f64(__m512d a, __m512d b) { return _mm512_div_pd(a, b); }
static inline __m512d rk_v_zero_f64(void) { return _mm512_setzero_pd(); }
static inline __m512d rk_v_bcast_f64(const double *p) { return _mm512_set1_pd(*p); }
/* 8 rows x 2, the same way: rows r, r + 2, r + 4, r + 6 share a register */
static inline __attribute__((always_inline)) void rk_avx512_transpose_f64(const __m128d *row,
                                                                         __m512d *t)
{
    __m512d x[2];
    for (int r = 0; r < 2; ++r) {
        x[r] = _mm512_castpd128_pd512(row[r]);
        x[r] = _mm512_insertf64x2(x[r], row[r + 2], 1);
        x[r] = _mm512_insertf64x2(x[r], row[r + 4], 2);
        x[r] = _mm512_insertf64x2(x[r], row[r + 6], 3);
    }
    t[0] = _mm512_unpacklo_pd(x[0], x[1]);
    t[1] = _mm512_unpackhi_pd(x[0], x[1]);
}
static inline void rk_v_loadt_f64(const double *p, int64_t ld, __m512d *t)
{
    __m128d row[8];
    for (int r = 0; r < 8; ++r) row[r] = _mm_loadu_pd(p + r * ld);
    rk_avx512_transpose_f64(row, t);
}
static inline void rk_v_loadtn_f64(const double *p, int64_t ld, int64_t n, __m512d *t)
{
    __m128d row[8];
    for (int r = 0; r < 8; ++r) row[r] = r < n ? _mm_loadu_pd(p + r * ld) : _mm_setzero_pd();
    rk_avx512_transpose_f64(row, t);
}
static inline __m512d rk_v_fmadd_f64(__m512d a, __m512d b, __m512d c) { return _mm512_fmadd_pd(a, b, c); }
static inline __m512d rk_v_inreg_f64(__m512d v)
{
#ifndef RK_EMULATE_AVX512 /* SIMDe's vectors are structs, not registers */
    __asm__("" : "+v"(v));
#endif
    return v;
}
static inline __m512d rk_v_min_f64(__m512d a, __m512d b) { return _mm512_min_pd(a, b); }
static inline __m512d rk_v_max_f64(__m512d a, __m512d b) { return _mm512_max_pd(a, b); }
static inline __m512d rk_v_and_f64(__m512d a, __m512d b) { return _mm512_and_pd(a, b); }
static inline __m512d rk_v_or_f64(__m512d a, __m512d b) { return _mm512_or_pd(a, b); }
static inline __m512d rk_v_xor_f64(__m512d a, __m512d b) { return _mm512_xor_pd(a, b); }
static inline __m512d rk_v_andnot_f64(__m512d a, __m512d b) { return _mm512_andnot_pd(a, b); }
static inline __m512d rk_v_shlmant_f64(__m512d v)
{
    return _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_castpd_si512(v), 52));
}
static inline __mmask8 rk_v_gt_f64(__m512d a, __m512d b)
{
    return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ);
}
static inline __m512d rk_v_select_f64(__mmask8 m, __m512d a, __m512d b)
{
    return _mm512_mask_blend_pd(m, b, a);
}

#endif
