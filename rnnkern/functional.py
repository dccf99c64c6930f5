"""The functional API: one forward, one backward and one forward-mode product (jvp) per cell kind,
NumPy arrays in and out.

Layouts (docs/architecture.md, "Tensors and layouts"): x (T, B, I) time-major; w_ih (G*H, I), w_hh (G*H, H), b_ih, b_hh (G*H,) in
PyTorch's layout and gate order (LSTM i,f,g,o; GRU r,z,n; RNN G=1); h0, c0 (B, H); y (T, B, H).
Missing biases and initial states are zeros; missing dy / dhT / dcT are zeros. With `lengths` (B,),
outputs past a sequence's end are zero and hT / cT are the state at its last valid step.
Inputs are used in place when C-contiguous and copied otherwise; outputs are always fresh arrays.
A training forward returns a Workspace for backward; it refers to x, w_ih and w_hh without copying,
so change them only after backward.
reverse=True runs each sequence from its own last valid step (lengths[b] - 1) back to 0, reading x
where it lies: y keeps x's time index (zero past a sequence's end), hT is the state after step 0.
The backward of a reversed forward is reversed too (its workspace says so).
"""
import math

import numpy as np

from . import _ext, _validate as v, cells
from .grads import GRUGrads, LSTMGrads, RNNGrads


class Workspace:
    """What a training forward saves for its backward (layout: csrc/include/rnnkern.h). Opaque."""

    __slots__ = ("cell", "activation", "x", "w_ih", "w_hh", "lengths", "buffer", "fingerprints",
                 "reverse")

    def __init__(self, cell, activation, x, w_ih, w_hh, lengths, buffer, reverse=False, guarded=True):
        self.cell, self.activation = cell, activation
        self.x, self.w_ih, self.w_hh, self.lengths, self.buffer = x, w_ih, w_hh, lengths, buffer
        # held without copying: backward refuses them if they were written meanwhile, unless the
        # caller guards them itself (guarded=False: the torch drop-in, by torch's version counters)
        self.fingerprints = [v.fingerprint(a) for a in (x, w_ih, w_hh)] if guarded else None
        self.reverse = bool(reverse)

    @property
    def nbytes(self):
        return self.buffer.nbytes

    def __repr__(self):
        T, B, I = self.x.shape
        return (f"<rnnkern.Workspace {self.cell}{' reverse' if self.reverse else ''} T={T} B={B} "
                f"I={I} H={self.w_hh.shape[1]} {self.x.dtype} {self.nbytes} bytes>")


# outputs from this many bytes up come from the kernels' scratch pool (and go back to it when the
# last array viewing them is gone): a fresh large np.empty is a fresh mmap whenever glibc has just
# trimmed its heap, and its first write a page fault per 4 KiB (121 per RNN 100,1,256,256 training
# call on 2 threads, 17% of its time)
_POOLED_BYTES = 1 << 16


def _fresh(shape, dtype):
    """An uninitialised array of shape and dtype, pooled when large"""
    n = math.prod(shape)  # np.prod of a tuple costs 4-5 us, more than the pooled allocation
    if n * dtype.itemsize < _POOLED_BYTES:
        return np.empty(shape, dtype)
    return _ext.pooled_empty(n, dtype).reshape(shape)


def _states(cell, x, H, h0, c0, lengths, training, padding_zero=False):
    """h0, c0 (LSTM) and lengths checked against x (T, B, I) and H -> (x, h0, c0, lengths), x, h0
    and c0 C-contiguous; a training forward's x has its padding zeroed (unless the caller vouches that it is:
    padding_zero, the torch drop-in's unpacked PackedSequence). Also for packed weights."""
    spec = cells.get(cell)
    T, B, I = x.shape
    dtype = x.dtype
    h0 = v.shaped("h0", h0, "(B, H)", (B, H), dtype, optional=True)
    if spec.has_cell:
        c0 = v.shaped("c0", c0, "(B, H)", (B, H), dtype, optional=True)
    lengths = v.lengths_array(lengths, T, B)
    v.sizes(T, B, I, H, spec.G, _ext.workspace_size(cell, T, B, H))
    x, h0, c0 = v.contiguous(x, h0, c0)
    if training and not padding_zero and lengths is not None and np.any(lengths < T):
        # padding never reaches a gradient, even when it holds NaN or Inf
        x = np.where((np.arange(T)[:, None] < lengths[None, :])[:, :, None], x, x.dtype.type(0))
    return x, h0, c0, lengths


