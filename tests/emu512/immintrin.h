/* Test-only: the compiler's intrinsics plus SIMDe's portable AVX-512, so that the avx512 path can
 * be built for and run on a CPU without AVX-512 (see RNNKERN_EMULATE_AVX512 in CMakeLists.txt). */
#ifndef RK_EMU512_IMMINTRIN_H
#define RK_EMU512_IMMINTRIN_H
#include_next <immintrin.h>
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#undef I /* SIMDe pulls in <complex.h>, whose I would shadow rk_cell_args' fields */

/* SIMDe 0.7 lacks the masked unaligned loads and stores; these touch only the selected lanes, as
 * the real instructions do. */
#define RK_EMU_MASKED(T, E, N, LANE)                                                             \
    static inline simde__m512##T rk_emu_maskz_loadu##T(uint32_t k, const void *p)               \
    {                                                                                            \
        simde__m512##T##_private r;                                                              \
        for (int i = 0; i < N; ++i) r.LANE[i] = (k >> i) & 1 ? ((const E *)p)[i] : (E)0;         \
        return simde__m512##T##_from_private(r);                                                 \
    }                                                                                            \
    static inline void rk_emu_mask_storeu##T(void *p, uint32_t k, simde__m512##T v)             \
    {                                                                                            \
        simde__m512##T##_private r = simde__m512##T##_to_private(v);                             \
        for (int i = 0; i < N; ++i)                                                              \
            if ((k >> i) & 1) ((E *)p)[i] = r.LANE[i];                                           \
    }
RK_EMU_MASKED(, float, 16, f32)
RK_EMU_MASKED(d, double, 8, f64)
#undef _mm512_maskz_loadu_ps
#undef _mm512_maskz_loadu_pd
#undef _mm512_mask_storeu_ps
#undef _mm512_mask_storeu_pd
#define _mm512_maskz_loadu_ps(k, p) rk_emu_maskz_loadu((k), (p))
#define _mm512_maskz_loadu_pd(k, p) rk_emu_maskz_loadud((k), (p))
#define _mm512_mask_storeu_ps(p, k, v) rk_emu_mask_storeu((p), (k), (v))
#define _mm512_mask_storeu_pd(p, k, v) rk_emu_mask_storeud((p), (k), (v))
#endif
