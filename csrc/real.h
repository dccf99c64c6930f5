/* Type-generic naming for code written once for REAL and instantiated per dtype: the including
 * file defines REAL (float or double) and SFX (f32 or f64) first. */
#ifndef RK_REAL_H
#define RK_REAL_H
#define RK_PASTE_(a, b) a##_##b
#define RK_PASTE(a, b) RK_PASTE_(a, b)
#define RK_T(name) RK_PASTE(name, SFX) /* RK_T(rk_gemm) -> rk_gemm_f32 */
#endif
