/* rnnkern public C API: every exported function, with its shapes and layouts.
 *
 * Conventions (fixed; the Python layer and the torch drop-in depend on them):
 *   - All arrays are C-contiguous, row-major. Sequences are time-major: x (T,B,I), y (T,B,H).
 *   - Weights use PyTorch's layout and gate order: w_ih (G*H,I), w_hh (G*H,H), b_ih, b_hh (G*H,).
 *     LSTM G=4, gates i,f,g,o. GRU G=3, gates r,z,n, reset applied to (W_hn h + b_hn).
 *     Vanilla RNN G=1 with activation tanh, relu or logistic.
 *   - Optional pointers (biases, h0, c0, lengths, dy, dhT, dcT) may be NULL and then mean zeros
 *     (lengths NULL means every sequence has length T).
 *   - lengths (B,): sequence b is valid for t < lengths[b]; past it the state is carried and y is 0.
 *   - float32 functions end in _f32, float64 in _f64; the pointer types in rk_cell_args follow that.
 *   - C trusts its arguments: shapes, dtypes and sizes are validated by the Python layer.
 * Every function returns RK_OK or a negative status; none prints, aborts or touches Python.
 */
#ifndef RNNKERN_H
#define RNNKERN_H

#include <stdint.h>
#include <stddef.h>

#if defined(_WIN32)
#define RK_API
#else
#define RK_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum rk_status { RK_OK = 0, RK_ERR_ARG = -1, RK_ERR_NOMEM = -2, RK_ERR_ISA = -3 };

/* ---- ISA dispatch --------------------------------------------------------------------------- */
typedef enum rk_isa { RK_ISA_SCALAR = 0, RK_ISA_AVX2 = 1, RK_ISA_AVX512 = 2, RK_ISA_COUNT = 3 } rk_isa;

RK_API const char *rk_isa_name(rk_isa isa);      /* "scalar", "avx2", "avx512" */
/* 1 if this build has the path: all three on x86-64, scalar alone elsewhere (the compiled ones
 * are always the first of the enum) */
RK_API int rk_isa_compiled(rk_isa isa);
RK_API int rk_isa_supported(rk_isa isa);         /* 1 if this CPU and OS can run the path */
RK_API rk_isa rk_isa_best(void);                 /* the best supported path */
RK_API rk_isa rk_isa_active(void);               /* the path in use */
RK_API int rk_isa_select(rk_isa isa);            /* RK_ERR_ISA if unsupported */
/* Applies RNNKERN_ISA=scalar|avx2|avx512 if set: RK_ERR_ARG for an unknown name, RK_ERR_ISA for a
 * path this CPU cannot run (the best path stays active then). Called once at import. */
RK_API int rk_isa_init_from_env(void);

/* What fills kernel slot `slot` (0, 1, ...) of an ISA path for float32 (dtype_bytes 4) or float64
 * (8): writes "slot<TAB>instance<TAB>implementation" to buf (NUL-terminated, cut to len), e.g.
 * "panel\trk_panel_gemm_f32_avx512\ttiles 6 rows x 4 zmm, 1 row x 8 zmm". RK_ERR_ARG past the last
 * slot or for a bad argument, RK_ERR_ISA for a path this build does not have. What
 * `python -m rnnkern info` lists. */
RK_API int rk_kernel_describe(rk_isa isa, int dtype_bytes, int slot, char *buf, size_t len);

/* ---- Threads -------------------------------------------------------------------------------- */
RK_API void rk_set_num_threads(int n);           /* n >= 1; for kernels called from any thread */
RK_API int rk_get_num_threads(void);             /* min(set value, caller's OpenMP limit); 1 in a forked child */
/* The file of the OpenMP runtime this process runs the kernels on (a wheel's bundled copy, or the
 * system's) into buf, NUL-terminated, cut to len; RK_ERR_ARG where the system cannot tell. */
RK_API int rk_openmp_runtime_path(char *buf, size_t len);

/* ---- Memory --------------------------------------------------------------------------------- */
/* Kernels keep up to 4 scratch buffers (512 MiB at most in all) between calls, so that repeated
 * calls of the same shapes skip page faults and zeroing; this frees them. */
