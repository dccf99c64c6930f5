"""torch.library custom ops over rnnkern.functional: `rnnkern::forward` and `rnnkern::backward`, one
whole-sequence direction of one layer of any cell kind, with fake kernels for torch.compile and
autograd through register_autograd. Tensors cross to NumPy without copies (CPU, float32/float64).

A custom op returns only tensors, so forward's workspace travels as a flat tensor output; every
element of it is defined (gates past a sequence's end are zeros), as opcheck compares all outputs.
"""
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
                        reverse, padding_zero=padding_zero)


def _backward_direction(cell, activation, x, w_ih, w_hh, lengths, ws, dy, dhT, dcT, reverse):
    """The backward of _forward_direction, from the workspace it returned."""
    return _fn._backward(cell, _fn.Workspace(cell, activation, np.ascontiguousarray(x), w_ih, w_hh,
                                             lengths, ws, reverse), dy, dhT, dcT, None, reverse)


@torch.library.custom_op("rnnkern::forward", mutates_args=(), device_types="cpu")
def forward(x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor], b_hh: Optional[Tensor],
            h0: Tensor, c0: Optional[Tensor], lengths: Optional[Tensor], cell: str, activation: str,
            reverse: bool, training: bool, padding_zero: bool
            ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """x (T,B,I) -> y (T,B,H), hT (B,H), cT (B,H) (LSTM; else empty), ws (flat; empty unless
    training). lengths (B,) int64 or None; padding_zero: x is zero past every sequence's end."""
    L = _np(lengths)
    y, hT, cT, ws = _forward_direction(cell, activation, _np(x), _np(w_ih), _np(w_hh), _np(b_ih),
                                       _np(b_hh), _np(h0), _np(c0), L, reverse, training,
                                       padding_zero)
    empty = x.new_empty(_EMPTY)
    return (torch.from_numpy(y), torch.from_numpy(hT),
            torch.from_numpy(cT) if cT is not None else empty,
            torch.from_numpy(ws.buffer) if ws is not None else empty.clone())


@forward.register_fake
def _(x, w_ih, w_hh, b_ih, b_hh, h0, c0, lengths, cell, activation, reverse, training, padding_zero):
    T, B, _ = x.shape
    H = w_hh.shape[1]
    return (x.new_empty((T, B, H)), x.new_empty((B, H)),
            x.new_empty((B, H) if cells.get(cell).has_cell else _EMPTY),
            x.new_empty((_ws_size(cell, T, B, H),) if training else _EMPTY))


@torch.library.custom_op("rnnkern::backward", mutates_args=(), device_types="cpu")
def backward(ws: Tensor, x: Tensor, w_ih: Tensor, w_hh: Tensor, lengths: Optional[Tensor],
             dy: Optional[Tensor], dhT: Optional[Tensor], dcT: Optional[Tensor], cell: str,
             activation: str, reverse: bool
             ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """BPTT through rnnkern::forward -> dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0 (LSTM; else empty).
    Missing dy / dhT / dcT mean zeros."""
    g = _backward_direction(cell, activation, _np(x), _np(w_ih),
                            _np(w_hh), _np(lengths), _np(ws), _np(dy), _np(dhT), _np(dcT), reverse)
    dc0 = g["dc0"]
    return tuple(torch.from_numpy(g[k]) for k in ("dx", "dw_ih", "dw_hh", "db_ih", "db_hh", "dh0")) + (
        torch.from_numpy(dc0) if dc0 is not None else x.new_empty(_EMPTY),)


@backward.register_fake
def _(ws, x, w_ih, w_hh, lengths, dy, dhT, dcT, cell, activation, reverse):
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
    dx, dw_ih, dw_hh, db_ih, db_hh, dh0, dc0 = backward(
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
