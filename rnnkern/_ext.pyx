# cython: language_level=3, boundscheck=False, wraparound=False
"""Thin bridge to csrc/: takes arrays that rnnkern._validate has already checked and allocated,
re-checks each pointer's dtype, contiguity and size (so a wrong call can raise but never crash),
releases the GIL and calls C. Not public API; use rnnkern.functional."""
cimport numpy as cnp
from libc.stdint cimport int64_t, uint64_t
from libc.string cimport memcpy, memset
import numpy as np

from rnnkern import _verbose, cells

cdef extern from "<omp.h>":
    double omp_get_wtime() nogil

cnp.import_array()

# the paths this build has: all three on x86-64, scalar alone elsewhere; always the first of the
# enum, so a name's index is its rk_isa
ISA_NAMES = tuple(rk_isa_name(<rk_isa>i).decode() for i in range(RK_ISA_COUNT) if rk_isa_compiled(<rk_isa>i))
_ERRORS = {RK_ERR_ARG: "invalid argument", RK_ERR_NOMEM: "out of memory", RK_ERR_ISA: "ISA not supported"}


cdef inline bint _is_dtype(cnp.ndarray arr, object dtype):
    # builtin dtypes are singletons: the identity test settles nearly every call
    return <object>cnp.PyArray_DESCR(arr) is dtype or arr.dtype == dtype


cdef void *_data(object arr, object dtype, int64_t size, str name) except? NULL:
    # arr: an aligned C-contiguous ndarray of `dtype` with exactly `size` elements, or None -> NULL;
    # tested on the array struct (a few loads), since a call passes a dozen of them
    if arr is None:
        return NULL
    if not cnp.PyArray_Check(arr) or not _is_dtype(<cnp.ndarray>arr, dtype) \
            or not cnp.PyArray_ISCARRAY_RO(<cnp.ndarray>arr) \
            or cnp.PyArray_SIZE(<cnp.ndarray>arr) != size:
        raise ValueError(f"internal: {name} must be an aligned C-contiguous {dtype} array of {size} elements")
    return cnp.PyArray_DATA(<cnp.ndarray>arr)


cdef void *_out(object arr, object dtype, int64_t size, str name) except? NULL:
    if arr is None or not cnp.PyArray_Check(arr) or not cnp.PyArray_ISWRITEABLE(<cnp.ndarray>arr):
        raise ValueError(f"internal: {name} must be a writeable output array")
    return _data(arr, dtype, size, name)


cdef extern from *:
    """
    #include <stdint.h>
    int64_t rk_scratch_failed_bytes(void);
    """
    int64_t rk_scratch_failed_bytes() nogil


cdef _check_status(int st, str what):
    cdef int64_t failed
    if st != RK_OK:
        msg = _ERRORS.get(st, f"status {st}")
        if st == RK_ERR_NOMEM:
            # the size comes from csrc/alloc.c (internal.h), which records the request it refused
            failed = rk_scratch_failed_bytes()
            if failed > 0:
                msg += f": could not allocate {failed} bytes ({failed / 2**30:.2f} GiB) of scratch"
            raise MemoryError(f"{what}: {msg}")
        raise RuntimeError(f"{what}: {msg}")


# ---- ISA dispatch and threads -----------------------------------------------------------------

cdef rk_isa _isa(str name) except *:
    cdef int i = ISA_NAMES.index(name)
    return <rk_isa>i


def isa_supported(str name):
    return bool(rk_isa_supported(_isa(name)))


def isa_best():
    return ISA_NAMES[rk_isa_best()]


def isa_active():
    return ISA_NAMES[rk_isa_active()]


def isa_select(str name):
    _check_status(rk_isa_select(_isa(name)), f"select ISA {name}")


def isa_init_from_env():
    """Returns the rk_status of applying RNNKERN_ISA (0 if unset or applied)."""
    return rk_isa_init_from_env()


