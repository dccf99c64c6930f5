# cython: language_level=3, boundscheck=False, wraparound=False
"""The hot paths of packed-weight handles and streams (rnnkern.packed, rnnkern.stream), on
rnnkern.cython_api. A call's own checks are a few tests of type, dtype, shape and layout; an
argument that fails them goes through the functional API's validation, which names it (or
copies it, when it is only non-contiguous) before any work."""
cimport numpy as cnp
from libc.stdint cimport int64_t, uintptr_t
from libc.string cimport memset
import numpy as np

from rnnkern._ext cimport rk_cell_args, rk_activation, rk_cell, rk_api_table, RK_OK, RK_ERR_NOMEM
from rnnkern cimport cython_api as capi
from rnnkern import _ext, cells, functional, _validate as v

cnp.import_array()
cdef const rk_api_table *_api = capi.api_table()


cdef inline bint _fits(object a, int type_num, int nd, int64_t d0, int64_t d1, int64_t d2):
    # a: an exact, aligned, native, C-contiguous ndarray of type_num and shape (d0[, d1[, d2]])
    # (-1: any extent)
    if not cnp.PyArray_CheckExact(a):
        return False
    cdef cnp.ndarray arr = <cnp.ndarray>a
    if cnp.PyArray_TYPE(arr) != type_num or not cnp.PyArray_ISCARRAY_RO(arr) \
            or cnp.PyArray_NDIM(arr) != nd:
        return False
    cdef cnp.npy_intp *d = cnp.PyArray_DIMS(arr)
    return (d0 < 0 or d[0] == d0) and (nd < 2 or d1 < 0 or d[1] == d1) and \
        (nd < 3 or d2 < 0 or d[2] == d2)


cdef inline void *_ptr(object a):
    return NULL if a is None else cnp.PyArray_DATA(<cnp.ndarray>a)


cdef int _raise_status(int st, str what) except -1:
    if st == RK_OK:
        return 0
    if st == RK_ERR_NOMEM:
        raise MemoryError(f"{what}: out of memory")
    raise RuntimeError(f"{what}: status {st}")


