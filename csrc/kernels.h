/* Every kernel slot, and the prototype of every instance that fills one: the one header that each
 * file defining a kernel includes, so that a definition drifting from its slot fails the build
 * (csrc/ compiles with -Wmissing-prototypes -Werror).
 *
 * A slot is filled per ISA and dtype by a kernel written once against the vector vocabulary
 * (simd/<isa>.h) and compiled with that ISA's flags; its name says dtype and ISA, and is written
 * out as text twice: where the instance is defined, and in its ISA's table (dispatch.c).
 *   gemm        rk_gemm_kernel_<dt>_<isa>     gemm/gemm_<isa>.c    micro-kernels + blocking
 *   panel_gemm  rk_panel_gemm_<dt>_<isa>      cell/panel_<isa>.c   the recurrent panel product
 *   epilogues   rk_epilogues_<dt>_<isa>       cell/epilogue_<isa>.c  fused cell epilogues
 *   act_row     rk_act_row_<dt>_<isa>         act/act_<isa>.c      element-wise activations
 *   peak        rk_peak_probe_<dt>_<isa>      peak/peak_<isa>.c    the FMA-throughput probe
 *   interleave  rk_interleave_<dt>_<isa>      pack_<isa>.c         packing rows into panels
 * The scalar instances are the specification. */
#ifndef RK_KERNELS_H
#define RK_KERNELS_H
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
     * of rk_gemm_ukrs_scratch(m, n, kc) elements. Same sums, in the same order, as ukr, so a   \
     * row's result does not depend on how many rows come with it. */                            \
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
/* ukrs's scratch: m rows of n columns rounded up to whole vectors of the widest ISA (16 floats),
 * then RK_GEMM_UKRS_LANES elements per step of K (a packed A^T and a few rows of B). */
#define RK_GEMM_UKRS_LANES 32
static inline int64_t rk_gemm_ukrs_scratch(int64_t m, int64_t n, int64_t kc)
{
    return m * ((n + 15) / 16 * 16) + kc * RK_GEMM_UKRS_LANES;
}
RK_DECLARE_GEMM_KERNEL(f32, float)
RK_DECLARE_GEMM_KERNEL(f64, double)

/* Element-wise activations of the act_row slot (csrc/act/): the first three in rk_activation's
 * order; the derivatives take the activation's output y, as backward uses them. */
typedef enum rk_act_op {
    RK_ACT_OP_TANH, RK_ACT_OP_RELU, RK_ACT_OP_SIGMOID,
    RK_ACT_OP_DTANH, RK_ACT_OP_DRELU, RK_ACT_OP_DSIGMOID, RK_ACT_OP_COUNT
} rk_act_op;

/* The recurrent product on packed panels: acc (rows, W) += a (rows, K) @ p (K, W), the (k, c)
 * weight at p[k*ldp + c/RK_PANEL*ps + c%RK_PANEL] (panels of RK_PANEL columns, ps apart), W a
 * multiple of RK_PANEL; every element sums its K products in order k = 0..K-1 whatever the tile,
 * so a row's result does not depend on the rows or columns that come with it. next (or NULL):
 * the weights of the caller's next product, laid out as p, to bring into cache meanwhile (a
 * hint; never read as values). */
#define RK_DECLARE_PANEL_GEMM(SFX, REAL)                                                         \
    typedef void rk_panel_gemm_fn_##SFX(int64_t rows, int64_t K, const REAL *a, int64_t lda,    \
                                        const REAL *p, int64_t ldp, int64_t ps, int64_t W,      \
                                        REAL *acc, int64_t ldacc, const REAL *next);
RK_DECLARE_PANEL_GEMM(f32, float)
RK_DECLARE_PANEL_GEMM(f64, double)

/* Element-wise cell epilogues, one hidden-unit row (H units) of one batch item per call.
 * Forward: g holds pre-activations (bias and both products summed); gact (NULL in inference)
 * receives the activated gates. Backward: dh is dL/dh_t; outputs are pre-activation gradients. */
