/* The interleave kernel for the avx2 path: pack.inc compiled with this ISA's flags against
 * simd/avx2.h. It serves the avx512 path too: the GEMM's A
 * panels are 6-8 rows, which 8-lane transposes fill and 16-lane ones would half waste (8-row
 * panels 10.4 G values/s against 5.3 for the 16-lane kernel and 6.4 for SSE2 before; 48-row
 * panels of a transposed B 2.8 against 2.8 and 2.3). */
#include "simd/avx2.h"
#include "internal.h"

#define REAL float
#define SFX f32
#include "pack.inc"
#undef REAL
#undef SFX
#define REAL double
#define SFX f64
#include "pack.inc"

void rk_interleave_f32_avx2(const float *src, int64_t ld, int64_t kc, int64_t n, int64_t w,
                            int64_t z, float *restrict dst)
{
    pack_interleave_f32_avx2(src, ld, kc, n, w, z, dst);
}

void rk_interleave_f64_avx2(const double *src, int64_t ld, int64_t kc, int64_t n, int64_t w,
                            int64_t z, double *restrict dst)
{
    pack_interleave_f64_avx2(src, ld, kc, n, w, z, dst);
}
