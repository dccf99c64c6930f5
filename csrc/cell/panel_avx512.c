/* Recurrent panel product for the avx512 path: the portable kernel compiled with this ISA's flags. */
#include "panel.h"
#include "real.h"

#define REAL float
#define SFX f32
#define ISA_FN(name) RK_PASTE(rk_##name##_f32, avx512)
#include "panel_kernel.inc"
#undef REAL
#undef SFX
#undef ISA_FN

#define REAL double
#define SFX f64
#define ISA_FN(name) RK_PASTE(rk_##name##_f64, avx512)
#include "panel_kernel.inc"