def _forward_args(cell, activation, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, training, reverse,
                  padding_zero):
    """Validated inputs and fresh outputs of one forward: the arguments of _ext.cell_forward after
    the activation, (x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, y, hT, cT, buffer, reverse)."""
    spec = cells.get(cell)
    reverse = v.flag("reverse", reverse)
    x, dtype = v.sequence(x)
    T, B, I = x.shape
    w_ih, w_hh, b_ih, b_hh, H = v.weights(w_ih, w_hh, b_ih, b_hh, spec.G, spec.gate_names, I, dtype)
    x, h0, c0, lengths = _states(cell, x, H, h0, c0, lengths, training, padding_zero)
    w_ih, w_hh, b_ih, b_hh = v.contiguous(w_ih, w_hh, b_ih, b_hh)
    short = training and lengths is not None and bool(np.any(lengths < T))

    y = _fresh((T, B, H), dtype)
    hT = np.empty((B, H), dtype)
    cT = np.empty((B, H), dtype) if spec.has_cell else None
    # from the kernels' scratch pool: a training loop reuses the last step's memory
    buf = _ext.pooled_empty(_ext.workspace_size(cell, T, B, H), dtype) if training else None
    if short:  # gates past a sequence's end are never written: zeros make ws a function of the inputs
        buf.fill(0)
    return x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, y, hT, cT, buf, reverse


def _forward_results(cell, activation, args, guarded=True):
    """(y, hT, cT, ws) of a forward run on _forward_args' arguments"""
    x, w_ih, w_hh, _, _, _, _, lengths, y, hT, cT, buf, reverse = args
    ws = Workspace(cell, activation, x, w_ih, w_hh, lengths, buf, reverse, guarded) \
        if buf is not None else None
    return y, hT, cT, ws


def _forward(cell, activation, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, training, reverse,
             padding_zero=False, guarded=True):
    args = _forward_args(cell, activation, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, training,
                         reverse, padding_zero)
    _ext.cell_forward(cell, activation, *args)
    return _forward_results(cell, activation, args, guarded)


def _forward_pair(cell, activation, x, weights, h0, c0, lengths, training, padding_zero=False,
                  guarded=True):
    """A bidirectional layer in one C call: weights, h0 and c0 are pairs (forward direction, reversed
    direction), each as _forward takes it -> [(y, hT, cT, ws) forward, (y, hT, cT, ws) reversed].
    The two loops run at once, each on part of the threads; each result is bitwise _forward's."""
    first = _forward_args(cell, activation, x, *weights[0], h0[0], c0[0], lengths, training, False,
                          padding_zero)
    # x as the first direction left it: checked, contiguous, its padding zeroed when training
    second = _forward_args(cell, activation, first[0], *weights[1], h0[1], c0[1], lengths, training,
                           True, True)
    _ext.cell_forward_pair(cell, activation, first, second)
    return [_forward_results(cell, activation, args, guarded) for args in (first, second)]