def fma_peak_gflops(str isa, int dtype_bytes, int nthreads, double seconds=0.2):
    """Measured FMA throughput (GFLOP/s) of one ISA path on nthreads threads; -1 if unsupported."""
    cdef rk_isa i = _isa(isa)
    cdef double r
    with nogil:
        r = rk_fma_peak_gflops(i, dtype_bytes, nthreads, seconds)
    return r


def kernel_slots(str isa, int dtype_bytes):
    """[(slot, instance, implementation)] of one ISA path and dtype (4 or 8 bytes)."""
    cdef rk_isa i = _isa(isa)
    cdef char buf[256]
    cdef int slot = 0
    rows = []
    while rk_kernel_describe(i, dtype_bytes, slot, buf, sizeof(buf)) == RK_OK:
        rows.append(tuple(buf.decode().split("\t")))
        slot += 1
    return rows


def set_num_threads(int n):
    rk_set_num_threads(n)


def get_num_threads():
    return rk_get_num_threads()


def openmp_runtime_path():
    """The file of the OpenMP runtime the kernels run on, or None where the system cannot tell."""
    cdef char buf[4096]
    if rk_openmp_runtime_path(buf, sizeof(buf)) != RK_OK:
        return None
    return buf.decode(errors="replace")


def release_scratch():
    with nogil:
        rk_scratch_release()


# ---- RNNKERN_VERBOSE ------------------------------------------------------------------------------
# The level is a C int, so a kernel call with verbose output off pays one test of it: no clock, no
# formatting. On, each call reads the clock just around the C call, with the GIL released, and
# rnnkern/_verbose.py writes the line (its docstring gives the format).

cdef int _verbose_level = 0


def set_verbose(int level):
    global _verbose_level
    _verbose_level = level


def get_verbose():
    return _verbose_level


cdef inline double _clock(bint on) noexcept nogil:
    return omp_get_wtime() if on else 0.0


# ---- GEMM ---------------------------------------------------------------------------------------

def gemm(bint trans_a, bint trans_b, a, b, c, double alpha, double beta):
    """c (M,N) = alpha op(a) op(b) + beta c; arrays checked by the caller, all of c's dtype."""
    cdef int64_t m = c.shape[0], n = c.shape[1]
    cdef int64_t k = a.shape[0] if trans_a else a.shape[1]
    cdef int64_t lda = a.shape[1], ldb = b.shape[1], ldc = n
    dt = c.dtype
    cdef void *pa = _data(a, dt, a.size, "a")
    cdef void *pb = _data(b, dt, b.size, "b")
    cdef void *pc = _out(c, dt, c.size, "out")
    cdef int st
    cdef bint f32 = dt == np.float32
    cdef bint verbose = _verbose_level != 0
    cdef double t0, t1
    with nogil:
        t0 = _clock(verbose)
        if f32:
            st = rk_gemm_f32(trans_a, trans_b, m, n, k, <float>alpha, <const float *>pa, lda,
                             <const float *>pb, ldb, <float>beta, <float *>pc, ldc)
        else:
            st = rk_gemm_f64(trans_a, trans_b, m, n, k, alpha, <const double *>pa, lda,
                             <const double *>pb, ldb, beta, <double *>pc, ldc)
        t1 = _clock(verbose)
    _check_status(st, "gemm")
    if verbose:
        _verbose.gemm(trans_a, trans_b, m, n, k, dt.name, ISA_NAMES[rk_isa_active()],
                      rk_get_num_threads(), t1 - t0)


# ---- cells ----------------------------------------------------------------------------------------

cdef rk_activation _activation(str name) except *:
    cdef int i = cells.ACTIVATIONS.index(name)
    return <rk_activation>i


ctypedef int (*cell_fn)(const rk_cell_args *) noexcept nogil

