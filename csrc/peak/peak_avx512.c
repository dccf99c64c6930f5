/* FMA peak probe for the AVX-512 path: 24 zmm chains (FMA latency 4 cycles x 2 pipes, with room). */
#include <immintrin.h>
#include <stdint.h>

#define CHAINS 24
#define VEC __m512
#define REAL float
#define LANES 16
#define SET1 _mm512_set1_ps
#define MADD _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define STORE _mm512_storeu_ps
#define ISA_FN(name) rk_##name##_f32_avx512
#include "peak_probe.inc"
#undef VEC
#undef REAL
#undef LANES
#undef SET1
#undef MADD
#undef ADD
#undef STORE
#undef ISA_FN

#define VEC __m512d
#define REAL double
#define LANES 8
#define SET1 _mm512_set1_pd
#define MADD _mm512_fmadd_pd
#define ADD _mm512_add_pd
#define STORE _mm512_storeu_pd
#define ISA_FN(name) rk_##name##_f64_avx512
#include "peak_probe.inc"