RK_API void rk_scratch_release(void);
/* A buffer from that same pool, for arrays whose owner hands it back when it is done with them
 * (the Python layer's workspaces): at least `bytes`, 64-byte aligned, contents undefined; NULL
 * when out of memory or bytes < 0. *capacity receives what rk_buffer_free needs back. */
RK_API void *rk_buffer_alloc(int64_t bytes, int64_t *capacity);
RK_API void rk_buffer_free(void *p, int64_t capacity);

/* ---- Peak ----------------------------------------------------------------------------------- */
/* Measured FMA throughput of one ISA path in GFLOP/s for float32 (dtype_bytes 4) or float64 (8),
 * summed over nthreads threads each running register-resident FMA chains for about `seconds`;
 * -1 for an unsupported path or argument. What kernel benchmarks report fractions of. */
RK_API double rk_fma_peak_gflops(rk_isa isa, int dtype_bytes, int nthreads, double seconds);

/* ---- GEMM: C = alpha * op(A) @ op(B) + beta * C, row-major ---------------------------------- */
/* op(A) (M,K), op(B) (K,N), C (M,N). trans_a: A is stored (K,M); trans_b: B is stored (N,K).
 * beta == 0 overwrites C without reading it. Bitwise identical for any thread count. */
RK_API int rk_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                       const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                       float *c, int64_t ldc);
RK_API int rk_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                       const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                       double *c, int64_t ldc);

/* ---- Recurrent cells ------------------------------------------------------------------------ */
typedef enum rk_activation { RK_ACT_TANH = 0, RK_ACT_RELU = 1, RK_ACT_LOGISTIC = 2 } rk_activation;

/* Workspace saved by a training forward for backward, in elements of the cell's dtype. Hidden units
 * are padded to Hp = 16 * ceil(H / 16) and gate vectors are kept in panel order: entry
 * p*G*16 + g*16 + u is gate g of unit 16p + u (see csrc/cell/panel.h).
 *   LSTM: hs (T+1,B,Hp) states h0..h_T | cs (T+1,B,Hp) c0..c_T | gates (T,B,4Hp) i,f,g,o activated
 *   GRU:  hs (T+1,B,Hp) | gates (T,B,3Hp) r,z,n activated | hn (T,B,Hp) = h_{t-1} W_hn^T + b_hn
 *   RNN:  hs (T+1,B,Hp)
 * Past a sequence's end, hs/cs carry the state; gates there are unspecified and never read. */
RK_API int64_t rk_lstm_workspace_size(int64_t T, int64_t B, int64_t H);
RK_API int64_t rk_gru_workspace_size(int64_t T, int64_t B, int64_t H);
RK_API int64_t rk_rnn_workspace_size(int64_t T, int64_t B, int64_t H);

/* Arguments of one whole-sequence forward or backward. Pointers are float* for _f32 functions and
 * double* for _f64. Inputs of forward: x w_ih w_hh b_ih b_hh h0 c0 lengths; outputs y hT cT ws
 * (ws NULL = inference, O(B*H) extra memory). Inputs of backward: x w_ih w_hh lengths ws dy dhT dcT;
 * outputs dx dw_ih dw_hh db_ih db_hh dh0 dc0 (all required, overwritten) and dh_norms (T,B) (optional:
 * the 2-norm of dL/dh_t per step and sequence, as it flows back; carried past a sequence's end).
 * c0/cT/dcT/dc0: LSTM only.
 * reverse (0 or 1; a backward takes its forward's): each sequence runs from its own last valid step
 * lengths[b]-1 back to 0, reading x where it lies; y, dy, dx and dh_norms keep x's time index, y is
 * zero past the end as forward, hT is the state after step 0. The workspace then counts steps in
 * processing order: its index t of row b is time lengths[b]-1-t (t < lengths[b]).
 * Set every field: callers zero the struct first. */
typedef struct rk_cell_args {
    int64_t T, B, In, H;                         /* In = I, input features (<complex.h> owns I) */
    rk_activation activation;                    /* vanilla RNN only */
    int reverse;                                 /* 1: each sequence from its end back to 0 */
    const void *x, *w_ih, *w_hh, *b_ih, *b_hh, *h0, *c0;
    const int64_t *lengths;
    void *y, *hT, *cT, *ws;
    const void *dy, *dhT, *dcT;
    void *dx, *dw_ih, *dw_hh, *db_ih, *db_hh, *dh0, *dc0, *dh_norms;
} rk_cell_args;