# the C entry points by row: cells.Cell.index (rk_cell), then dtype, then direction
cdef cell_fn[3][2][2] _CELL_FNS  # [cell][dtype f32/f64][forward/backward]
_CELL_FNS[0][0][0] = rk_lstm_forward_f32
_CELL_FNS[0][0][1] = rk_lstm_backward_f32
_CELL_FNS[0][1][0] = rk_lstm_forward_f64
_CELL_FNS[0][1][1] = rk_lstm_backward_f64
_CELL_FNS[1][0][0] = rk_gru_forward_f32
_CELL_FNS[1][0][1] = rk_gru_backward_f32
_CELL_FNS[1][1][0] = rk_gru_forward_f64
_CELL_FNS[1][1][1] = rk_gru_backward_f64
_CELL_FNS[2][0][0] = rk_rnn_forward_f32
_CELL_FNS[2][0][1] = rk_rnn_backward_f32
_CELL_FNS[2][1][0] = rk_rnn_forward_f64
_CELL_FNS[2][1][1] = rk_rnn_backward_f64

# a layer's two directions in one call, the same rows
cdef cell_fn[3][2][2] _PAIR_FNS  # [cell][dtype f32/f64][forward/backward]
_PAIR_FNS[0][0][0] = rk_lstm_forward_pair_f32
_PAIR_FNS[0][0][1] = rk_lstm_backward_pair_f32
_PAIR_FNS[0][1][0] = rk_lstm_forward_pair_f64
_PAIR_FNS[0][1][1] = rk_lstm_backward_pair_f64
_PAIR_FNS[1][0][0] = rk_gru_forward_pair_f32
_PAIR_FNS[1][0][1] = rk_gru_backward_pair_f32
_PAIR_FNS[1][1][0] = rk_gru_forward_pair_f64
_PAIR_FNS[1][1][1] = rk_gru_backward_pair_f64
_PAIR_FNS[2][0][0] = rk_rnn_forward_pair_f32
_PAIR_FNS[2][0][1] = rk_rnn_backward_pair_f32
_PAIR_FNS[2][1][0] = rk_rnn_forward_pair_f64
_PAIR_FNS[2][1][1] = rk_rnn_backward_pair_f64

cdef cell_fn[3][2] _JVP_FNS  # [cell][dtype f32/f64]
_JVP_FNS[0][0] = rk_lstm_jvp_f32
_JVP_FNS[0][1] = rk_lstm_jvp_f64
_JVP_FNS[1][0] = rk_gru_jvp_f32
_JVP_FNS[1][1] = rk_gru_jvp_f64
_JVP_FNS[2][0] = rk_rnn_jvp_f32
_JVP_FNS[2][1] = rk_rnn_jvp_f64

cdef rk_size_fn[3] _WS_SIZE  # [cell]
_WS_SIZE[0] = rk_lstm_workspace_size
_WS_SIZE[1] = rk_gru_workspace_size
_WS_SIZE[2] = rk_rnn_workspace_size


cdef class _PooledBuffer:
    """Bytes from the kernels' scratch pool, handed back when the last array viewing them dies:
    a training loop's workspaces reuse memory instead of faulting in fresh, zeroed pages."""
    cdef void *p
    cdef int64_t cap
    cdef Py_ssize_t nbytes
    cdef Py_ssize_t shape[1]
    cdef Py_ssize_t strides[1]

    def __cinit__(self, Py_ssize_t nbytes):
        self.p = rk_buffer_alloc(nbytes, &self.cap)
        if self.p == NULL:
            rk_scratch_failed_bytes()  # reported here, not by a later kernel's MemoryError
            raise MemoryError(f"cannot allocate a workspace of {nbytes} bytes ({nbytes / 2**30:.2f} GiB)")
        self.nbytes = nbytes

    def __dealloc__(self):
        if self.p != NULL:
            rk_buffer_free(self.p, self.cap)

    def __getbuffer__(self, Py_buffer *view, int flags):
        self.shape[0] = self.nbytes
        self.strides[0] = 1
        view.buf = self.p
        view.obj = self
        view.len = self.nbytes
        view.readonly = 0
        view.itemsize = 1
        view.format = "B"
        view.ndim = 1
        view.shape = self.shape
        view.strides = self.strides
        view.suboffsets = NULL
        view.internal = NULL

    def __releasebuffer__(self, Py_buffer *view):
        pass