cdef class PackedWeights:
    """Weights of one cell packed once for the active SIMD path and dtype (rnnkern.pack_lstm,
    pack_gru, pack_rnn); read-only, so the threads of many calls may share it."""
    cdef readonly str cell, activation, isa
    cdef readonly int64_t input_size, hidden_size
    cdef readonly object dtype
    cdef readonly object w_ih, w_hh, b_ih, b_hh  # frozen copies, which workspaces refer to
    cdef int ci, f64, type_num, isa_index
    cdef rk_activation act
    cdef object _buf  # bytes of the packed weights, 64-byte aligned at _p
    cdef void *_p

    def __init__(self, str cell, str activation, w_ih, w_hh, b_ih, b_hh):
        # arrays already validated (rnnkern.packed): frozen C-contiguous copies of one dtype
        self.cell, self.activation = cell, activation
        self.ci = cells.get(cell).index
        self.act = <rk_activation><int>cells.ACTIVATIONS.index(activation)
        self._pack(w_ih, w_hh, b_ih, b_hh)

    def _pack(self, w_ih, w_hh, b_ih, b_hh):
        cdef int64_t I = w_ih.shape[1], H = w_hh.shape[1]
        dtype = w_hh.dtype
        cdef int64_t nbytes = _api.packed_size(<rk_cell>self.ci, dtype.itemsize, I, H)
        if nbytes < 0:
            raise ValueError(f"sizes (I, H) = ({I}, {H}) too large to pack")
        # update() packs into the same bytes when the size allows
        buf = self._buf if self._buf is not None and self._buf.nbytes == nbytes + 64 else \
            np.empty(nbytes + 64, np.uint8)
        cdef char *base = <char *>cnp.PyArray_DATA(<cnp.ndarray>buf)
        cdef void *p = base + (64 - <uintptr_t>base % 64) % 64
        cdef rk_cell_args a
        memset(&a, 0, sizeof(a))
        a.In, a.H = I, H
        a.w_ih, a.w_hh, a.b_ih, a.b_hh = _ptr(w_ih), _ptr(w_hh), _ptr(b_ih), _ptr(b_hh)
        cdef int f64 = dtype.itemsize == 8
        cdef int st
        with nogil:
            st = _api.pack[self.ci][f64](&a, p, nbytes)
        _raise_status(st, f"pack_{self.cell}")
        self.w_ih, self.w_hh, self.b_ih, self.b_hh = w_ih, w_hh, b_ih, b_hh
        self.input_size, self.hidden_size, self.dtype = I, H, dtype
        self.f64, self.type_num = f64, dtype.num
        self.isa_index = _api.isa_active()
        self.isa = _ext.ISA_NAMES[self.isa_index]
        self._buf, self._p = buf, p

    def update(self, w_ih, w_hh, b_ih=None, b_hh=None):
        """Packs new weights of the same cell (after an optimiser step) into this handle, for the
        active SIMD path; never while a forward on it runs."""
        from rnnkern.packed import checked_weights
        self._pack(*checked_weights(self.cell, w_ih, w_hh, b_ih, b_hh))

    @property
    def nbytes(self):
        """Bytes of the packed weights."""
        return self._buf.nbytes - 64

    cdef int _check_isa(self) except -1:
        if _api.isa_active() != self.isa_index:
            raise RuntimeError(
                f"these {self.cell} weights were packed for the {self.isa} path, but "
                f"{_ext.ISA_NAMES[_api.isa_active()]} is active now: call update() with the "
                f"weights, or pack them again, under the active path")
        return 0

    def forward(self, x, h0=None, c0=None, lengths=None, training=False, out=None):
        """The functional forward on the packed weights: x (T, B, I) -> (y, hT, cT, ws) for an
        LSTM, (y, hT, ws) otherwise; out (T, B, H), when given, receives y."""
        self._check_isa()
        cdef int64_t I = self.input_size, H = self.hidden_size, T = 0, B = 0
        cdef bint lstm = self.ci == 0
        if c0 is not None and not lstm:
            raise ValueError(f"c0: a {self.cell.upper()} has no cell state; pass c0=None")
        # the fast path: no lengths (so no padding to zero) and arrays as the kernel takes them
        cdef bint fast = lengths is None and _fits(x, self.type_num, 3, -1, -1, I)
        cdef int64_t ws_elems = 0
        if fast:
            T, B = x.shape[0], x.shape[1]
            fast = (h0 is None or _fits(h0, self.type_num, 2, B, H, 0)) and \
                (c0 is None or _fits(c0, self.type_num, 2, B, H, 0))
            if fast and training:  # an overflowing size takes the checks that name it
                ws_elems = _ext.workspace_size(self.cell, T, B, H)
                fast = 0 <= ws_elems <= v.MAX_ELEMENTS
        if not fast:
            x, _ = v.sequence(x)
            x = v.float_array("x", x, self.dtype, like="the packed weights")
            if x.shape[2] != I:
                raise ValueError(f"x: expected shape (T, B, I) with I = {I}, the packed weights' "
                                 f"input size, got {x.shape}")
            x, h0, c0, lengths = functional._states(self.cell, x, H, h0, c0, lengths, training)
            T, B = x.shape[0], x.shape[1]
        dt = self.dtype
        if out is None:
            y = np.empty((T, B, H), dt)
        else:
            y = v.out_array("out", out, "(T, B, H)", (T, B, H), dt,
                            inputs=(("x", x), ("h0", h0), ("c0", c0)))
        hT = np.empty((B, H), dt)
        cT = np.empty((B, H), dt) if lstm else None
        if training and not fast:
            ws_elems = _ext.workspace_size(self.cell, T, B, H)
        ws = _ext.pooled_empty(ws_elems, dt) if training else None
        cdef rk_cell_args a
        memset(&a, 0, sizeof(a))
        a.T, a.B, a.In, a.H, a.activation = T, B, I, H, self.act
        a.x, a.h0, a.c0, a.lengths = _ptr(x), _ptr(h0), _ptr(c0), <const int64_t *>_ptr(lengths)
        a.y, a.hT, a.cT, a.ws = _ptr(y), _ptr(hT), _ptr(cT), _ptr(ws)
        cdef int st
        with nogil:
            st = _api.forward_packed[self.ci][self.f64](&a, self._p)
        _raise_status(st, f"{self.cell} forward on packed weights")
        if training:
            ws = functional.Workspace(self.cell, self.activation, x, self.w_ih, self.w_hh,
                                      lengths, ws)
        return (y, hT, cT, ws) if lstm else (y, hT, ws)