def _backward_args(cell, ws, dy, dhT, dcT, dh_norms_out, reverse):
    """Checked inputs and fresh gradients of one backward -> (the arguments of _ext.cell_backward
    after the activation, in its order, the gradients by name)."""
    if not isinstance(ws, Workspace):
        raise TypeError(f"ws: expected the workspace returned by {cell}_forward(..., training=True), "
                        f"got {type(ws).__name__}")
    if ws.cell != cell:
        raise ValueError(f"ws: this workspace was made by {ws.cell}_forward; pass it to "
                         f"{ws.cell}_backward, not {cell}_backward")
    if reverse is not None and v.flag("reverse", reverse) != ws.reverse:
        raise ValueError(f"reverse: expected {ws.reverse} (the workspace's forward ran with "
                         f"reverse={ws.reverse}), got {reverse}")
    x, w_ih, w_hh = ws.x, ws.w_ih, ws.w_hh
    if ws.fingerprints is not None:
        v.unchanged("ws", cell, (("x", x), ("w_ih", w_ih), ("w_hh", w_hh)), ws.fingerprints)
    T, B, I = x.shape
    H, dtype = w_hh.shape[1], x.dtype
    has_cell = cells.get(cell).has_cell
    dy = v.shaped("dy", dy, "(T, B, H)", (T, B, H), dtype, optional=True)
    dhT = v.shaped("dhT", dhT, "(B, H)", (B, H), dtype, optional=True)
    if has_cell:
        dcT = v.shaped("dcT", dcT, "(B, H)", (B, H), dtype, optional=True)
    dy, dhT, dcT = v.contiguous(dy, dhT, dcT)
    if dh_norms_out is not None:
        v.out_array("dh_norms_out", dh_norms_out, "(T, B)", (T, B), dtype,
                    inputs=(("dy", dy), ("dhT", dhT), ("dcT", dcT), ("x", x), ("w_ih", w_ih),
                            ("w_hh", w_hh), ("the workspace", ws.buffer)))
    grads = dict(dx=_fresh(x.shape, dtype), dw_ih=_fresh(w_ih.shape, dtype),
                 dw_hh=_fresh(w_hh.shape, dtype),
                 db_ih=np.empty(w_hh.shape[0], dtype), db_hh=np.empty(w_hh.shape[0], dtype),
                 dh0=np.empty((B, H), dtype), dc0=np.empty((B, H), dtype) if has_cell else None)
    args = (x, w_ih, w_hh, ws.lengths, ws.buffer, dy, dhT, dcT, *grads.values(), dh_norms_out,
            ws.reverse)
    return args, grads


def _backward(cell, ws, dy, dhT, dcT, dh_norms_out, reverse):
    args, grads = _backward_args(cell, ws, dy, dhT, dcT, dh_norms_out, reverse)
    _ext.cell_backward(cell, ws.activation, *args)
    return grads


def _backward_pair(cell, ws, dy, dhT, dcT, dh_norms_out=(None, None)):
    """The backwards of _forward_pair's two directions in one C call: ws, dy, dhT, dcT and
    dh_norms_out are pairs, each as _backward takes it -> [grads forward, grads reversed]."""
    parts = [_backward_args(cell, ws[d], dy[d], dhT[d], dcT[d], dh_norms_out[d], None)
             for d in range(2)]
    if ws[1].activation != ws[0].activation:  # one call, one unit
        raise ValueError(f"ws: both directions' workspaces must come from one unit, got "
                         f"{ws[0].activation!r} and {ws[1].activation!r}")
    _ext.cell_backward_pair(cell, ws[0].activation, parts[0][0], parts[1][0])
    return [grads for _, grads in parts]