cdef void _checksum(const unsigned char *p, Py_ssize_t n, uint64_t *s, uint64_t *x) noexcept nogil:
    # sum and xor of n bytes as 64-bit words, the tail zero-padded; aligned words read in place
    cdef Py_ssize_t i, nw = n // 8
    cdef uint64_t w, ws = 0, wx = 0
    cdef const uint64_t *q = <const uint64_t *>p
    if (<size_t>p) % 8 == 0:
        for i in range(nw):
            ws += q[i]
            wx ^= q[i]
    else:  # a view's data need not be 8-byte aligned
        for i in range(nw):
            memcpy(&w, p + i * 8, 8)
            ws += w
            wx ^= w
    if n % 8:
        w = 0
        memcpy(&w, p + nw * 8, <size_t>(n % 8))
        ws += w
        wx ^= w
    s[0] = ws
    x[0] = wx


def is_carray(a):
    """Whether a is a plain, aligned, C-contiguous ndarray in native byte order: the test that lets
    rnnkern._validate.contiguous skip numpy.require for nearly every argument."""
    return cnp.PyArray_CheckExact(a) and cnp.PyArray_ISCARRAY_RO(<cnp.ndarray>a)


def checksum(cnp.ndarray a):
    """(sum, xor) of a C-contiguous array's bytes read as 64-bit words (the tail zero-padded), in one
    pass with the GIL released: the fingerprint that lets backward tell its inputs changed."""
    if not a.flags.c_contiguous:
        raise ValueError("internal: checksum needs a C-contiguous array")
    cdef const unsigned char *p = <const unsigned char *>cnp.PyArray_DATA(a)
    cdef Py_ssize_t n = a.nbytes
    cdef uint64_t s = 0, x = 0
    with nogil:
        _checksum(p, n, &s, &x)
    return s, x


def pooled_empty(Py_ssize_t n, dtype):
    """A fresh (n,) array of dtype, uninitialised, whose memory comes from the scratch pool."""
    dtype = np.dtype(dtype)
    if n == 0:
        return np.empty(0, dtype)
    return np.frombuffer(_PooledBuffer(n * dtype.itemsize), dtype=dtype, count=n)


def workspace_size(cell, int64_t T, int64_t B, int64_t H):
    """Elements of a training workspace, or -1 when the size overflows int64."""
    return _WS_SIZE[<int>cells.get(cell).index](T, B, H)


cdef int _forward_args(rk_cell_args *a, spec, str activation, x, w_ih, w_hh, b_ih, b_hh, h0,
                       c0, lengths, y, hT, cT, ws, bint reverse) except -1:
    cdef int64_t T = x.shape[0], B = x.shape[1], I = x.shape[2], H = w_hh.shape[1]
    cdef int64_t GH = spec.G * H
    cdef bint has_cell = spec.has_cell
    dt = x.dtype
    memset(a, 0, sizeof(rk_cell_args))
    a.T, a.B, a.In, a.H = T, B, I, H
    a.activation = _activation(activation)
    a.reverse = reverse
    a.x = _data(x, dt, T * B * I, "x")
    a.w_ih = _data(w_ih, dt, GH * I, "w_ih")
    a.w_hh = _data(w_hh, dt, GH * H, "w_hh")
    a.b_ih = _data(b_ih, dt, GH, "b_ih")
    a.b_hh = _data(b_hh, dt, GH, "b_hh")
    a.h0 = _data(h0, dt, B * H, "h0")
    a.c0 = _data(c0, dt, B * H, "c0") if has_cell else NULL
    a.lengths = <const int64_t *>_data(lengths, np.int64, B, "lengths")
    a.y = _out(y, dt, T * B * H, "y")
    a.hT = _out(hT, dt, B * H, "hT")
    a.cT = _out(cT, dt, B * H, "cT") if has_cell else NULL
    a.ws = _out(ws, dt, workspace_size(spec, T, B, H), "ws") if ws is not None else NULL
    return 0


