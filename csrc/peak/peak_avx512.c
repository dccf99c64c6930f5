/* The FMA peak probe for the avx512 path: peak/peak_probe.inc compiled with this ISA's flags. */
#include "../simd/avx512.h"
#include "../kernels.h"

#define REAL float
#define SFX f32
#include "peak_probe.inc"
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "peak_probe.inc"

double rk_peak_probe_f32_avx512(int64_t iters, double *sink) { return peak_probe_f32_avx512(iters, sink); }
double rk_peak_probe_f64_avx512(int64_t iters, double *sink) { return peak_probe_f64_avx512(iters, sink); }