RK_API int rk_lstm_forward_f32(const rk_cell_args *a);
RK_API int rk_lstm_backward_f32(const rk_cell_args *a);
RK_API int rk_lstm_forward_f64(const rk_cell_args *a);
RK_API int rk_lstm_backward_f64(const rk_cell_args *a);
RK_API int rk_gru_forward_f32(const rk_cell_args *a);
RK_API int rk_gru_backward_f32(const rk_cell_args *a);
RK_API int rk_gru_forward_f64(const rk_cell_args *a);
RK_API int rk_gru_backward_f64(const rk_cell_args *a);
RK_API int rk_rnn_forward_f32(const rk_cell_args *a);
RK_API int rk_rnn_backward_f32(const rk_cell_args *a);
RK_API int rk_rnn_forward_f64(const rk_cell_args *a);
RK_API int rk_rnn_backward_f64(const rk_cell_args *a);

/* A bidirectional layer's two directions in one call, a[0] and a[1] (a[1].reverse = 1 for the
 * usual pair; any two calls of the cell and dtype will do): their loops run at once, each on part
 * of the thread team (one after the other on one thread), and each result is bitwise the one
 * rk_<cell>_forward_<dt> / _backward_<dt> gives for it alone. Returns the first status of a[0],
 * a[1] that is not RK_OK; a failed direction's outputs are unspecified. Defined in
 * csrc/cell/<cell>.inc, on the pair runner of csrc/cell/recur.inc. */
RK_API int rk_lstm_forward_pair_f32(const rk_cell_args a[2]);
RK_API int rk_lstm_backward_pair_f32(const rk_cell_args a[2]);
RK_API int rk_lstm_forward_pair_f64(const rk_cell_args a[2]);
RK_API int rk_lstm_backward_pair_f64(const rk_cell_args a[2]);
RK_API int rk_gru_forward_pair_f32(const rk_cell_args a[2]);
RK_API int rk_gru_backward_pair_f32(const rk_cell_args a[2]);
RK_API int rk_gru_forward_pair_f64(const rk_cell_args a[2]);
RK_API int rk_gru_backward_pair_f64(const rk_cell_args a[2]);
RK_API int rk_rnn_forward_pair_f32(const rk_cell_args a[2]);
RK_API int rk_rnn_backward_pair_f32(const rk_cell_args a[2]);
RK_API int rk_rnn_forward_pair_f64(const rk_cell_args a[2]);
RK_API int rk_rnn_backward_pair_f64(const rk_cell_args a[2]);

/* ---- Packed weights (csrc/cell/packed.c, recur.inc) -------------------------------------------
 * For callers that run the same weights many times: pack them once, then forward on the packed
 * copy, which every call only reads (so the threads of many calls may share one). Packed weights
 * hold W_ih^T laid out for the GEMM micro-kernel of the ISA active when they were packed: a
 * forward under another ISA returns RK_ERR_ISA (pack again), one for another cell, dtype or size
 * RK_ERR_ARG. The results are bitwise those of rk_<cell>_forward_<dt> on the same weights. */
typedef enum rk_cell { RK_CELL_LSTM = 0, RK_CELL_GRU = 1, RK_CELL_RNN = 2 } rk_cell;

/* Bytes of the packed weights of a cell with In inputs and H units, float32 (dtype_bytes 4) or
 * float64 (8), for the active ISA; -1 for a bad argument or an overflowing size. */
RK_API int64_t rk_packed_size(rk_cell cell, int dtype_bytes, int64_t In, int64_t H);
/* Packs a->w_ih, w_hh, b_ih, b_hh (sizes a->In, a->H; the other fields are not read) into packed:
 * 64-byte aligned, packed_bytes >= rk_packed_size. Defined in csrc/cell/<cell>.inc. */
