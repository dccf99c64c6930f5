/* Internal declarations shared by csrc/ translation units; never installed, never exported. */
#ifndef RK_INTERNAL_H
#define RK_INTERNAL_H

#include "rnnkern.h"

/* GEMM micro-kernel of one ISA and dtype, with the blocking the driver uses around it.
 * ukr computes one MR x NR tile: C[0:mr, 0:nr] = alpha * A @ B + beta * C (beta == 0: C is not
 * read), summing k = 0..kc-1 in order with one accumulator per element. A(i, p) is
 * a[i * rsa + p * csa] (only rows i < mr are read); B(p, j) is b[p * rsb + j] and all NR columns
 * must be readable (the driver pads). 1 <= mr <= MR, 1 <= nr <= NR, kc >= 0. */
#define RK_DECLARE_GEMM_KERNEL(SFX, REAL)                                                        \
    typedef void (*rk_gemm_ukr_##SFX)(int64_t kc, const REAL *a, int64_t rsa, int64_t csa,       \
                                      const REAL *b, int64_t rsb, REAL *c, int64_t ldc,          \
                                      REAL alpha, REAL beta, int64_t mr, int64_t nr);           \
    /* One row (M = 1) across up to 4 panels: c[0:n] = alpha * a @ B + beta * c, n <= 4 NR;   \
     * a(p) = a[p * csa]; panel q < ceil(n / NR) at b + q * bstep, B(p, q NR + j) at             \
     * [p * rsb + j], all its NR columns readable. Same sums, in the same order, as row 0 of ukr. */ \
    typedef void (*rk_gemm_ukr1_##SFX)(int64_t kc, const REAL *a, int64_t csa, const REAL *b,   \
                                       int64_t rsb, int64_t bstep, REAL *c, REAL alpha,         \
                                       REAL beta, int64_t n);                                    \
    /* Few rows (m <= 16), one K block, op(B) read where it is stored (never packed):          \
     * C[0:m, 0:n] = alpha * A @ op(B) + beta * C, A as for ukr; op(B)(p, j) is b[j * ldb + p]   \
     * with trans_b, else b[p * ldb + j], and only its kc x n elements are read. acc: scratch   \
     * of m * rk_gemm_ukrs_cols(n) elements. Same sums, in the same order, as ukr, so a row's   \
     * result does not depend on how many rows come with it. */                                  \
    typedef void (*rk_gemm_ukrs_##SFX)(int64_t kc, int64_t m, int64_t n, const REAL *a,          \
                                       int64_t rsa, int64_t csa, const REAL *b, int64_t ldb,     \
                                       int trans_b, REAL *c, int64_t ldc, REAL alpha, REAL beta, \
                                       REAL *acc);                                               \
    typedef struct rk_gemm_kernel_##SFX {                                                        \
        const char *name; /* the micro-kernel's name: dtype, ISA, MRxNR */                       \
        int mr, nr;       /* register tile */                                                    \
        int kc;           /* K block: one B micro-panel kc x NR stays in L1 */                   \
        int mc;           /* M block (multiple of mr): one packed A block mc x kc stays in L2 */ \
        int nt_max;       /* widest column task (multiple of nr): its B block stays in L3 */    \
        rk_gemm_ukr_##SFX ukr;                                                                   \
        rk_gemm_ukr1_##SFX ukr1;                                                                 \
        rk_gemm_ukrs_##SFX ukrs;                                                                 \
    } rk_gemm_kernel_##SFX;
/* Row length of ukrs's acc scratch for n columns: whole vectors of the widest ISA (16 floats). */
static inline int64_t rk_gemm_ukrs_cols(int64_t n) { return (n + 15) / 16 * 16; }
RK_DECLARE_GEMM_KERNEL(f32, float)
RK_DECLARE_GEMM_KERNEL(f64, double)

/* Element-wise activations of the act_row slot (csrc/act/): the first three in rk_activation's
 * order; the derivatives take the activation's output y, as backward uses them. */
typedef enum rk_act_op {
    RK_ACT_OP_TANH, RK_ACT_OP_RELU, RK_ACT_OP_SIGMOID,
    RK_ACT_OP_DTANH, RK_ACT_OP_DRELU, RK_ACT_OP_DSIGMOID, RK_ACT_OP_COUNT
} rk_act_op;

