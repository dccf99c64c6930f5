/* Type-generic naming for code written once for REAL and instantiated per dtype: the including
 * file defines REAL (float or double) and SFX (f32 or f64) first. */
#ifndef RK_REAL_H
#define RK_REAL_H
#define RK_PASTE_(a, b) a##_##b
#define RK_PASTE(a, b) RK_PASTE_(a, b)
#define RK_T(name) RK_PASTE(name, SFX) /* RK_T(rk_gemm) -> rk_gemm_f32 */
/* In an ISA's unit (after simd/<isa>.h): the dtype and the ISA, so that a static helper's
 * name still says which copy it is in a profile or a disassembly: panel_tile_f32_avx512 */
#define RK_TI(name) RK_PASTE(RK_T(name), RK_SIMD_SFX)
#endif