cdef int _backward_args(rk_cell_args *a, spec, str activation, x, w_ih, w_hh, lengths, ws, dy,
                        dhT, dcT, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0, dh_norms,
                        bint reverse) except -1:
    cdef int64_t T = x.shape[0], B = x.shape[1], I = x.shape[2], H = w_hh.shape[1]
    cdef int64_t GH = spec.G * H
    cdef bint has_cell = spec.has_cell
    dt = x.dtype
    memset(a, 0, sizeof(rk_cell_args))
    a.T, a.B, a.In, a.H = T, B, I, H
    a.activation = _activation(activation)
    a.reverse = reverse
    a.x = _data(x, dt, T * B * I, "x")
    a.w_ih = _data(w_ih, dt, GH * I, "w_ih")
    a.w_hh = _data(w_hh, dt, GH * H, "w_hh")
    a.lengths = <const int64_t *>_data(lengths, np.int64, B, "lengths")
    a.ws = _data(ws, dt, workspace_size(spec, T, B, H), "ws")
    a.dy = _data(dy, dt, T * B * H, "dy")
    a.dhT = _data(dhT, dt, B * H, "dhT")
    a.dcT = _data(dcT, dt, B * H, "dcT") if has_cell else NULL
    a.dx = _out(dx, dt, T * B * I, "dx")
    a.dw_ih = _out(dw_ih, dt, GH * I, "dw_ih")
    a.dw_hh = _out(dw_hh, dt, GH * H, "dw_hh")
    a.db_ih = _out(db_ih, dt, GH, "db_ih")
    a.db_hh = _out(db_hh, dt, GH, "db_hh")
    a.dh0 = _out(dh0, dt, B * H, "dh0")
    a.dc0 = _out(dc0, dt, B * H, "dc0") if has_cell else NULL
    a.dh_norms = _out(dh_norms, dt, T * B, "dh_norms") if dh_norms is not None else NULL
    return 0


def cell_forward(str cell, str activation, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths,
                 y, hT, cT, ws, bint reverse=False):
    """Whole-sequence forward; every array already validated, outputs allocated (ws None = inference)."""
    spec = cells.get(cell)
    cdef int ci = spec.index
    cdef rk_cell_args a
    _forward_args(&a, spec, activation, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, y, hT, cT, ws,
                  reverse)
    dt = x.dtype
    cdef cell_fn fn = _CELL_FNS[ci][0 if dt == np.float32 else 1][0]
    cdef int st
    cdef bint verbose = _verbose_level != 0
    cdef double t0, t1
    with nogil:
        t0 = _clock(verbose)
        st = fn(&a)
        t1 = _clock(verbose)
    _check_status(st, f"{cell}_forward")
    if verbose:
        _verbose.cell(cell, activation, "forward_training" if ws is not None else "forward_inference",
                      a.T, a.B, a.In, a.H, dt.name, ISA_NAMES[rk_isa_active()], rk_get_num_threads(),
                      t1 - t0)


def cell_backward(str cell, str activation, x, w_ih, w_hh, lengths, ws, dy, dhT, dcT,
                  dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0, dh_norms, bint reverse=False):
    """Whole-sequence BPTT; every array already validated, every gradient allocated."""
    spec = cells.get(cell)
    cdef int ci = spec.index
    cdef rk_cell_args a
    _backward_args(&a, spec, activation, x, w_ih, w_hh, lengths, ws, dy, dhT, dcT, dx, dw_ih, dw_hh,
                   db_ih, db_hh, dh0, dc0, dh_norms, reverse)
    dt = x.dtype
    cdef cell_fn fn = _CELL_FNS[ci][0 if dt == np.float32 else 1][1]
    cdef int st
    cdef bint verbose = _verbose_level != 0
    cdef double t0, t1
    with nogil:
        t0 = _clock(verbose)
        st = fn(&a)
        t1 = _clock(verbose)
    _check_status(st, f"{cell}_backward")
    if verbose:
        _verbose.cell(cell, activation, "backward", a.T, a.B, a.In, a.H, dt.name,
                      ISA_NAMES[rk_isa_active()], rk_get_num_threads(), t1 - t0)


