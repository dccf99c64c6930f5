/* Instantiates seq.inc for float32 and float64. */
#include "seq.h"
#include "real.h"

#define REAL float
#define SFX f32
#include "seq.inc"
#undef REAL
#undef SFX
#undef RK_COLSUM_BLOCK

#define REAL double
#define SFX f64
#include "seq.inc"
