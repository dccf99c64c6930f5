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
#define RK_SIMD_ISA "avx512"
#define RK_SIMD_SFX avx512
#define RK_VREGS 32
#define RK_VREG_NAME "zmm"

static inline void rk_prefetch(const void *p) { __builtin_prefetch(p, 0, 2); }

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
static inline __m512 rk_v_fmadd_f32(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
static inline __m512 rk_v_inreg_f32(__m512 v)
{
    __asm__("" : "+v"(v));
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
static inline __m512d rk_v_fmadd_f64(__m512d a, __m512d b, __m512d c) { return _mm512_fmadd_pd(a, b, c); }
static inline __m512d rk_v_inreg_f64(__m512d v)
{
    __asm__("" : "+v"(v));
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
