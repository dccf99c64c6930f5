/* The vector vocabulary, one lane wide: what every kernel (the GEMM micro-kernels, the recurrent
 * panel product, the activations, the cell epilogues, the peak probe) is written against, once.
 * Every simd/<isa>.h defines the same names with the same semantics, per dtype:
 *
 *   RK_SIMD_ISA, RK_SIMD_SFX   the ISA's name as a string and as a token, for kernel names
 *   RK_VREGS                   vector registers the kernels may tile over (16 ymm, 32 zmm)
 *   RK_VREG_NAME               what one is called ("lane", "ymm", "zmm"), for descriptions
 *   rk_v_f32 / rk_v_f64        a vector of RK_VW_f32 / RK_VW_f64 lanes
 *   rk_m_f32 / rk_m_f64        a lane mask, made by gt and consumed by select
 *   load(p) store(p, v)        unaligned, full width
 *   loadn(p, n) storen(p, v, n) the first n lanes, 0 <= n <= width; the others read as 0 and are
 *                              never touched in memory (n = 0 reads and writes nothing)
 *   RK_VT_f32 / RK_VT_f64      columns of a block that loadt transposes (4 floats, 2 doubles)
 *   loadt(p, ld, t)            the transpose of a width x RK_VT block of rows ld apart: lane r of
 *                              t[q] is p[r * ld + q], q < RK_VT (strided rows into vectors)
 *   loadtn(p, ld, n, t)        loadt of the first n rows, 0 <= n <= width; lanes r >= n are 0 and
 *                              their rows never read
 *   set1 add sub mul div       IEEE, one rounding each; nothing is ever fused
 *   zero() bcast(p)            all lanes 0; all lanes *p
 *   fmadd(a, b, c)             a b + c, fused (one rounding) where the ISA has FMA; the scalar
 *                              path multiplies, then adds. Products use it, element-wise code never
 *   inreg(v)                   v, held in a register: a value loaded once and used by several
 *                              FMAs is not folded into each of them as a memory operand (which
 *                              costs a load per use)
 *   rk_prefetch(p)             a hint to bring p's cache line into L1
 *   rk_prefetch_l2(p)          the same into L2: for a stream to come, not the one in use
 *   min(a, b) max(a, b)        x86 semantics, a < b ? a : b and a > b ? a : b: the second operand
 *                              comes back when either is NaN, so min(C, x) and max(C, x) keep NaN x
 *   and or xor andnot(a, b)    on the bit patterns; andnot(a, b) = ~a & b
 *   shlmant(v)                 each lane's bit pattern shifted left by the mantissa width (23 / 52)
 *   gt(a, b) select(m, a, b)   ordered a > b (false for NaN); m ? a : b
 *
 * Names are rk_v_<op>_<dtype>. Only static inline functions and macros: every ISA translation unit
 * compiles its own copy with its own flags. */
#ifndef RK_SIMD_SCALAR_H
#define RK_SIMD_SCALAR_H
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* x86-64 baseline: min/max without the branch GCC makes of a ?: */
#endif

typedef float rk_v_f32;
typedef double rk_v_f64;
typedef int rk_m_f32;
typedef int rk_m_f64;
#define RK_VW_f32 1
#define RK_VW_f64 1
#define RK_VT_f32 4
#define RK_VT_f64 2
#define RK_SIMD_ISA "scalar"
#define RK_SIMD_SFX scalar
#define RK_VREGS 16
#define RK_VREG_NAME "lane"

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