#define RK_DECLARE_EPILOGUES(SFX, REAL)                                                          \
    typedef struct rk_epilogues_##SFX {                                                          \
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
        /* Forward-mode (jvp) epilogues: ra / rgx, rgh are the pre-activations' tangents, rc_prev \
         * and rh_prev the old state's; out the new state's. The RNN's is rnn_bwd (act' * ra) */ \
        void (*lstm_jvp)(int64_t H, const REAL *gact, const REAL *c_prev, const REAL *c,         \
                         const REAL *ra, const REAL *rc_prev, REAL *rc, REAL *rh);               \
        void (*gru_jvp)(int64_t H, const REAL *gact, const REAL *hn, const REAL *h_prev,        \
                        const REAL *rgx, const REAL *rgh, const REAL *rh_prev, REAL *rh);        \
    } rk_epilogues_##SFX;                                                                        \
    /* y (n) = op(x (n)), element-wise; y may be x */                                           \
    typedef void rk_act_row_fn_##SFX(rk_act_op op, int64_t n, const REAL *x, REAL *y);          \
    /* dst[p * w + i] = src[i * ld + p] for i < n, p < kc (rows into the columns of panels w   \
     * wide), zeros for n <= i < z, nothing past z; n <= z <= w */                             \
    typedef void rk_interleave_fn_##SFX(const REAL *src, int64_t ld, int64_t kc, int64_t n,     \
                                        int64_t w, int64_t z, REAL *restrict dst);              \
    /* `iters` rounds of register-resident FMA chains; returns the FLOP done, adds to *sink */  \
    typedef double rk_peak_probe_fn_##SFX(int64_t iters, double *sink);                         \
    typedef struct rk_kernels_##SFX {                                                            \
        const rk_gemm_kernel_##SFX *gemm;                                                        \
        rk_panel_gemm_fn_##SFX *panel_gemm;                                                      \
        const char *panel_tiles; /* its register tiles, in words */                             \
        const rk_epilogues_##SFX *epilogues;                                                     \
        rk_act_row_fn_##SFX *act_row;                                                            \
        rk_peak_probe_fn_##SFX *peak;                                                            \
        rk_interleave_fn_##SFX *interleave;                                                      \
    } rk_kernels_##SFX;
RK_DECLARE_EPILOGUES(f32, float)
RK_DECLARE_EPILOGUES(f64, double)

/* The prototypes of one ISA's instances (their definitions spell the names out). */
#define RK_DECLARE_ISA_KERNELS(ISA)                                                              \
    extern const rk_gemm_kernel_f32 rk_gemm_kernel_f32_##ISA;                                    \
    extern const rk_gemm_kernel_f64 rk_gemm_kernel_f64_##ISA;                                    \
    rk_panel_gemm_fn_f32 rk_panel_gemm_f32_##ISA;                                                \
    rk_panel_gemm_fn_f64 rk_panel_gemm_f64_##ISA;                                                \
    extern const char rk_panel_tiles_f32_##ISA[], rk_panel_tiles_f64_##ISA[];                    \
    extern const rk_epilogues_f32 rk_epilogues_f32_##ISA;                                        \
    extern const rk_epilogues_f64 rk_epilogues_f64_##ISA;                                        \
    rk_act_row_fn_f32 rk_act_row_f32_##ISA;                                                      \
    rk_act_row_fn_f64 rk_act_row_f64_##ISA;                                                      \
    rk_peak_probe_fn_f32 rk_peak_probe_f32_##ISA;                                                \
    rk_peak_probe_fn_f64 rk_peak_probe_f64_##ISA;
RK_DECLARE_ISA_KERNELS(scalar)
RK_DECLARE_ISA_KERNELS(avx2)
RK_DECLARE_ISA_KERNELS(avx512)
/* the interleave has a scalar and an avx2 instance; the avx512 table takes the avx2 one */
rk_interleave_fn_f32 rk_interleave_f32_scalar, rk_interleave_f32_avx2;
rk_interleave_fn_f64 rk_interleave_f64_scalar, rk_interleave_f64_avx2;

/* The per-ISA kernel table (dispatch.c); every slot of every compiled ISA is filled. */
typedef struct rk_kernel_table {
    rk_isa isa;
    const char *vreg; /* "lane", "ymm", "zmm" */
    int lanes_f32, lanes_f64;
    rk_kernels_f32 f32;
    rk_kernels_f64 f64;
} rk_kernel_table;

extern const rk_kernel_table rk_table_scalar, rk_table_avx2, rk_table_avx512;
extern const rk_kernel_table *const rk_tables[RK_ISA_COUNT];
const rk_kernel_table *rk_active_table(void);

/* The act_row kernel of ISA `isa` (an rk_isa) for op (an rk_act_op), float32 (f64 = 0) or float64:
 * for tests and benchmarks (rnnkern._ext.activation declares this same prototype). RK_ERR_ISA if
 * the CPU cannot run it, RK_ERR_ARG for a bad op or n. */
int rk_act_apply(int isa, int op, int f64, int64_t n, const void *x, void *y);


#endif
