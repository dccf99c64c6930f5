"""torch.library custom ops over rnnkern.functional: `rnnkern::forward` and `rnnkern::backward`, one
whole-sequence direction of one layer of any cell kind, and `rnnkern::forward_pair` /
`rnnkern::backward_pair`, a bidirectional layer's two directions in one C call (their loops run at
once), with fake kernels for torch.compile and autograd through register_autograd. Tensors cross to
NumPy without copies (CPU, float32/float64).

A custom op returns only tensors, so forward's workspace travels as a flat tensor output; every
element of it is defined (gates past a sequence's end are zeros), as opcheck compares all outputs.
"""
import inspect
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from .. import _ext, cells, functional as _fn

_EMPTY = (0,)
_PANEL = 16  # hidden units per panel: the workspace pads H to a multiple (rnnkern.h)


def _np(t):
    return None if t is None else t.detach().numpy()


def _ws_size(cell, T, B, H):
    """rk_<cell>_workspace_size as a formula, so fake kernels can size it for symbolic T, B, H:
    (T * per_step + extra) * B * Hp, Hp = H padded to a panel (rnnkern.h); the per-step and extra
    counts are read from the C sizes."""
    extra = _ext.workspace_size(cell, 0, 1, _PANEL) // _PANEL
    per_step = _ext.workspace_size(cell, 1, 1, _PANEL) // _PANEL - extra
    return (T * per_step + extra) * B * ((H + _PANEL - 1) // _PANEL * _PANEL)


def _forward_direction(cell, activation, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, reverse,
                       training, padding_zero):
    """One direction of a layer: reverse=True runs each sequence from its last valid step back to 0,
    in the kernels, reading x where it lies."""
    return _fn._forward(cell, activation, x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, training,
                        reverse, padding_zero=padding_zero, guarded=False)


def _backward_direction(cell, activation, x, w_ih, w_hh, lengths, ws, dy, dhT, dcT, reverse):
    """The backward of _forward_direction, from the workspace it returned."""
    return _fn._backward(cell, _fn.Workspace(cell, activation, np.ascontiguousarray(x), w_ih, w_hh,
                                             lengths, ws, reverse, guarded=False),
                         dy, dhT, dcT, None, reverse)


def _forward_impl(x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor],
                  b_hh: Optional[Tensor], h0: Tensor, c0: Optional[Tensor],
                  lengths: Optional[Tensor], cell: str, activation: str, reverse: bool,
                  training: bool, padding_zero: bool) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """x (T,B,I) -> y (T,B,H), hT (B,H), cT (B,H) (LSTM; else empty), ws (flat; empty unless
    training). lengths (B,) int64 or None; padding_zero: x is zero past every sequence's end."""
    L = _np(lengths)
    return _forward_tensors(x, *_forward_direction(cell, activation, _np(x), _np(w_ih), _np(w_hh),
                                                   _np(b_ih), _np(b_hh), _np(h0), _np(c0), L,
                                                   reverse, training, padding_zero))


def _forward_tensors(x, y, hT, cT, ws):
    """One direction's forward results as the ops return them: cT and ws empty when absent"""
    empty = x.new_empty(_EMPTY)
    return (torch.from_numpy(y), torch.from_numpy(hT),
            torch.from_numpy(cT) if cT is not None else empty,
            torch.from_numpy(ws.buffer) if ws is not None else empty.clone())


forward = torch.library.custom_op("rnnkern::forward", mutates_args=(),
                                  device_types="cpu")(_forward_impl)


@forward.register_fake
def _(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, cell, activation, reverse, training, padding_zero):
    return _forward_fake(x, w_hh, cell, training)


def _forward_fake(x, w_hh, cell, training):
    T, B, _ = x.shape
    H = w_hh.shape[1]
    return (x.new_empty((T, B, H)), x.new_empty((B, H)),
            x.new_empty((B, H) if cells.get(cell).has_cell else _EMPTY),
            x.new_empty((_ws_size(cell, T, B, H),) if training else _EMPTY))