static inline uint32_t rk_bits_f32(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static inline uint64_t rk_bits_f64(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
static inline float rk_from_bits_f32(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }
static inline double rk_from_bits_f64(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }

/* ---- float32 ---- */
static inline float rk_v_load_f32(const float *p) { return *p; }
static inline void rk_v_store_f32(float *p, float v) { *p = v; }
/* one lane: n is never in (0, 1); defined so that code written once compiles */
static inline float rk_v_loadn_f32(const float *p, int64_t n) { return n > 0 ? *p : 0.0f; }
static inline void rk_v_storen_f32(float *p, float v, int64_t n) { if (n > 0) *p = v; }
static inline float rk_v_set1_f32(float c) { return c; }
static inline float rk_v_add_f32(float a, float b) { return a + b; }
static inline float rk_v_sub_f32(float a, float b) { return a - b; }
static inline float rk_v_mul_f32(float a, float b) { return a * b; }
static inline float rk_v_div_f32(float a, float b) { return a / b; }
static inline float rk_v_zero_f32(void) { return 0.0f; }
static inline float rk_v_bcast_f32(const float *p) { return *p; }
static inline void rk_v_loadt_f32(const float *p, int64_t ld, float *t)
{
    (void)ld;
    t[0] = p[0], t[1] = p[1], t[2] = p[2], t[3] = p[3];
}
static inline void rk_v_loadtn_f32(const float *p, int64_t ld, int64_t n, float *t)
{
    (void)ld;
    for (int q = 0; q < 4; ++q) t[q] = n > 0 ? p[q] : 0.0f;
}
static inline float rk_v_fmadd_f32(float a, float b, float c) { return a * b + c; }
static inline float rk_v_inreg_f32(float v) { return v; }
static inline float rk_v_min_f32(float a, float b)
{
#if defined(__SSE2__)
    return _mm_cvtss_f32(_mm_min_ss(_mm_set_ss(a), _mm_set_ss(b)));
#else
    return a < b ? a : b;
#endif
}
static inline float rk_v_max_f32(float a, float b)
{
#if defined(__SSE2__)
    return _mm_cvtss_f32(_mm_max_ss(_mm_set_ss(a), _mm_set_ss(b)));
#else
    return a > b ? a : b;
#endif
}
static inline float rk_v_and_f32(float a, float b)
{
    return rk_from_bits_f32(rk_bits_f32(a) & rk_bits_f32(b));
}
static inline float rk_v_or_f32(float a, float b)
{
    return rk_from_bits_f32(rk_bits_f32(a) | rk_bits_f32(b));
}
static inline float rk_v_xor_f32(float a, float b)
{
    return rk_from_bits_f32(rk_bits_f32(a) ^ rk_bits_f32(b));
}
static inline float rk_v_andnot_f32(float a, float b)
{
    return rk_from_bits_f32(~rk_bits_f32(a) & rk_bits_f32(b));
}
static inline float rk_v_shlmant_f32(float v) { return rk_from_bits_f32(rk_bits_f32(v) << 23); }
static inline int rk_v_gt_f32(float a, float b) { return a > b; }
static inline float rk_v_select_f32(int m, float a, float b) /* without a branch */
{
    const uint32_t k = (uint32_t)0 - (uint32_t)(m != 0);
    return rk_from_bits_f32((rk_bits_f32(a) & k) | (rk_bits_f32(b) & ~k));
}

/* ---- float64 ---- */
static inline double rk_v_load_f64(const double *p) { return *p; }
static inline void rk_v_store_f64(double *p, double v) { *p = v; }
static inline double rk_v_loadn_f64(const double *p, int64_t n) { return n > 0 ? *p : 0.0; }
static inline void rk_v_storen_f64(double *p, double v, int64_t n) { if (n > 0) *p = v; }
static inline double rk_v_set1_f64(double c) { return c; }
static inline double rk_v_add_f64(double a, double b) { return a + b; }
static inline double rk_v_sub_f64(double a, double b) { return a - b; }
static inline double rk_v_mul_f64(double a, double b) { return a * b; }
static inline double rk_v_div_f64(double a, double b) { return a / b; }
static inline double rk_v_zero_f64(void) { return 0.0; }
static inline double rk_v_bcast_f64(const double *p) { return *p; }
static inline void rk_v_loadt_f64(const double *p, int64_t ld, double *t)
{
    (void)ld;
    t[0] = p[0], t[1] = p[1];
}
static inline void rk_v_loadtn_f64(const double *p, int64_t ld, int64_t n, double *t)
{
    (void)ld;
    for (int q = 0; q < 2; ++q) t[q] = n > 0 ? p[q] : 0.0;
}
static inline double rk_v_fmadd_f64(double a, double b, double c) { return a * b + c; }
static inline double rk_v_inreg_f64(double v) { return v; }
static inline double rk_v_min_f64(double a, double b)
{
#if defined(__SSE2__)
    return _mm_cvtsd_f64(_mm_min_sd(_mm_set_sd(a), _mm_set_sd(b)));
#else
    return a < b ? a : b;
#endif
}
static inline double rk_v_max_f64(double a, double b)
{
#if defined(__SSE2__)
    return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(a), _mm_set_sd(b)));
#else
    return a > b ? a : b;
#endif
}
static inline double rk_v_and_f64(double a, double b)
{
    return rk_from_bits_f64(rk_bits_f64(a) & rk_bits_f64(b));
}
static inline double rk_v_or_f64(double a, double b)
{
    return rk_from_bits_f64(rk_bits_f64(a) | rk_bits_f64(b));
}
static inline double rk_v_xor_f64(double a, double b)
{
    return rk_from_bits_f64(rk_bits_f64(a) ^ rk_bits_f64(b));
}
static inline double rk_v_andnot_f64(double a, double b)
{
    return rk_from_bits_f64(~rk_bits_f64(a) & rk_bits_f64(b));
}
static inline double rk_v_shlmant_f64(double v) { return rk_from_bits_f64(rk_bits_f64(v) << 52); }
static inline int rk_v_gt_f64(double a, double b) { return a > b; }
static inline double rk_v_select_f64(int m, double a, double b) /* without a branch */
{
    const uint64_t k = (uint64_t)0 - (uint64_t)(m != 0);
    return rk_from_bits_f64((rk_bits_f64(a) & k) | (rk_bits_f64(b) & ~k));
}

#endif
