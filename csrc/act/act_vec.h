/* Activations and their derivatives, written once against the vector vocabulary (simd/<isa>.h,
 * which the including ISA file includes first), instantiated for float32 and float64 by
 * act_vec.inc. This is the specification on every ISA: the scalar path is the same code one lane
 * wide, so all ISAs give bitwise identical results (no FMA anywhere, every operation rounded once,
 * in the same order; the build uses -ffp-contract=off). No libm.
 *
 *   rk_v_tanh_<dt>(x)      copysign(-u / (2 + u), x) with u = expm1(-2 min(|x|, A)): exact at +-0
 *                          (sign kept) and for subnormals; +-1 for |x| >= A = 9.5 (f32) / 20 (f64),
 *                          beyond which tanh rounds to +-1
 *   rk_v_sigmoid_<dt>(x)   1 / (1 + exp(y)), y = -x clamped to [-87, 89] (f32) / [-708, 710] (f64):
 *                          0.5 at +-0, 1 at +inf, 0 at -inf and where e^y overflows (x <= -88.38
 *                          f32, x <= -709.44 f64; the true value is below the smallest normal)
 *   rk_v_relu_<dt>(x)      max(0, x) + 0: x > 0 ? x : +0, NaN stays NaN
 *   rk_v_dtanh_<dt>(y)     1 - y y      the derivatives take the output y = f(x), as backward does
 *   rk_v_dsigmoid_<dt>(y)  y (1 - y)
 *   rk_v_drelu_<dt>(y)     y > 0 ? 1 : relu(y), so 0, or NaN for NaN
 *
 * NaN propagates through every one, in every lane: clamps put the constant first, as min and max
 * return their second operand when either is NaN. exp and expm1 share one core: n = round(y/ln2)
 * by the 1.5*2^p magic-number trick (whose low bits, shifted into the exponent field, are 2^n),
 * r = y - n ln2 in two steps (Cody-Waite: n * LN2_HI is exact), e^r - 1 = r + r^2 Q(r) with Q
 * near-minimax on |r| <= ln2/2 (benchmarks/act_coeffs.py: error 0.015 eps for f32 with 6 terms,
 * 0.004 eps for f64 with 11), then exp = 2^n (1 + em) and expm1 = 2^n em + (2^n - 1).
 *
 * Error against tanh / logistic in higher precision (tests/test_activations.py checks the bounds):
 *   tanh     f32 <= 2.50 ulp (every float32), f64 <= 2.50 ulp (6.6 million samples); bound 3 ulp
 *   sigmoid  relative, f32 <= 1.48e-7 (every float32 with a normal result), f64 <= 2.7e-16
 *            (sampled); bounds 2.5e-7 and 5e-16; below the smallest normal, absolute error < it */
#ifndef RK_ACT_VEC_H
#define RK_ACT_VEC_H
#include "../internal.h"

#ifndef RK_VW_f32
#error "include the ISA's simd/<isa>.h before act/act_vec.h"
#endif

/* Always inlined: a row's body passes a constant lane count, which must fold. */
#define RK_ACT_INLINE static inline __attribute__((always_inline))
#define RK_ACT_CAT_(a, b) a##_##b
#define RK_ACT_CAT(a, b) RK_ACT_CAT_(a, b)

/* float32: |n| <= 128 in exp, so n * LN2_HI (16 significant bits) is exact */
#define RK_ACT_MAGIC_f32 0x1.8000fep+23f /* 1.5 * 2^23 + 127: the exponent bias rides along */
#define RK_ACT_LOG2E_f32 0x1.715476p+0f
#define RK_ACT_LN2_HI_f32 0x1.62e4p-1f
#define RK_ACT_LN2_LO_f32 0x1.7f7d1cp-20f
#define RK_ACT_EXP_LO_f32 -87.0f    /* 2^n stays normal: n >= -126 */
#define RK_ACT_EXP_HI_f32 89.0f     /* n = 128: 2^n is +inf, so is e^y */
#define RK_ACT_TANH_HI_f32 9.5f     /* tanh(x) rounds to 1 for x > 9.01 */
#define RK_ACT_Q_f32                                                                             \
    {0x1p-1f, 0x1.555556p-3f, 0x1.5554e8p-5f, 0x1.1110e0p-7f, 0x1.6d434ep-10f, 0x1.a12516p-13f}
#define RK_ACT_NQ_f32 6

/* float64: |n| <= 1024, LN2_HI has 42 significant bits */
#define RK_ACT_MAGIC_f64 0x1.80000000003ffp+52 /* 1.5 * 2^52 + 1023 */
#define RK_ACT_LOG2E_f64 0x1.71547652b82fep+0
#define RK_ACT_LN2_HI_f64 0x1.62e42fefa38p-1
#define RK_ACT_LN2_LO_f64 0x1.ef35793c7673p-45
#define RK_ACT_EXP_LO_f64 -708.0
#define RK_ACT_EXP_HI_f64 710.0
#define RK_ACT_TANH_HI_f64 20.0     /* tanh(x) rounds to 1 for x > 19.06 */
#define RK_ACT_Q_f64                                                                             \
    {0x1p-1, 0x1.5555555555557p-3, 0x1.5555555555556p-5, 0x1.11111111100d3p-7,                   \
     0x1.6c16c16c162cfp-10, 0x1.a01a01abeccc3p-13, 0x1.a01a01a6db488p-16, 0x1.71de02225a2f3p-19, \
     0x1.27e4db5bb725ap-22, 0x1.af4e092e1705bp-26, 0x1.1f7315649f2d7p-29}
#define RK_ACT_NQ_f64 11

#define RK_ACT_SFX f32
#define RK_ACT_REAL float
#include "act_vec.inc"
#undef RK_ACT_SFX
#undef RK_ACT_REAL

#define RK_ACT_SFX f64
#define RK_ACT_REAL double
#include "act_vec.inc"
#undef RK_ACT_SFX
#undef RK_ACT_REAL

#endif
