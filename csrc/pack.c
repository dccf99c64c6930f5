/* Packing kernels shared by the GEMM driver and the recurrence's panel packing: moving blocks of
 * values between layouts, baseline C (x86-64 always has SSE2: 4 floats or 2 doubles per register).
 */
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "internal.h"

/* Both move a few elements per step: GCC must not turn those loops into a memmove call per step
 * (the call costs more than the copy). */
#if defined(__GNUC__) && !defined(__clang__)
#define RK_NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define RK_NO_LIBCALLS
#endif

/* What the vector loops leave, one element at a time, the same for both dtypes: rows [i, n) of an
 * interleave, elements [i, n) of a copied row, then the zero lanes [n, z) */
#define RK_PACK_RESTS(SFX, REAL)                                                                 \
    static inline void rk_zero_tail_##SFX(REAL *d, int64_t n, int64_t z)                         \
    {                                                                                            \
        for (int64_t i = n; i < z; ++i) d[i] = 0;                                                \
    }                                                                                            \
    RK_NO_LIBCALLS static void rk_interleave_rest_##SFX(const REAL *src, int64_t ld, int64_t kc,  \
                                                        int64_t i, int64_t n, int64_t w,         \
                                                        int64_t z, REAL *restrict dst)           \
    {                                                                                            \
        for (; i < n; ++i)                                                                       \
            for (int64_t p = 0; p < kc; ++p) dst[p * w + i] = src[i * ld + p];                  \
        if (n < z)                                                                               \
            for (int64_t p = 0; p < kc; ++p) rk_zero_tail_##SFX(dst + p * w, n, z);              \
    }                                                                                            \
    RK_NO_LIBCALLS static inline void rk_copy_rest_##SFX(const REAL *src, int64_t i, int64_t n,  \
                                                         int64_t z, REAL *restrict dst)          \
    {                                                                                            \
        for (; i < n; ++i) dst[i] = src[i];                                                      \
        rk_zero_tail_##SFX(dst, n, z);                                                           \
    }
RK_PACK_RESTS(f32, float)
RK_PACK_RESTS(f64, double)

RK_NO_LIBCALLS void rk_interleave_f32(const float *src, int64_t ld, int64_t kc, int64_t n, int64_t w,
                                      int64_t z, float *restrict dst)
{
    int64_t i = 0;
#ifdef __SSE2__
    for (; i + 4 <= n; i += 4) { /* 4 rows x 4 steps: one 4x4 transpose */
        const float *s0 = src + i * ld, *s1 = s0 + ld, *s2 = s1 + ld, *s3 = s2 + ld;
        int64_t p = 0;
        for (; p + 4 <= kc; p += 4) {
            __m128 r0 = _mm_loadu_ps(s0 + p), r1 = _mm_loadu_ps(s1 + p);
            __m128 r2 = _mm_loadu_ps(s2 + p), r3 = _mm_loadu_ps(s3 + p);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            _mm_storeu_ps(dst + p * w + i, r0);
            _mm_storeu_ps(dst + (p + 1) * w + i, r1);
            _mm_storeu_ps(dst + (p + 2) * w + i, r2);
            _mm_storeu_ps(dst + (p + 3) * w + i, r3);
        }
        for (; p < kc; ++p) {
            float *d = dst + p * w + i;
            d[0] = s0[p], d[1] = s1[p], d[2] = s2[p], d[3] = s3[p];
        }
    }
    for (; i + 2 <= n; i += 2) { /* 2 rows x 4 steps: two unpacks */
        const float *s0 = src + i * ld, *s1 = s0 + ld;
        int64_t p = 0;
        for (; p + 4 <= kc; p += 4) {
            const __m128 r0 = _mm_loadu_ps(s0 + p), r1 = _mm_loadu_ps(s1 + p);
            const __m128 lo = _mm_unpacklo_ps(r0, r1), hi = _mm_unpackhi_ps(r0, r1);
            _mm_storel_pi((__m64 *)(dst + p * w + i), lo);
            _mm_storeh_pi((__m64 *)(dst + (p + 1) * w + i), lo);
            _mm_storel_pi((__m64 *)(dst + (p + 2) * w + i), hi);
            _mm_storeh_pi((__m64 *)(dst + (p + 3) * w + i), hi);
        }
        for (; p < kc; ++p) dst[p * w + i] = s0[p], dst[p * w + i + 1] = s1[p];
    }
#endif
    rk_interleave_rest_f32(src, ld, kc, i, n, w, z, dst);
}

RK_NO_LIBCALLS void rk_interleave_f64(const double *src, int64_t ld, int64_t kc, int64_t n, int64_t w,
                                      int64_t z, double *restrict dst)
{
    int64_t i = 0;
#ifdef __SSE2__
    for (; i + 2 <= n; i += 2) { /* 2 rows x 2 steps: one 2x2 transpose */
        const double *s0 = src + i * ld, *s1 = s0 + ld;
        int64_t p = 0;
        for (; p + 2 <= kc; p += 2) {
            const __m128d r0 = _mm_loadu_pd(s0 + p), r1 = _mm_loadu_pd(s1 + p);
            _mm_storeu_pd(dst + p * w + i, _mm_unpacklo_pd(r0, r1));
            _mm_storeu_pd(dst + (p + 1) * w + i, _mm_unpackhi_pd(r0, r1));
        }
        for (; p < kc; ++p) dst[p * w + i] = s0[p], dst[p * w + i + 1] = s1[p];
    }
#endif
    rk_interleave_rest_f64(src, ld, kc, i, n, w, z, dst);
}

RK_NO_LIBCALLS void rk_copy_rows_f32(const float *src, int64_t ld, int64_t kc, int64_t n, int64_t w,
                                     int64_t z, float *restrict dst)
{
    for (int64_t p = 0; p < kc; ++p, src += ld, dst += w) {
        int64_t i = 0;
#ifdef __SSE2__
        for (; i + 4 <= n; i += 4) _mm_storeu_ps(dst + i, _mm_loadu_ps(src + i));
        if (i + 2 <= n) {
            const __m128 two = _mm_loadl_pi(_mm_setzero_ps(), (const __m64 *)(src + i));
            _mm_storel_pi((__m64 *)(dst + i), two);
            i += 2;
        }
#endif
        rk_copy_rest_f32(src, i, n, z, dst);
    }
}

RK_NO_LIBCALLS void rk_copy_rows_f64(const double *src, int64_t ld, int64_t kc, int64_t n, int64_t w,
                                     int64_t z, double *restrict dst)
{
    for (int64_t p = 0; p < kc; ++p, src += ld, dst += w) {
        int64_t i = 0;
#ifdef __SSE2__
        for (; i + 2 <= n; i += 2) _mm_storeu_pd(dst + i, _mm_loadu_pd(src + i));
#endif
        rk_copy_rest_f64(src, i, n, z, dst);
    }
}
