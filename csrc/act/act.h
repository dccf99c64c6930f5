/* Scalar activations, the specification every vectorised path must match. static inline only:
 * each ISA translation unit compiles its own copy with its own flags. */
#ifndef RK_ACT_H
#define RK_ACT_H
#include <math.h>

/* 1/(1+e^-x): e^-x overflows to inf for x << 0, giving exactly 0; NaN propagates. */
static inline float rk_sigmoid_f32(float x) { return 1.0f / (1.0f + expf(-x)); }
static inline double rk_sigmoid_f64(double x) { return 1.0 / (1.0 + exp(-x)); }
static inline float rk_tanh_f32(float x) { return tanhf(x); }
static inline double rk_tanh_f64(double x) { return tanh(x); }
/* x > 0 ? x : 0 keeps NaN (the comparison is false) only if written as below */
static inline float rk_relu_f32(float x) { return x > 0.0f ? x : (x != x ? x : 0.0f); }
static inline double rk_relu_f64(double x) { return x > 0.0 ? x : (x != x ? x : 0.0); }

#endif
