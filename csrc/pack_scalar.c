/* The interleave kernel for the scalar path: pack.inc compiled with this ISA's flags against
 * simd/scalar.h. */
#include "simd/scalar.h"
#include "internal.h"

#define REAL float
#define SFX f32
#include "pack.inc"
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "pack.inc"

void rk_interleave_f32_scalar(const float *src, int64_t ld, int64_t kc, int64_t n, int64_t w,
                              int64_t z, float *restrict dst)
{
    pack_interleave_f32_scalar(src, ld, kc, n, w, z, dst);
}

void rk_interleave_f64_scalar(const double *src, int64_t ld, int64_t kc, int64_t n, int64_t w,
                              int64_t z, double *restrict dst)
{
    pack_interleave_f64_scalar(src, ld, kc, n, w, z, dst);
}
