/* Instantiates rnn.inc for float32 and float64. */
#include "recur.h"
#include "../real.h"

#define REAL float
#define SFX f32
#include "rnn.inc"
#undef REAL
#undef SFX

#define REAL double
#define SFX f64
#include "rnn.inc"