cdef _run_pair(int ci, int which, rk_cell_args *a, dt, dt_second, str cell, str activation,
               str mode):
    # one pair call (which: 0 forward, 1 backward) on a[0], a[1], its status and verbose line
    if dt_second != dt:
        raise ValueError(f"internal: both directions must be {dt}")
    cdef cell_fn fn = _PAIR_FNS[ci][0 if dt == np.float32 else 1][which]
    cdef int st
    cdef bint verbose = _verbose_level != 0
    cdef double t0, t1
    with nogil:
        t0 = _clock(verbose)
        st = fn(a)
        t1 = _clock(verbose)
    _check_status(st, f"{cell}_{('forward', 'backward')[which]}")
    if verbose:
        _verbose.cell(cell, activation, mode + "_pair", a[0].T, a[0].B, a[0].In, a[0].H, dt.name,
                      ISA_NAMES[rk_isa_active()], rk_get_num_threads(), t1 - t0)


def cell_forward_pair(str cell, str activation, tuple first, tuple second):
    """Two whole-sequence forwards of one cell at once (a layer's two directions), each `first` and
    `second` the arguments of cell_forward after the activation, validated and allocated; both of
    x's dtype."""
    spec = cells.get(cell)
    cdef int ci = spec.index
    cdef rk_cell_args a[2]
    cdef int d
    for d, args in enumerate((first, second)):
        x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, y, hT, cT, ws, reverse = args
        _forward_args(&a[d], spec, activation, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, y, hT,
                      cT, ws, reverse)
    _run_pair(ci, 0, a, first[0].dtype, second[0].dtype, cell, activation,
              "forward_training" if first[11] is not None else "forward_inference")


def cell_backward_pair(str cell, str activation, tuple first, tuple second):
    """The backwards of cell_forward_pair's two forwards at once; `first` and `second` the arguments
    of cell_backward after the activation, in its order (dh_norms, then reverse, last)."""
    spec = cells.get(cell)
    cdef int ci = spec.index
    cdef rk_cell_args a[2]
    cdef int d
    for d, args in enumerate((first, second)):
        (x, w_ih, w_hh, lengths, ws, dy, dhT, dcT, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0,
         dh_norms, reverse) = args
        _backward_args(&a[d], spec, activation, x, w_ih, w_hh, lengths, ws, dy, dhT, dcT, dx,
                       dw_ih, dw_hh, db_ih, db_hh, dh0, dc0, dh_norms, reverse)
    _run_pair(ci, 1, a, first[0].dtype, second[0].dtype, cell, activation, "backward")


