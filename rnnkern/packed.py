"""Packed-weight handles: weights packed once for the active SIMD path and dtype, then run many
times without re-packing (an inference server's case).

    h = rnnkern.pack_lstm(w_ih, w_hh, b_ih, b_hh)
    y, hT, cT, ws = h.forward(x)          # as lstm_forward(x, w_ih, w_hh, b_ih, b_hh, training=False)

The handle keeps immutable copies of the weights (h.w_ih, h.w_hh, h.b_ih, h.b_hh) and is never
changed by a forward, so the threads of many calls may share it; h.update(...) packs new
weights (after an optimiser step) into the same memory, and must not run while a forward on the
handle does. Results are bitwise those of the functional API on the same path and thread count.
A handle refuses a forward under another SIMD path than it was packed for (rnnkern.set_isa):
update() or pack again there.
"""
from . import _serving, _validate as v, cells

PackedWeights = _serving.PackedWeights


def checked_weights(cell, w_ih, w_hh, b_ih, b_hh):
    """Validated, private, immutable (frozen) copies of one cell's weights (also
    PackedWeights.update): a training forward's workspace refers to them with no fingerprint."""
    spec = cells.get(cell)
    w_hh = v.float_array("w_hh", w_hh)
    w_ih = v.float_array("w_ih", w_ih, w_hh.dtype, like="w_hh")
    if w_ih.ndim != 2:
        raise ValueError(f"w_ih: expected a 2-D array of shape ({spec.rows()}, I), got {w_ih.ndim}-D "
                         f"shape {w_ih.shape}")
    w_ih, w_hh, b_ih, b_hh, H = v.weights(w_ih, w_hh, b_ih, b_hh, spec.G, spec.gate_names, w_ih.shape[1],
                                          w_hh.dtype)
    v.sizes(1, 1, w_ih.shape[1], H, spec.G, 0)
    return [None if a is None else v.frozen(a) for a in (w_ih, w_hh, b_ih, b_hh)]


def pack_lstm(w_ih, w_hh, b_ih=None, b_hh=None):
    """LSTM weights w_ih (4H, I), w_hh (4H, H), b_ih, b_hh (4H,) -> a PackedWeights handle."""
    return PackedWeights("lstm", "tanh", *checked_weights("lstm", w_ih, w_hh, b_ih, b_hh))


def pack_gru(w_ih, w_hh, b_ih=None, b_hh=None):
    """GRU weights w_ih (3H, I), w_hh (3H, H), b_ih, b_hh (3H,) -> a PackedWeights handle."""
    return PackedWeights("gru", "tanh", *checked_weights("gru", w_ih, w_hh, b_ih, b_hh))


def pack_rnn(w_ih, w_hh, b_ih=None, b_hh=None, *, activation="tanh"):
    """Vanilla RNN weights w_ih (H, I), w_hh (H, H), b_ih, b_hh (H,) with activation tanh | relu |
    logistic -> a PackedWeights handle."""
    activation = v.activation_name(activation)
    return PackedWeights("rnn", activation, *checked_weights("rnn", w_ih, w_hh, b_ih, b_hh))