RK_API int rk_lstm_pack_f32(const rk_cell_args *a, void *packed, int64_t packed_bytes);
RK_API int rk_lstm_pack_f64(const rk_cell_args *a, void *packed, int64_t packed_bytes);
RK_API int rk_gru_pack_f32(const rk_cell_args *a, void *packed, int64_t packed_bytes);
RK_API int rk_gru_pack_f64(const rk_cell_args *a, void *packed, int64_t packed_bytes);
RK_API int rk_rnn_pack_f32(const rk_cell_args *a, void *packed, int64_t packed_bytes);
RK_API int rk_rnn_pack_f64(const rk_cell_args *a, void *packed, int64_t packed_bytes);
/* rk_<cell>_forward_<dt> with the weights read from packed (a->w_ih, w_hh, b_ih, b_hh are not
 * read). h0 may be the same array as hT, and c0 as cT: the initial state is read whole before
 * the final one is written, so a caller stepping a state (T = 1) keeps it in one place. */
RK_API int rk_lstm_forward_packed_f32(const rk_cell_args *a, const void *packed);
RK_API int rk_lstm_forward_packed_f64(const rk_cell_args *a, const void *packed);
RK_API int rk_gru_forward_packed_f32(const rk_cell_args *a, const void *packed);
RK_API int rk_gru_forward_packed_f64(const rk_cell_args *a, const void *packed);
RK_API int rk_rnn_forward_packed_f32(const rk_cell_args *a, const void *packed);
RK_API int rk_rnn_forward_packed_f64(const rk_cell_args *a, const void *packed);

/* ---- The function table (csrc/api.c) --------------------------------------------------------
 * Every entry point above, by pointer, for code that reaches the kernels through the Python
 * package (rnnkern.cython_api) rather than by linking them: a module that links its own copy
 * would have its own ISA choice, thread count and scratch. RK_API_VERSION grows when an entry is
 * added at the end (entries are never removed or changed); check version >= what you use. */
#define RK_API_VERSION 1
typedef int (*rk_cell_fn)(const rk_cell_args *a);
typedef int (*rk_pack_fn)(const rk_cell_args *a, void *packed, int64_t packed_bytes);
typedef int (*rk_packed_fn)(const rk_cell_args *a, const void *packed);
typedef int64_t (*rk_size_fn)(int64_t T, int64_t B, int64_t H);
typedef struct rk_api_table {
    int version;                                 /* RK_API_VERSION of the library */
    rk_isa (*isa_active)(void);
    int (*get_num_threads)(void);
    int (*gemm_f32)(int, int, int64_t, int64_t, int64_t, float, const float *, int64_t,
                    const float *, int64_t, float, float *, int64_t);
    int (*gemm_f64)(int, int, int64_t, int64_t, int64_t, double, const double *, int64_t,
                    const double *, int64_t, double, double *, int64_t);
    rk_size_fn workspace_size[3];                /* [rk_cell] */
    int64_t (*packed_size)(rk_cell cell, int dtype_bytes, int64_t In, int64_t H);
    rk_cell_fn forward[3][2], backward[3][2];    /* [rk_cell][0: f32, 1: f64] */
    rk_pack_fn pack[3][2];
    rk_packed_fn forward_packed[3][2];
} rk_api_table;
RK_API const rk_api_table *rk_api(void);

/* Forward-mode products (jvp; Pearlmutter's R-operator), one whole-sequence call over a training
 * forward's workspace (csrc/cell/jvp.inc): inputs x w_ih w_hh lengths ws, and the tangents in dx
 * (T,B,I) dw_ih dw_hh db_ih db_hh dh0 dc0 (read, never written; NULL = zero); outputs y (T,B,H),
 * hT (and cT) receive the tangents of y, hT (and cT): the forward's Jacobian times the tangents.
 * Past a sequence's end the state's tangent is carried and y's is 0. */
RK_API int rk_lstm_jvp_f32(const rk_cell_args *a);
RK_API int rk_lstm_jvp_f64(const rk_cell_args *a);
RK_API int rk_gru_jvp_f32(const rk_cell_args *a);
RK_API int rk_gru_jvp_f64(const rk_cell_args *a);
RK_API int rk_rnn_jvp_f32(const rk_cell_args *a);
RK_API int rk_rnn_jvp_f64(const rk_cell_args *a);

#ifdef __cplusplus
}
#endif
#endif /* RNNKERN_H */
