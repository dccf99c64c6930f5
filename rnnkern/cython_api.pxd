# rnnkern's kernels for Cython callers, in the manner of scipy.linalg.cython_blas: typed nogil
# functions exported through this module's __pyx_capi__, so a compiled extension calls the very
# kernels (ISA choice, threads, scratch) that the installed Python package runs.
#
#     from rnnkern.cython_api cimport rk_cell_args, lstm_forward_f32, api_version, RK_API_VERSION
#
# Build with include_dirs=[rnnkern.get_include()] (where this file and rnnkern.h are). Arguments
# follow csrc/include/rnnkern.h, which documents every shape, layout and status; as in C, nothing
# is checked: pass C-contiguous arrays of the right sizes. Each function returns 0 (RK_OK) or a
# negative status (RK_ERR_ARG -1, RK_ERR_NOMEM -2, RK_ERR_ISA -3) and never needs the GIL.
#
# The set below is stable: functions are added, never changed or removed, and each addition
# raises RK_API_VERSION. RK_API_VERSION is the version this caller was compiled against,
# api_version() the installed library's: check api_version() >= RK_API_VERSION at import.
from libc.stdint cimport int64_t
from rnnkern._ext cimport (rk_cell_args, rk_activation, rk_cell, rk_api_table, RK_API_VERSION,
                           RK_OK, RK_ERR_ARG, RK_ERR_NOMEM, RK_ERR_ISA, RK_ACT_TANH, RK_ACT_RELU,
                           RK_ACT_LOGISTIC, RK_CELL_LSTM, RK_CELL_GRU, RK_CELL_RNN)

cdef int api_version() noexcept nogil
# the whole table, for callers that pick the cell and dtype at run time
cdef const rk_api_table *api_table() noexcept nogil

# whole-sequence forward and BPTT backward (rk_<cell>_forward_<dt>, rk_<cell>_backward_<dt>)
cdef int lstm_forward_f32(const rk_cell_args *a) noexcept nogil
cdef int lstm_forward_f64(const rk_cell_args *a) noexcept nogil
cdef int lstm_backward_f32(const rk_cell_args *a) noexcept nogil
cdef int lstm_backward_f64(const rk_cell_args *a) noexcept nogil
cdef int gru_forward_f32(const rk_cell_args *a) noexcept nogil
cdef int gru_forward_f64(const rk_cell_args *a) noexcept nogil
cdef int gru_backward_f32(const rk_cell_args *a) noexcept nogil
cdef int gru_backward_f64(const rk_cell_args *a) noexcept nogil
cdef int rnn_forward_f32(const rk_cell_args *a) noexcept nogil
cdef int rnn_forward_f64(const rk_cell_args *a) noexcept nogil
cdef int rnn_backward_f32(const rk_cell_args *a) noexcept nogil
cdef int rnn_backward_f64(const rk_cell_args *a) noexcept nogil
# elements of a training forward's workspace (a.ws); -1 on overflow
cdef int64_t workspace_size(rk_cell cell, int64_t T, int64_t B, int64_t H) noexcept nogil

# packed weights: bytes to allocate (64-byte aligned), packing, forward on them
cdef int64_t packed_size(rk_cell cell, int dtype_bytes, int64_t In, int64_t H) noexcept nogil
cdef int lstm_pack_f32(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil
cdef int lstm_pack_f64(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil
cdef int gru_pack_f32(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil
cdef int gru_pack_f64(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil
cdef int rnn_pack_f32(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil
cdef int rnn_pack_f64(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil
cdef int lstm_forward_packed_f32(const rk_cell_args *a, const void *packed) noexcept nogil
cdef int lstm_forward_packed_f64(const rk_cell_args *a, const void *packed) noexcept nogil
cdef int gru_forward_packed_f32(const rk_cell_args *a, const void *packed) noexcept nogil
cdef int gru_forward_packed_f64(const rk_cell_args *a, const void *packed) noexcept nogil
cdef int rnn_forward_packed_f32(const rk_cell_args *a, const void *packed) noexcept nogil
cdef int rnn_forward_packed_f64(const rk_cell_args *a, const void *packed) noexcept nogil

# one step on packed weights: x (B, In); the state h (and c) (B, H) is advanced in place
cdef int lstm_step_f32(const void *packed, int64_t B, int64_t In, int64_t H, const float *x,
                       float *h, float *c) noexcept nogil
cdef int lstm_step_f64(const void *packed, int64_t B, int64_t In, int64_t H, const double *x,
                       double *h, double *c) noexcept nogil
cdef int gru_step_f32(const void *packed, int64_t B, int64_t In, int64_t H, const float *x,
                      float *h) noexcept nogil
cdef int gru_step_f64(const void *packed, int64_t B, int64_t In, int64_t H, const double *x,
                      double *h) noexcept nogil
cdef int rnn_step_f32(const void *packed, int64_t B, int64_t In, int64_t H, rk_activation act,
                      const float *x, float *h) noexcept nogil
cdef int rnn_step_f64(const void *packed, int64_t B, int64_t In, int64_t H, rk_activation act,
                      const double *x, double *h) noexcept nogil

# C (M,N) = alpha op(A) op(B) + beta C, row-major (rk_gemm_<dt>)
cdef int gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                  float *c, int64_t ldc) noexcept nogil
cdef int gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                  const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                  double *c, int64_t ldc) noexcept nogil