cdef class Stream:
    """One step at a time on packed weights, the state and every buffer kept (rnnkern.stream)."""
    cdef readonly PackedWeights handle
    cdef readonly int64_t batch_size
    cdef object _h, _c, _state
    cdef rk_cell_args _a  # the step's arguments, filled once: T = 1, the state in place

    def __init__(self, PackedWeights handle, batch_size):
        cdef int64_t B = v.count("batch_size", batch_size)
        self.handle, self.batch_size = handle, B
        dt, H = handle.dtype, handle.hidden_size
        self._h = np.zeros((B, H), dt)
        self._c = np.zeros((B, H), dt) if handle.ci == 0 else None
        views = [a.view() for a in (self._h, self._c) if a is not None]
        for view in views:
            view.flags.writeable = False
        self._state = tuple(views) if handle.ci == 0 else views[0]
        memset(&self._a, 0, sizeof(self._a))
        self._a.T, self._a.B, self._a.In, self._a.H = 1, B, handle.input_size, H
        self._a.activation = handle.act
        self._a.h0 = self._a.hT = _ptr(self._h)
        self._a.c0 = self._a.cT = _ptr(self._c)

    @property
    def state(self):
        """h (B, H), or (h, c) for an LSTM: read-only views of the state, which steps advance."""
        return self._state

    def reset(self, h0=None, c0=None):
        """Sets the state to h0 (and c0), or zeros."""
        B, H, dt = self.batch_size, self.handle.hidden_size, self.handle.dtype
        if c0 is not None and self._c is None:
            raise ValueError(f"c0: a {self.handle.cell.upper()} has no cell state; pass c0=None")
        for name, src, dst in (("h0", h0, self._h), ("c0", c0, self._c)):
            if dst is not None:
                src = v.shaped(name, src, "(B, H)", (B, H), dt, optional=True)
                dst[...] = 0 if src is None else src

    def step(self, x_t, out=None):
        """Advances one step on x_t (B, I); returns h_t (B, H): the state's read-only view, which
        the next step overwrites, or `out` (B, H) filled with it. Allocates nothing."""
        self.handle._check_isa()
        cdef int64_t B = self.batch_size, I = self.handle.input_size, H = self.handle.hidden_size
        cdef int tn = self.handle.type_num
        if not _fits(x_t, tn, 2, B, I, 0):
            x_t = v.contiguous(v.shaped("x_t", x_t, "(B, I)", (B, I), self.handle.dtype))[0]
        if out is not None and not (_fits(out, tn, 2, B, H, 0) and out.flags.writeable):
            v.out_array("out", out, "(B, H)", (B, H), self.handle.dtype)
        self._a.x = _ptr(x_t)
        self._a.y = _ptr(self._h if out is None else out)
        cdef int st
        with nogil:
            st = _api.forward_packed[self.handle.ci][self.handle.f64](&self._a, self.handle._p)
        if st != RK_OK:
            _raise_status(st, f"{self.handle.cell} stream step")
        if out is not None:
            return out
        return self._state[0] if self._c is not None else self._state

    def run(self, x_chunk, out=None):
        """Advances len(x_chunk) steps in one kernel call on x_chunk (T, B, I); returns y (T, B, H)
        (in `out` when given)."""
        res = self.handle.forward(x_chunk, self._h, self._c, out=out)
        self._h[...] = res[1]
        if self._c is not None:
            self._c[...] = res[2]
        return res[0]