/* Element-wise cell epilogues, one hidden-unit row (H units) of one batch item per call.
 * Forward: g holds pre-activations (bias and both products summed); gact (NULL in inference)
 * receives the activated gates. Backward: dh is dL/dh_t; outputs are pre-activation gradients. */
#define RK_DECLARE_EPILOGUES(SFX, REAL)                                                          \
    typedef struct rk_epilogues_##SFX {                                                          \
        const rk_gemm_kernel_##SFX *gemm;                                                        \
        /* acc (rows, W) += a (rows, K) @ p (K, W): the recurrent product on packed panels, the  \
         * (k, c) weight at p[k*ldp + c/RK_PANEL*ps + c%RK_PANEL] (panels of RK_PANEL columns,  \
         * ps apart) */                                                                          \
        void (*panel_gemm)(int64_t rows, int64_t K, const REAL *a, int64_t lda, const REAL *p,   \
                           int64_t ldp, int64_t ps, int64_t W, REAL *acc, int64_t ldacc);        \
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
        /* y (n) = op(x (n)), element-wise; y may be x */                                       \
        void (*act_row)(rk_act_op op, int64_t n, const REAL *x, REAL *y);                       \
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

/* The act_row kernel of ISA `isa` (an rk_isa) for op (an rk_act_op), float32 (f64 = 0) or float64:
 * for tests and benchmarks (rnnkern._ext.activation declares this same prototype). RK_ERR_ISA if
 * the CPU cannot run it, RK_ERR_ARG for a bad op or n. */
int rk_act_apply(int isa, int op, int f64, int64_t n, const void *x, void *y);

/* Runs fn(ctx, i) for i in [0, n) on up to nthreads threads (static schedule); with one thread it
 * never enters an OpenMP region, which keeps a forked child safe. */
typedef void (*rk_range_fn)(void *ctx, int64_t i);
void rk_parallel_for(int64_t n, int nthreads, rk_range_fn fn, void *ctx);

/* A barrier for the threads of one parallel region that meet once per step: waiters spin for a
 * while before they sleep, so a meeting costs about a microsecond whatever OMP_WAIT_POLICY says
 * (PASSIVE makes every omp barrier a futex sleep and wake, ~15 us here); with more threads than
 * processors they sleep almost at once. rk_step_barrier_init before the first wait; the arrivals
 * before a wait happen before every return from it. */
typedef struct rk_step_barrier {
    _Alignas(64) volatile int arrived;
    _Alignas(64) volatile int generation;
    volatile int sleepers;
    int n, spins;
} rk_step_barrier;
void rk_step_barrier_init(rk_step_barrier *b, int n);
void rk_step_barrier_wait(rk_step_barrier *b);

/* Packing (pack.c), for n <= z <= w, p < kc:
 *   interleave: dst[p * w + i] = src[i * ld + p] for i < n: n rows along p become columns of rows
 *               w apart (the GEMM's packed panels, the recurrence's gate panels)
 *   copy rows:  dst[p * w + i] = src[p * ld + i] for i < n
 * and both write zeros to dst[p * w + i] for n <= i < z (padding lanes). */
#define RK_DECLARE_PACK(SFX, REAL)                                                               \
    void rk_interleave_##SFX(const REAL *src, int64_t ld, int64_t kc, int64_t n, int64_t w,     \
                             int64_t z, REAL *restrict dst);                                    \
    void rk_copy_rows_##SFX(const REAL *src, int64_t ld, int64_t kc, int64_t n, int64_t w,      \
                            int64_t z, REAL *restrict dst);
RK_DECLARE_PACK(f32, float)
RK_DECLARE_PACK(f64, double)

/* Kernel scratch (alloc.c): at least `bytes` (p NULL when out of memory or negative), 64-byte
 * aligned, 2 MiB aligned on huge pages from 2 MiB up; contents undefined. Hand it back with
 * rk_scratch_put, which keeps a few buffers for later calls (rk_scratch_release frees them). */
typedef struct rk_scratch {
    void *p;
    int64_t cap; /* bytes usable */
} rk_scratch;
rk_scratch rk_scratch_get(int64_t bytes);
void rk_scratch_put(rk_scratch s);

/* Overflow-checked size product for internal allocations; returns -1 on overflow. */
int64_t rk_mul_size(int64_t a, int64_t b);

#endif