def _jvp(cell, ws, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0):
    if not isinstance(ws, Workspace):
        raise TypeError(f"ws: expected the workspace returned by {cell}_forward(..., training=True), "
                        f"got {type(ws).__name__}")
    if ws.cell != cell:
        raise ValueError(f"ws: this workspace was made by {ws.cell}_forward; pass it to "
                         f"{ws.cell}_jvp, not {cell}_jvp")
    if ws.reverse:
        raise ValueError(f"ws: {cell}_jvp takes the workspace of a forward with reverse=False; "
                         f"got one with reverse=True (not supported yet)")
    spec = cells.get(cell)
    x, w_ih, w_hh = ws.x, ws.w_ih, ws.w_hh
    T, B, I = x.shape
    H, dtype = w_hh.shape[1], x.dtype
    g = spec.rows()
    tangents = [v.shaped("dx", dx, "(T, B, I)", (T, B, I), dtype, optional=True),
                v.shaped("dw_ih", dw_ih, f"({g}, I)", w_ih.shape, dtype, optional=True),
                v.shaped("dw_hh", dw_hh, f"({g}, H)", w_hh.shape, dtype, optional=True),
                v.shaped("db_ih", db_ih, f"({g},)", (spec.G * H,), dtype, optional=True),
                v.shaped("db_hh", db_hh, f"({g},)", (spec.G * H,), dtype, optional=True),
                v.shaped("dh0", dh0, "(B, H)", (B, H), dtype, optional=True),
                v.shaped("dc0", dc0, "(B, H)", (B, H), dtype, optional=True) if spec.has_cell else None]
    ry, rhT = _fresh((T, B, H), dtype), np.empty((B, H), dtype)
    rcT = np.empty((B, H), dtype) if spec.has_cell else None
    _ext.cell_jvp(cell, ws.activation, x, w_ih, w_hh, ws.lengths, ws.buffer, *v.contiguous(*tangents),
                  ry, rhT, rcT)
    return ry, rhT, rcT


def lstm_forward(x, w_ih, w_hh, b_ih=None, b_hh=None, *, h0=None, c0=None, lengths=None, training=True,
                 reverse=False):
    """LSTM over a whole sequence: x (T,B,I) -> (y (T,B,H), hT (B,H), cT (B,H), ws).

    Gates i, f, g, o stacked on the rows of w_ih (4H, I) and w_hh (4H, H). ws is None unless training.
    reverse=True runs each sequence from its last valid step back to 0 (see the module's doc).
    """
    return _forward("lstm", "tanh", x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, training, reverse)


def lstm_backward(ws, dy=None, *, dhT=None, dcT=None, dh_norms_out=None, reverse=None):
    """BPTT through lstm_forward -> LSTMGrads(dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0).

    dy (T,B,H) may be zero on any subset of steps and units (the lecture's teaching signals).
    Bias gradients are returned even when forward had no biases (the gradient at zero bias).
    dh_norms_out, a (T, B) array of x's dtype, receives ||dL/dh_t|| for every step and sequence:
    how the gradient vanishes or explodes as it travels back in time (at almost no cost).
    reverse: the direction of the forward, which the workspace knows (None); when given, it must
    match. dx, dy and dh_norms_out keep x's time index either way.
    """
    return LSTMGrads(**_backward("lstm", ws, dy, dhT, dcT, dh_norms_out, reverse))


def lstm_jvp(ws, dx=None, dw_ih=None, dw_hh=None, db_ih=None, db_hh=None, dh0=None, dc0=None):
    """Forward-mode product through lstm_forward -> (dy (T,B,H), dhT, dcT (B,H)): the directional
    derivative of y, hT and cT along the given tangents of x, the weights, the biases and the
    initial state (each shaped like what it is the tangent of; missing ones are zero). One C
    call, the R-forward over the saved gates; ws is kept for the backward (and any other jvp).
    """
    return _jvp("lstm", ws, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0)


def gru_forward(x, w_ih, w_hh, b_ih=None, b_hh=None, *, h0=None, lengths=None, training=True,
                reverse=False):
    """GRU over a whole sequence: x (T,B,I) -> (y (T,B,H), hT (B,H), ws).

    Gates r, z, n as PyTorch: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1-z) n + z h.
    """
    y, hT, _, ws = _forward("gru", "tanh", x, w_ih, w_hh, b_ih, b_hh, h0, None, lengths, training,
                            reverse)
    return y, hT, ws


