/* Cell epilogues for the avx512 path (compiled with this ISA's flags only). */
#include "../internal.h"
#include "../act/simd_avx512.h"
#include "../act/act_vec.h"
#include "real.h"

#define REAL float
#define SFX f32
#define ISA_FN(name) RK_PASTE(rk_##name##_f32, avx512)
#include "epilogue.inc"
#undef REAL
#undef SFX
#undef ISA_FN

#define REAL double
#define SFX f64
#define ISA_FN(name) RK_PASTE(rk_##name##_f64, avx512)
#include "epilogue.inc"
