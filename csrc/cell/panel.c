/* Instantiates panel.inc for float32 and float64. */
#include "panel.h"
#include "../real.h"

#define REAL float
#define SFX f32
#include "panel.inc"
#undef REAL
#undef SFX

#define REAL double
#define SFX f64
#include "panel.inc"