def _backward_impl(ws: Tensor, x: Tensor, w_ih: Tensor, w_hh: Tensor, lengths: Optional[Tensor],
                   dy: Optional[Tensor], dhT: Optional[Tensor], dcT: Optional[Tensor], cell: str,
                   activation: str, reverse: bool
                   ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """BPTT through rnnkern::forward -> dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0 (LSTM; else empty).
    Missing dy / dhT / dcT mean zeros."""
    g = _backward_direction(cell, activation, _np(x), _np(w_ih),
                            _np(w_hh), _np(lengths), _np(ws), _np(dy), _np(dhT), _np(dcT), reverse)
    return _grad_tensors(x, g)


backward = torch.library.custom_op("rnnkern::backward", mutates_args=(),
                                   device_types="cpu")(_backward_impl)


def _grad_tensors(x, g):
    """One direction's gradients as the ops return them: dc0 empty but for LSTM"""
    dc0 = g["dc0"]
    return tuple(torch.from_numpy(g[k]) for k in ("dx", "dw_ih", "dw_hh", "db_ih", "db_hh", "dh0")) + (
        torch.from_numpy(dc0) if dc0 is not None else x.new_empty(_EMPTY),)


@backward.register_fake
def _(ws, x, w_ih, w_hh, lengths, dy, dhT, dcT, cell, activation, reverse):
    return _backward_fake(x, w_ih, w_hh, cell)


def _backward_fake(x, w_ih, w_hh, cell):
    B, H = x.shape[1], w_hh.shape[1]
    return (torch.empty_like(x), torch.empty_like(w_ih), torch.empty_like(w_hh),
            w_hh.new_empty(w_hh.shape[0]), w_hh.new_empty(w_hh.shape[0]), x.new_empty((B, H)),
            x.new_empty((B, H) if cells.get(cell).has_cell else _EMPTY))


def _setup_context(ctx, inputs, output):
    x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, cell, activation, reverse, training, _ = inputs
    # saved tensors carry their version counters: weights changed in place before backward raise
    ctx.save_for_backward(x, w_ih, w_hh, lengths, output[3])
    ctx.cell, ctx.activation, ctx.reverse, ctx.training = cell, activation, reverse, training
    ctx.has_bias = (b_ih is not None, b_hh is not None)
    ctx.set_materialize_grads(False)  # an unused output (the workspace) costs no zero gradient


def _backward_autograd(ctx, dy, dhT, dcT, _dws):
    if not ctx.training:
        raise RuntimeError("rnnkern::forward ran with training=False, so it saved no workspace "
                           "for backward; call it with training=True")
    x, w_ih, w_hh, lengths, ws = ctx.saved_tensors
    lstm = cells.get(ctx.cell).has_cell
    dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0 = _backward_op(ctx, backward, _backward_impl)(
        ws, x, w_ih, w_hh, lengths, dy, dhT, dcT if lstm else None, ctx.cell, ctx.activation,
        ctx.reverse)
    return (dx, dw_ih, dw_hh, db_ih if ctx.has_bias[0] else None, db_hh if ctx.has_bias[1] else None,
            dh0, dc0 if lstm else None, None, None, None, None, None, None)


forward.register_autograd(_backward_autograd, setup_context=_setup_context)


def _no_double_backward(ctx, *grads):
    raise RuntimeError("rnnkern.torch: double backward (create_graph=True through an rnnkern "
                       "backward) is not supported; use torch.nn's implementation for it")


def _setup_backward(ctx, inputs, output):
    pass


backward.register_autograd(_no_double_backward, setup_context=_setup_backward)


# ---- a bidirectional layer: both directions in one call ------------------------------------------

def _forward_pair_impl(x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor],
                       b_hh: Optional[Tensor], w_ih_r: Tensor, w_hh_r: Tensor,
                       b_ih_r: Optional[Tensor], b_hh_r: Optional[Tensor], h0: Tensor,
                       h0_r: Tensor, c0: Optional[Tensor], c0_r: Optional[Tensor],
                       lengths: Optional[Tensor], cell: str, activation: str, training: bool,
                       padding_zero: bool
                       ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """rnnkern::forward of a layer's forward direction and, its parameters and states named `_r`,
    of its reversed one, at once -> y, hT, cT, ws, y_r, hT_r, cT_r, ws_r."""
    outs = _fn._forward_pair(cell, activation, _np(x),
                             ((_np(w_ih), _np(w_hh), _np(b_ih), _np(b_hh)),
                              (_np(w_ih_r), _np(w_hh_r), _np(b_ih_r), _np(b_hh_r))),
                             (_np(h0), _np(h0_r)), (_np(c0), _np(c0_r)), _np(lengths), training,
                             padding_zero, guarded=False)
    return _forward_tensors(x, *outs[0]) + _forward_tensors(x, *outs[1])


forward_pair = torch.library.custom_op("rnnkern::forward_pair", mutates_args=(),
                                       device_types="cpu")(_forward_pair_impl)


@forward_pair.register_fake
def _(x, w_ih, w_hh, b_ih, b_hh, w_ih_r, w_hh_r, b_ih_r, b_hh_r, h0, h0_r, c0, c0_r, lengths, cell,
      activation, training, padding_zero):
    return _forward_fake(x, w_hh, cell, training) + _forward_fake(x, w_hh_r, cell, training)


def _backward_pair_impl(ws: Tensor, ws_r: Tensor, x: Tensor, w_ih: Tensor, w_hh: Tensor,
                        w_ih_r: Tensor, w_hh_r: Tensor, lengths: Optional[Tensor],
                        dy: Optional[Tensor], dy_r: Optional[Tensor], dhT: Optional[Tensor],
                        dhT_r: Optional[Tensor], dcT: Optional[Tensor], dcT_r: Optional[Tensor],
                        cell: str, activation: str
                        ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor,
                                   Tensor, Tensor, Tensor, Tensor, Tensor]:
    """BPTT through rnnkern::forward_pair, both directions at once -> dx (the two directions'
    sum), dw_ih, dw_hh, db_ih, db_hh, dh0, dc0, then the same six for the reversed direction."""
    xn, L = np.ascontiguousarray(_np(x)), _np(lengths)
    grads = _fn._backward_pair(
        cell, [_fn.Workspace(cell, activation, xn, _np(w), _np(u), L, _np(b), d == 1, guarded=False)
               for d, (w, u, b) in enumerate(((w_ih, w_hh, ws), (w_ih_r, w_hh_r, ws_r)))],
        (_np(dy), _np(dy_r)), (_np(dhT), _np(dhT_r)), (_np(dcT), _np(dcT_r)))
    g, g_r = (_grad_tensors(x, gd) for gd in grads)
    return (g[0] + g_r[0],) + g[1:] + g_r[1:]


backward_pair = torch.library.custom_op("rnnkern::backward_pair", mutates_args=(),
                                        device_types="cpu")(_backward_pair_impl)


@backward_pair.register_fake
def _(ws, ws_r, x, w_ih, w_hh, w_ih_r, w_hh_r, lengths, dy, dy_r, dhT, dhT_r, dcT, dcT_r, cell,
      activation):
    return _backward_fake(x, w_ih, w_hh, cell) + _backward_fake(x, w_ih_r, w_hh_r, cell)[1:]


def _setup_context_pair(ctx, inputs, output):
    x, w_ih, w_hh, b_ih, b_hh, w_ih_r, w_hh_r, b_ih_r, b_hh_r = inputs[:9]
    lengths, cell, activation, training = inputs[13:17]  # after h0, h0_r, c0, c0_r
    ctx.save_for_backward(x, w_ih, w_hh, w_ih_r, w_hh_r, lengths, output[3], output[7])
    ctx.cell, ctx.activation, ctx.training = cell, activation, training
    ctx.has_bias = (b_ih is not None, b_hh is not None, b_ih_r is not None, b_hh_r is not None)
    ctx.set_materialize_grads(False)


def _backward_autograd_pair(ctx, dy, dhT, dcT, _dws, dy_r, dhT_r, dcT_r, _dws_r):
    if not ctx.training:
        raise RuntimeError("rnnkern::forward_pair ran with training=False, so it saved no "
                           "workspace for backward; call it with training=True")
    x, w_ih, w_hh, w_ih_r, w_hh_r, lengths, ws, ws_r = ctx.saved_tensors
    lstm = cells.get(ctx.cell).has_cell
    g = _backward_op(ctx, backward_pair, _backward_pair_impl)(
        ws, ws_r, x, w_ih, w_hh, w_ih_r, w_hh_r, lengths, dy, dy_r, dhT, dhT_r,
        dcT if lstm else None, dcT_r if lstm else None, ctx.cell, ctx.activation)
    dx, (dw_ih, dw_hh, db_ih, db_hh, dh0, dc0), (dw_ih_r, dw_hh_r, db_ih_r, db_hh_r, dh0_r, dc0_r) = \
        g[0], g[1:7], g[7:]
    b = ctx.has_bias
    return (dx, dw_ih, dw_hh, db_ih if b[0] else None, db_hh if b[1] else None, dw_ih_r, dw_hh_r,
            db_ih_r if b[2] else None, db_hh_r if b[3] else None, dh0, dh0_r,
            dc0 if lstm else None, dc0_r if lstm else None, None, None, None, None, None)


forward_pair.register_autograd(_backward_autograd_pair, setup_context=_setup_context_pair)
backward_pair.register_autograd(_no_double_backward, setup_context=_setup_backward)


# ---- eager calls: the same implementations, past the dispatcher ------------------------------------
# In plain eager mode a custom op's Python layers (schema defaults, dispatch, its autograd wrapper)
# cost more than the kernels of a small layer; there the layers run the implementations under a
# torch.autograd.Function with the same context and backward. Tracing (torch.compile, export) and
# any dispatch mode still see the ops.

def _eager():
    return not (torch.compiler.is_compiling() or torch.compiler.is_exporting()) and \
        torch._C._len_torch_dispatch_stack() == 0


def _backward_op(ctx, op, impl):
    """The backward's op, or past the dispatcher its implementation; never when a graph of the
    backward is being recorded (create_graph=True), where the op's autograd refuses double backward"""
    return impl if getattr(ctx, "eager", False) and not torch.is_grad_enabled() else op


class _Eager(torch.autograd.Function):
    @staticmethod
    def forward(ctx, impl, setup_context, backward_fn, *inputs):
        output = impl(*inputs)
        setup_context(ctx, inputs, output)
        ctx.eager, ctx.backward_fn = True, backward_fn
        return output

    @staticmethod
    def backward(ctx, *grads):
        return (None, None, None) + tuple(ctx.backward_fn(ctx, *grads))


def _position(impl, name):
    """Where the argument `name` of impl comes in its positional inputs"""
    return list(inspect.signature(impl).parameters).index(name)


_TRAINING = _position(_forward_impl, "training")
_TRAINING_PAIR = _position(_forward_pair_impl, "training")


def layer_forward(*inputs):
    """rnnkern::forward(*inputs), past the dispatcher in eager mode, and past autograd too when
    nothing will differentiate it (training False: no workspace)"""
    if _eager():
        if not inputs[_TRAINING]:
            return _forward_impl(*inputs)
        return _Eager.apply(_forward_impl, _setup_context, _backward_autograd, *inputs)
    return forward(*inputs)


def layer_forward_pair(*inputs):
    """rnnkern::forward_pair(*inputs), past the dispatcher in eager mode, and past autograd too
    when nothing will differentiate it (training False)"""
    if _eager():
        if not inputs[_TRAINING_PAIR]:
            return _forward_pair_impl(*inputs)
        return _Eager.apply(_forward_pair_impl, _setup_context_pair, _backward_autograd_pair, *inputs)
    return forward_pair(*inputs)
