/* Instantiates jvp.inc for float32 and float64. */
#include "../gemm/gemm.h"
#include "recur.h"
#include "../real.h"

#define REAL float
#define SFX f32
#include "jvp.inc"
#undef REAL
#undef SFX

#define REAL double
#define SFX f64
#include "jvp.inc"
