/* Peak probe for the scalar path: multiply-add pairs (no FMA at the baseline), 12 chains. */
#include <stdint.h>

#define CHAINS 12
#define LANES 1
#define SET1(x) (x)
#define MADD(c, a, b) ((c) * (a) + (b))
#define ADD(x, y) ((x) + (y))
#define STORE(p, v) (*(p) = (v))
#define VEC float
#define REAL float
#define ISA_FN(name) rk_##name##_f32_scalar
#include "peak_probe.inc"
#undef VEC
#undef REAL
#undef ISA_FN

#define VEC double
#define REAL double
#define ISA_FN(name) rk_##name##_f64_scalar
#include "peak_probe.inc"
