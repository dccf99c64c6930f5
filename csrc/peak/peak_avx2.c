/* FMA peak probe for the AVX2 path: 12 ymm chains (FMA latency 4-5 cycles x 2 pipes). */
#include <immintrin.h>
#include <stdint.h>

#define CHAINS 12
#define VEC __m256
#define REAL float
#define LANES 8
#define SET1 _mm256_set1_ps
#define MADD _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define STORE _mm256_storeu_ps
#define ISA_FN(name) rk_##name##_f32_avx2
#include "peak_probe.inc"
#undef VEC
#undef REAL
#undef LANES
#undef SET1
#undef MADD
#undef ADD
#undef STORE
#undef ISA_FN

#define VEC __m256d
#define REAL double
#define LANES 4
#define SET1 _mm256_set1_pd
#define MADD _mm256_fmadd_pd
#define ADD _mm256_add_pd
#define STORE _mm256_storeu_pd
#define ISA_FN(name) rk_##name##_f64_avx2
#include "peak_probe.inc"
