/* Instantiates recur.inc for float32 and float64. */
#include <math.h>
#include "../gemm/gemm.h"
#include "recur.h"
#include "../real.h"

#define REAL float
#define SFX f32
#include "recur.inc"
#undef REAL
#undef SFX

#define REAL double
#define SFX f64
#include "recur.inc"
