# The C API of rnnkern (csrc/include/rnnkern.h) for Cython callers: `from rnnkern._ext cimport *`.
# Shapes, layouts and status codes are documented in that header; C trusts its arguments.
from libc.stdint cimport int64_t

cdef extern from "rnnkern.h" nogil:
    enum rk_status:
        RK_OK
        RK_ERR_ARG
        RK_ERR_NOMEM
        RK_ERR_ISA

    ctypedef enum rk_isa:
        RK_ISA_SCALAR
        RK_ISA_AVX2
        RK_ISA_AVX512
        RK_ISA_COUNT

    const char *rk_isa_name(rk_isa isa)
    int rk_isa_compiled(rk_isa isa)
    int rk_isa_supported(rk_isa isa)
    rk_isa rk_isa_best()
    rk_isa rk_isa_active()
    int rk_isa_select(rk_isa isa)
    int rk_isa_init_from_env()

    double rk_fma_peak_gflops(rk_isa isa, int dtype_bytes, int nthreads, double seconds)
    int rk_kernel_describe(rk_isa isa, int dtype_bytes, int slot, char *buf, size_t len)

    void rk_set_num_threads(int n)
    int rk_get_num_threads()
    int rk_openmp_runtime_path(char *buf, size_t len)
    void rk_scratch_release()
    void *rk_buffer_alloc(int64_t bytes, int64_t *capacity)
    void rk_buffer_free(void *p, int64_t capacity)

    int rk_gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                    const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                    float *c, int64_t ldc)
    int rk_gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                    const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                    double *c, int64_t ldc)

    ctypedef enum rk_activation:
        RK_ACT_TANH
        RK_ACT_RELU
        RK_ACT_LOGISTIC

    int64_t rk_lstm_workspace_size(int64_t T, int64_t B, int64_t H)
    int64_t rk_gru_workspace_size(int64_t T, int64_t B, int64_t H)
    int64_t rk_rnn_workspace_size(int64_t T, int64_t B, int64_t H)

    ctypedef struct rk_cell_args:
        int64_t T, B, In, H
        rk_activation activation
        int reverse
        const void *x
        const void *w_ih
        const void *w_hh
        const void *b_ih
        const void *b_hh
        const void *h0
        const void *c0
        const int64_t *lengths
        void *y
        void *hT
        void *cT
        void *ws
        const void *dy
        const void *dhT
        const void *dcT
        void *dx
        void *dw_ih
        void *dw_hh
        void *db_ih
        void *db_hh
        void *dh0
        void *dc0
        void *dh_norms

    int rk_lstm_forward_f32(const rk_cell_args *a)
    int rk_lstm_backward_f32(const rk_cell_args *a)
    int rk_lstm_forward_f64(const rk_cell_args *a)
    int rk_lstm_backward_f64(const rk_cell_args *a)
    int rk_gru_forward_f32(const rk_cell_args *a)
    int rk_gru_backward_f32(const rk_cell_args *a)
    int rk_gru_forward_f64(const rk_cell_args *a)
    int rk_gru_backward_f64(const rk_cell_args *a)
    int rk_rnn_forward_f32(const rk_cell_args *a)
    int rk_rnn_backward_f32(const rk_cell_args *a)
    int rk_rnn_forward_f64(const rk_cell_args *a)
    int rk_rnn_backward_f64(const rk_cell_args *a)

    # a layer's two directions in one call (rnnkern.h, rk_<cell>_forward_pair_<dt>)
    int rk_lstm_forward_pair_f32(const rk_cell_args *a)
    int rk_lstm_backward_pair_f32(const rk_cell_args *a)
    int rk_lstm_forward_pair_f64(const rk_cell_args *a)
    int rk_lstm_backward_pair_f64(const rk_cell_args *a)
    int rk_gru_forward_pair_f32(const rk_cell_args *a)
    int rk_gru_backward_pair_f32(const rk_cell_args *a)
    int rk_gru_forward_pair_f64(const rk_cell_args *a)
    int rk_gru_backward_pair_f64(const rk_cell_args *a)
    int rk_rnn_forward_pair_f32(const rk_cell_args *a)
    int rk_rnn_backward_pair_f32(const rk_cell_args *a)
    int rk_rnn_forward_pair_f64(const rk_cell_args *a)
    int rk_rnn_backward_pair_f64(const rk_cell_args *a)

    # packed weights and the function table (rnnkern.h, "Packed weights", "The function table")
    ctypedef enum rk_cell:
        RK_CELL_LSTM
        RK_CELL_GRU
        RK_CELL_RNN

    int64_t rk_packed_size(rk_cell cell, int dtype_bytes, int64_t In, int64_t H)

    int RK_API_VERSION
    ctypedef int (*rk_cell_fn)(const rk_cell_args *a) noexcept nogil
    ctypedef int (*rk_pack_fn)(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil
    ctypedef int (*rk_packed_fn)(const rk_cell_args *a, const void *packed) noexcept nogil
    ctypedef int64_t (*rk_size_fn)(int64_t T, int64_t B, int64_t H) noexcept nogil
    ctypedef struct rk_api_table:
        int version
        rk_isa (*isa_active)() noexcept nogil
        int (*get_num_threads)() noexcept nogil
        int (*gemm_f32)(int, int, int64_t, int64_t, int64_t, float, const float *, int64_t,
                        const float *, int64_t, float, float *, int64_t) noexcept nogil
        int (*gemm_f64)(int, int, int64_t, int64_t, int64_t, double, const double *, int64_t,
                        const double *, int64_t, double, double *, int64_t) noexcept nogil
        rk_size_fn workspace_size[3]
        int64_t (*packed_size)(rk_cell cell, int dtype_bytes, int64_t In, int64_t H) noexcept nogil
        rk_cell_fn forward[3][2]
        rk_cell_fn backward[3][2]
        rk_pack_fn pack[3][2]
        rk_packed_fn forward_packed[3][2]

    const rk_api_table *rk_api()

    int rk_lstm_jvp_f32(const rk_cell_args *a)
    int rk_lstm_jvp_f64(const rk_cell_args *a)
    int rk_gru_jvp_f32(const rk_cell_args *a)
    int rk_gru_jvp_f64(const rk_cell_args *a)
    int rk_rnn_jvp_f32(const rk_cell_args *a)
    int rk_rnn_jvp_f64(const rk_cell_args *a)
