/* GEMM tile kernels for the avx2 path (compiled with this ISA's flags only). */
#include "../internal.h"

#define REAL float
#define RK_CALL rk_gemm_call_f32
#define RK_FN(name) rk_##name##_f32_avx2
#include "gemm_tile.inc"
#undef REAL
#undef RK_CALL
#undef RK_FN

#define REAL double
#define RK_CALL rk_gemm_call_f64
#define RK_FN(name) rk_##name##_f64_avx2
#include "gemm_tile.inc"