def cell_jvp(str cell, str activation, x, w_ih, w_hh, lengths, ws, dx, dw_ih, dw_hh, db_ih, db_hh,
             dh0, dc0, ry, rhT, rcT):
    """Whole-sequence forward-mode product over a training workspace; tangents validated (None:
    zero), outputs ry, rhT (rcT) allocated."""
    spec = cells.get(cell)
    cdef int ci = spec.index
    cdef bint has_cell = spec.has_cell
    cdef rk_cell_args a
    cdef int64_t T = x.shape[0], B = x.shape[1], I = x.shape[2], H = w_hh.shape[1]
    cdef int64_t GH = spec.G * H
    dt = x.dtype
    memset(&a, 0, sizeof(rk_cell_args))  # reverse, and any field added later, start at zero
    a.T, a.B, a.In, a.H = T, B, I, H
    a.activation = _activation(activation)
    a.x = _data(x, dt, T * B * I, "x")
    a.w_ih = _data(w_ih, dt, GH * I, "w_ih")
    a.w_hh = _data(w_hh, dt, GH * H, "w_hh")
    a.b_ih = a.b_hh = a.h0 = a.c0 = NULL
    a.lengths = <const int64_t *>_data(lengths, np.int64, B, "lengths")
    a.ws = _data(ws, dt, workspace_size(cell, T, B, H), "ws")
    a.dy = a.dhT = a.dcT = NULL
    a.dx = _data(dx, dt, T * B * I, "dx")
    a.dw_ih = _data(dw_ih, dt, GH * I, "dw_ih")
    a.dw_hh = _data(dw_hh, dt, GH * H, "dw_hh")
    a.db_ih = _data(db_ih, dt, GH, "db_ih")
    a.db_hh = _data(db_hh, dt, GH, "db_hh")
    a.dh0 = _data(dh0, dt, B * H, "dh0")
    a.dc0 = _data(dc0, dt, B * H, "dc0") if has_cell else NULL
    a.dh_norms = NULL
    a.y = _out(ry, dt, T * B * H, "ry")
    a.hT = _out(rhT, dt, B * H, "rhT")
    a.cT = _out(rcT, dt, B * H, "rcT") if has_cell else NULL
    cdef cell_fn fn = _JVP_FNS[ci][0 if dt == np.float32 else 1]
    cdef int st
    cdef bint verbose = _verbose_level != 0
    cdef double t0, t1
    with nogil:
        t0 = _clock(verbose)
        st = fn(&a)
        t1 = _clock(verbose)
    _check_status(st, f"{cell}_jvp")
    if verbose:
        _verbose.cell(cell, activation, "jvp", T, B, I, H, dt.name, ISA_NAMES[rk_isa_active()],
                      rk_get_num_threads(), t1 - t0)


# ==== activations (csrc/act): private, for tests and benchmarks ==================================
# Not public API. rk_act_apply is an internal symbol of the static core library (csrc/internal.h),
# linked into this module; it runs one ISA's act_row kernel through that ISA's kernel table.

cdef extern from *:
    """
    #include <stdint.h>
    int rk_act_apply(int isa, int op, int f64, int64_t n, const void *x, void *y);
    """
    int rk_act_apply(int isa, int op, int f64, int64_t n, const void *x, void *y) nogil

# index = rk_act_op; the d* derivatives take the activation's output y
ACT_OPS = ("tanh", "relu", "sigmoid", "dtanh", "drelu", "dsigmoid")


def activation(str name, str isa, x, out):
    """out[:] = name(x) with `isa`'s vector code (any ISA this CPU runs, whichever is active);
    x and out: C-contiguous arrays of one float dtype and size (out may be x)."""
    if name not in ACT_OPS:
        raise ValueError(f"name: expected one of {', '.join(map(repr, ACT_OPS))}, got {name!r}")
    if not isinstance(x, np.ndarray) or x.dtype not in (np.float32, np.float64):
        raise TypeError("x: expected a float32 or float64 numpy.ndarray")
    cdef int op = ACT_OPS.index(name)
    cdef rk_isa i = _isa(isa)
    cdef int64_t n = x.size
    cdef bint f64 = x.dtype == np.float64
    cdef const void *px = _data(x, x.dtype, n, "x")
    cdef void *py = _out(out, x.dtype, n, "out")
    cdef int st
    with nogil:
        st = rk_act_apply(i, op, f64, n, px, py)
    _check_status(st, f"activation {name} on {isa}")


# ==== the function table, for rnnkern.cython_api =================================================
from cpython.pycapsule cimport PyCapsule_New


def api_capsule():
    """The C API's function table (rk_api) in a capsule named "rnnkern.rk_api_table": how
    rnnkern.cython_api reaches the kernels of this module's copy of the library."""
    return PyCapsule_New(<void *>rk_api(), b"rnnkern.rk_api_table", NULL)