def gru_backward(ws, dy=None, *, dhT=None, dh_norms_out=None, reverse=None):
    """BPTT through gru_forward -> GRUGrads(dx, dw_ih, dw_hh, db_ih, db_hh, dh0); dh_norms_out and
    reverse as in lstm_backward."""
    g = _backward("gru", ws, dy, dhT, None, dh_norms_out, reverse)
    del g["dc0"]
    return GRUGrads(**g)


def gru_jvp(ws, dx=None, dw_ih=None, dw_hh=None, db_ih=None, db_hh=None, dh0=None):
    """Forward-mode product through gru_forward -> (dy (T,B,H), dhT (B,H)); as lstm_jvp."""
    return _jvp("gru", ws, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, None)[:2]


def rnn_forward(x, w_ih, w_hh, b_ih=None, b_hh=None, *, h0=None, lengths=None, activation="tanh",
                training=True, reverse=False):
    """Vanilla RNN h' = act(W_ih x + b_ih + W_hh h + b_hh), act tanh | relu | logistic:
    x (T,B,I) -> (y (T,B,H), hT (B,H), ws)."""
    activation = v.activation_name(activation)
    y, hT, _, ws = _forward("rnn", activation, x, w_ih, w_hh, b_ih, b_hh, h0, None, lengths, training,
                            reverse)
    return y, hT, ws


def rnn_backward(ws, dy=None, *, dhT=None, dh_norms_out=None, reverse=None):
    """BPTT through rnn_forward -> RNNGrads(dx, dw_ih, dw_hh, db_ih, db_hh, dh0); dh_norms_out and
    reverse as in lstm_backward."""
    g = _backward("rnn", ws, dy, dhT, None, dh_norms_out, reverse)
    del g["dc0"]
    return RNNGrads(**g)


def rnn_jvp(ws, dx=None, dw_ih=None, dw_hh=None, db_ih=None, db_hh=None, dh0=None):
    """Forward-mode product through rnn_forward -> (dy (T,B,H), dhT (B,H)); as lstm_jvp."""
    return _jvp("rnn", ws, dx, dw_ih, dw_hh, db_ih, db_hh, dh0, None)[:2]


def gemm(a, b, *, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, out=None):
    """alpha * op(a) @ op(b) + beta * out, op transposing when asked; float32 or float64, 2-D.

    `out` (M, N), when given, must be C-contiguous, writeable and of a's dtype; it is written in
    place and returned (never silently copied). Without `out`, beta must be 0.
    """
    a = v.float_array("a", a)
    if a.ndim != 2:
        raise ValueError(f"a: expected a 2-D array, got {a.ndim}-D shape {a.shape}")
    b = v.float_array("b", b, a.dtype, like="a")
    if b.ndim != 2:
        raise ValueError(f"b: expected a 2-D array, got {b.ndim}-D shape {b.shape}")
    M, K = (a.shape[1], a.shape[0]) if trans_a else a.shape
    Kb, N = (b.shape[1], b.shape[0]) if trans_b else b.shape
    if Kb != K:
        raise ValueError(f"b: op(a) is ({M}, {K}) so op(b) must have {K} rows, got op(b) shape ({Kb}, {N})")
    for name, val in (("alpha", alpha), ("beta", beta)):
        if isinstance(val, bool) or not isinstance(val, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}: expected a real number, got {type(val).__name__}")
    if max(M * N, M * K, K * N) > v.MAX_ELEMENTS:
        raise ValueError(f"sizes (M, N, K) = ({M}, {N}, {K}) too large: exceeds the limit of 2**59 elements")
    if out is None:
        if beta != 0:
            raise ValueError(f"beta: a nonzero beta ({beta}) needs out= to hold C")
        out = np.empty((M, N), a.dtype)
    else:
        v.out_array("out", out, "(M, N)", (M, N), a.dtype, inputs=(("a", a), ("b", b)))
    _ext.gemm(bool(trans_a), bool(trans_b), *v.contiguous(a, b), out, float(alpha), float(beta))
    return out
