# cython: language_level=3
"""rnnkern's kernels as typed nogil functions for Cython callers (see cython_api.pxd, and the
README's "From Cython"). Each forwards to the C API's function table of rnnkern._ext, the one
copy of the library the Python package runs; this module links no kernels of its own."""
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.string cimport memset

from rnnkern import _ext

cdef const rk_api_table *_api = <const rk_api_table *>PyCapsule_GetPointer(
    _ext.api_capsule(), b"rnnkern.rk_api_table")
if _api.version < RK_API_VERSION:
    raise ImportError(f"rnnkern.cython_api was built for C API version {RK_API_VERSION}, but "
                      f"rnnkern._ext provides version {_api.version}: reinstall rnnkern")

VERSION = _api.version  # what api_version() returns, for Python code


cdef int api_version() noexcept nogil:
    return _api.version


cdef const rk_api_table *api_table() noexcept nogil:
    return _api


cdef int lstm_forward_f32(const rk_cell_args *a) noexcept nogil:
    return _api.forward[0][0](a)
cdef int lstm_forward_f64(const rk_cell_args *a) noexcept nogil:
    return _api.forward[0][1](a)
cdef int lstm_backward_f32(const rk_cell_args *a) noexcept nogil:
    return _api.backward[0][0](a)
cdef int lstm_backward_f64(const rk_cell_args *a) noexcept nogil:
    return _api.backward[0][1](a)
cdef int gru_forward_f32(const rk_cell_args *a) noexcept nogil:
    return _api.forward[1][0](a)
cdef int gru_forward_f64(const rk_cell_args *a) noexcept nogil:
    return _api.forward[1][1](a)
cdef int gru_backward_f32(const rk_cell_args *a) noexcept nogil:
    return _api.backward[1][0](a)
cdef int gru_backward_f64(const rk_cell_args *a) noexcept nogil:
    return _api.backward[1][1](a)
cdef int rnn_forward_f32(const rk_cell_args *a) noexcept nogil:
    return _api.forward[2][0](a)
cdef int rnn_forward_f64(const rk_cell_args *a) noexcept nogil:
    return _api.forward[2][1](a)
cdef int rnn_backward_f32(const rk_cell_args *a) noexcept nogil:
    return _api.backward[2][0](a)
cdef int rnn_backward_f64(const rk_cell_args *a) noexcept nogil:
    return _api.backward[2][1](a)


cdef int64_t workspace_size(rk_cell cell, int64_t T, int64_t B, int64_t H) noexcept nogil:
    if <unsigned>cell > <unsigned>RK_CELL_RNN:
        return -1
    return _api.workspace_size[<int>cell](T, B, H)


cdef int64_t packed_size(rk_cell cell, int dtype_bytes, int64_t In, int64_t H) noexcept nogil:
    return _api.packed_size(cell, dtype_bytes, In, H)


cdef int lstm_pack_f32(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil:
    return _api.pack[0][0](a, packed, packed_bytes)
cdef int lstm_pack_f64(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil:
    return _api.pack[0][1](a, packed, packed_bytes)
cdef int gru_pack_f32(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil:
    return _api.pack[1][0](a, packed, packed_bytes)
cdef int gru_pack_f64(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil:
    return _api.pack[1][1](a, packed, packed_bytes)
cdef int rnn_pack_f32(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil:
    return _api.pack[2][0](a, packed, packed_bytes)
cdef int rnn_pack_f64(const rk_cell_args *a, void *packed, int64_t packed_bytes) noexcept nogil:
    return _api.pack[2][1](a, packed, packed_bytes)

cdef int lstm_forward_packed_f32(const rk_cell_args *a, const void *packed) noexcept nogil:
    return _api.forward_packed[0][0](a, packed)
cdef int lstm_forward_packed_f64(const rk_cell_args *a, const void *packed) noexcept nogil:
    return _api.forward_packed[0][1](a, packed)
cdef int gru_forward_packed_f32(const rk_cell_args *a, const void *packed) noexcept nogil:
    return _api.forward_packed[1][0](a, packed)
cdef int gru_forward_packed_f64(const rk_cell_args *a, const void *packed) noexcept nogil:
    return _api.forward_packed[1][1](a, packed)
cdef int rnn_forward_packed_f32(const rk_cell_args *a, const void *packed) noexcept nogil:
    return _api.forward_packed[2][0](a, packed)
cdef int rnn_forward_packed_f64(const rk_cell_args *a, const void *packed) noexcept nogil:
    return _api.forward_packed[2][1](a, packed)


cdef inline int _step(int cell, int f64, const void *packed, int64_t B, int64_t In, int64_t H,
                      rk_activation act, const void *x, void *h, void *c) noexcept nogil:
    # T = 1 with the state in place: the kernel reads h0 (c0) whole before writing hT (cT)
    cdef rk_cell_args a
    memset(&a, 0, sizeof(a))
    a.T, a.B, a.In, a.H, a.activation = 1, B, In, H, act
    a.x, a.h0, a.c0, a.y, a.hT, a.cT = x, h, c, h, h, c
    return _api.forward_packed[cell][f64](&a, packed)


cdef int lstm_step_f32(const void *packed, int64_t B, int64_t In, int64_t H, const float *x,
                       float *h, float *c) noexcept nogil:
    return _step(0, 0, packed, B, In, H, RK_ACT_TANH, x, h, c)
cdef int lstm_step_f64(const void *packed, int64_t B, int64_t In, int64_t H, const double *x,
                       double *h, double *c) noexcept nogil:
    return _step(0, 1, packed, B, In, H, RK_ACT_TANH, x, h, c)
cdef int gru_step_f32(const void *packed, int64_t B, int64_t In, int64_t H, const float *x,
                      float *h) noexcept nogil:
    return _step(1, 0, packed, B, In, H, RK_ACT_TANH, x, h, NULL)
cdef int gru_step_f64(const void *packed, int64_t B, int64_t In, int64_t H, const double *x,
                      double *h) noexcept nogil:
    return _step(1, 1, packed, B, In, H, RK_ACT_TANH, x, h, NULL)
cdef int rnn_step_f32(const void *packed, int64_t B, int64_t In, int64_t H, rk_activation act,
                      const float *x, float *h) noexcept nogil:
    return _step(2, 0, packed, B, In, H, act, x, h, NULL)
cdef int rnn_step_f64(const void *packed, int64_t B, int64_t In, int64_t H, rk_activation act,
                      const double *x, double *h) noexcept nogil:
    return _step(2, 1, packed, B, In, H, act, x, h, NULL)


cdef int gemm_f32(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                  float *c, int64_t ldc) noexcept nogil:
    return _api.gemm_f32(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
cdef int gemm_f64(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                  const double *a, int64_t lda, const double *b, int64_t ldb, double beta,
                  double *c, int64_t ldc) noexcept nogil:
    return _api.gemm_f64(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
