/* Internal declarations shared by csrc/ translation units; never installed, never exported. */
#ifndef RK_INTERNAL_H
#define RK_INTERNAL_H

#include "rnnkern.h"

/* One GEMM call, as the driver hands it to a per-ISA tile kernel. */
#define RK_DECLARE_GEMM_CALL(SFX, REAL)                                                          \
    typedef struct rk_gemm_call_##SFX {                                                          \
        int trans_a, trans_b;                                                                    \
        int64_t m, n, k, lda, ldb, ldc;                                                          \
        REAL alpha, beta;                                                                        \
        const REAL *a, *b;                                                                       \
        REAL *c;                                                                                 \
    } rk_gemm_call_##SFX;
RK_DECLARE_GEMM_CALL(f32, float)
RK_DECLARE_GEMM_CALL(f64, double)

/* GEMM output tiles: fixed sizes, so the split of C never depends on the thread count. */
#define RK_GEMM_MB 32
#define RK_GEMM_NB 128
#define RK_GEMM_KC 64

/* Element-wise cell epilogues, one hidden-unit row (H units) of one batch item per call.
 * Forward: g holds pre-activations (bias and both products summed); gact (NULL in inference)
 * receives the activated gates. Backward: dh is dL/dh_t; outputs are pre-activation gradients. */
#define RK_DECLARE_EPILOGUES(SFX, REAL)                                                          \
    typedef struct rk_epilogues_##SFX {                                                          \
        void (*gemm_tile)(const rk_gemm_call_##SFX *g, int64_t tile);                            \
        void (*lstm_fwd)(int64_t H, const REAL *g, const REAL *c_prev, REAL *gact, REAL *c,      \
                         REAL *h);                                                               \
        /* dc: in dL/dc_t from the future, out dL/dc_{t-1}; dg (4H) out */                      \
        void (*lstm_bwd)(int64_t H, const REAL *gact, const REAL *c_prev, const REAL *c,         \
                         const REAL *dh, REAL *dc, REAL *dg);                                    \
        /* gx (3H) = x W_ih^T + b_ih; gh (3H) = h W_hh^T + b_hh */                               \
        void (*gru_fwd)(int64_t H, const REAL *gx, const REAL *gh, const REAL *h_prev,          \
                        REAL *gact, REAL *hn, REAL *h);                                          \
        /* dgx (3H) for W_ih, dgh (3H) for W_hh, dh_prev = direct part dh*z */                   \
        void (*gru_bwd)(int64_t H, const REAL *gact, const REAL *hn, const REAL *h_prev,        \
                        const REAL *dh, REAL *dgx, REAL *dgh, REAL *dh_prev);                    \
        void (*rnn_fwd)(int64_t H, rk_activation act, const REAL *g, REAL *h);                  \
        void (*rnn_bwd)(int64_t H, rk_activation act, const REAL *h, const REAL *dh, REAL *dg); \
    } rk_kernels_##SFX;
RK_DECLARE_EPILOGUES(f32, float)
RK_DECLARE_EPILOGUES(f64, double)

/* The per-ISA kernel table; every slot of every compiled ISA is filled. */
typedef struct rk_kernel_table {
    rk_isa isa;
    rk_kernels_f32 f32;
    rk_kernels_f64 f64;
} rk_kernel_table;

extern const rk_kernel_table rk_table_scalar, rk_table_avx2, rk_table_avx512;
const rk_kernel_table *rk_active_table(void);

/* Runs fn(ctx, i) for i in [0, n) on up to nthreads threads (static schedule); with one thread it
 * never enters an OpenMP region, which keeps a forked child safe. */
typedef void (*rk_range_fn)(void *ctx, int64_t i);
void rk_parallel_for(int64_t n, int nthreads, rk_range_fn fn, void *ctx);

/* Overflow-checked size product for internal allocations; returns -1 on overflow. */
int64_t rk_mul_size(int64_t a, int64_t b);

#endif
