/* Internal GEMM entry points beyond the public rk_gemm_f32/f64: a thread count chosen by the
 * caller, and a weight matrix packed once and reused across many products (the recurrence
 * multiplies the same W_hh^T at every step).
 *
 * Packed op(B) (K,N) is an opaque buffer laid out for the ISA active when it was packed; products
 * with it always use that ISA's micro-kernel, so a later rk_isa_select never misreads it. Products
 * with a packed B give bitwise the same C as rk_gemm_* on the same ISA, for any thread count.
 *
 *   int64_t bytes = rk_gemm_pack_b_size_f32(K, N);              // -1: negative or overflowing size
 *   void *wp = malloc(bytes);
 *   rk_gemm_pack_b_f32(1, K, N, w_hh, H, wp, bytes);             // op(B) = W_hh^T, W_hh stored (N,K)
 *   for t: rk_gemm_packed_b_f32(0, B, N, K, 1, h, H, wp, 1, g_t, N);
 *
 * rk_gemm_packed_b_cols_* computes only columns [j0, j1) of C on the calling thread (no OpenMP
 * region), for callers that own a slice of outputs inside their own parallel region; j0 must be
 * a multiple of rk_gemm_packed_b_panel(packed) (the panel width), j1 any value up to N. */
#ifndef RK_GEMM_H
#define RK_GEMM_H
#include "../internal.h"

/* rk_gemm_* on at most nthreads threads (fewer for small products, see gemm_driver.inc); with 1
 * it never enters an OpenMP region, so it is safe inside a caller's parallel region. The result
 * does not depend on nthreads. */
#define RK_DECLARE_GEMM_THREADS(SFX, REAL)                                                       \
    int rk_gemm_threads_##SFX(int nthreads, int trans_a, int trans_b, int64_t m, int64_t n,     \
                              int64_t k, REAL alpha, const REAL *a, int64_t lda, const REAL *b, \
                              int64_t ldb, REAL beta, REAL *c, int64_t ldc);
RK_DECLARE_GEMM_THREADS(f32, float)
RK_DECLARE_GEMM_THREADS(f64, double)

#define RK_DECLARE_GEMM_PACKED(SFX, REAL)                                                        \
    int64_t rk_gemm_pack_b_size_##SFX(int64_t k, int64_t n);                                    \
    int rk_gemm_pack_b_##SFX(int trans_b, int64_t k, int64_t n, const REAL *b, int64_t ldb,     \
                             void *packed, int64_t packed_bytes);                               \
    /* the same on at most nthreads threads (1: no OpenMP region) */                            \
    int rk_gemm_pack_b_threads_##SFX(int nthreads, int trans_b, int64_t k, int64_t n,           \
                                     const REAL *b, int64_t ldb, void *packed,                  \
                                     int64_t packed_bytes);                                     \
    /* in parts, for callers that pack inside their own parallel region: _init writes the      \
     * header (rk_gemm_pack_b's status), then _cols packs columns [j0, j1) of op(B) on the      \
     * calling thread (j0 a multiple of the panel width; j1 = N also pads the last panel) */    \
    int rk_gemm_pack_b_init_##SFX(int64_t k, int64_t n, void *packed, int64_t packed_bytes);    \
    void rk_gemm_pack_b_cols_##SFX(int trans_b, const REAL *b, int64_t ldb, void *packed,       \
                                   int64_t j0, int64_t j1);                                     \
    int rk_gemm_packed_b_##SFX(int trans_a, int64_t m, int64_t n, int64_t k, REAL alpha,        \
                               const REAL *a, int64_t lda, const void *packed, REAL beta,       \
                               REAL *c, int64_t ldc);                                           \
    int rk_gemm_packed_b_cols_##SFX(int trans_a, int64_t m, int64_t n, int64_t k, REAL alpha,   \
                                    const REAL *a, int64_t lda, const void *packed, REAL beta,  \
                                    REAL *c, int64_t ldc, int64_t j0, int64_t j1);

RK_DECLARE_GEMM_PACKED(f32, float)
RK_DECLARE_GEMM_PACKED(f64, double)

/* Panel width of a packed B (its micro-kernel's NR), or -1 if packed is not a packed B. */
int64_t rk_gemm_packed_b_panel(const void *packed);

#endif
