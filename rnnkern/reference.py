"""Pure-NumPy oracle: LSTM, GRU and vanilla-RNN whole-sequence forward and full BPTT backward.

Every C kernel is tested against this module, so it prefers the plainest correct code to speed.
Layouts follow PyTorch (docs/architecture.md, "Tensors and layouts"): sequences are time-major (T, B, F); weights are
w_ih (G*H, I), w_hh (G*H, H), biases (G*H,); gate order LSTM i,f,g,o (G=4), GRU r,z,n (G=3), RNN G=1.
Work happens in the dtype of x (float32 or float64), which every array input must share.

Past a sequence's end (t >= lengths[b]) the state is carried unchanged and the output is zero. Forward
zeroes x there before use, so padding values never reach an output or a gradient (NaN padding included),
and dx is zero there.

reverse=True runs each sequence from its last valid step (lengths[b] - 1) back to 0: the forward
permutes x into step order, runs the same loop and puts y back in time order; backward does the
same with dy and dx. Every other array of the cache is indexed by step.

Forward with training=True returns `cache`, a dict with what backward needs:
  every cell: cell ("lstm" | "gru" | "rnn"), x (T,B,I) in step order with padding zeroed, w_ih, w_hh
              (copies), mask (T,B,1) bool (step t valid for b), h_prev (T,B,H) the state entering
              step t, order (T,B) the time index of each step (None unless reverse)
  lstm:       c_prev (T,B,H), gates (T,B,4H) activations i,f,g,o, tanh_c (T,B,H) tanh of the new cell
  gru:        gates (T,B,3H) activations r,z,n, hn (T,B,H) = h_prev W_hn^T + b_hn (what r multiplies)
  rnn:        activation, h_new (T,B,H) the activation output of each step before masking
"""
import numpy as np

from .grads import GRUGrads, LSTMGrads, RNNGrads

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_ACTIVATIONS = ("tanh", "relu", "logistic")


# ---- activations ----------------------------------------------------------------------------------

def _sigmoid(a):
    # a (...) -> (...). exp only ever sees -|a|, so nothing overflows; NaN stays NaN.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1, e) / (1 + e)


def _activation(name, a):
    # a (B,H) pre-activation -> (B,H)
    if name == "tanh":
        return np.tanh(a)
    if name == "relu":
        return np.maximum(a, 0)
    return _sigmoid(a)


def _activation_grad(name, y):
    # y (B,H) activation output -> (B,H) derivative w.r.t. the pre-activation (relu'(0) = 0)
    if name == "tanh":
        return 1 - y * y
    if name == "relu":
        return (y > 0).astype(y.dtype)
    return y * (1 - y)


# ---- argument checks and defaults -----------------------------------------------------------------

def _check(name, a, dims, shape, dtype):
    # a: any array -> a, after checking it is an ndarray of `shape` (described as `dims`) and `dtype`
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray, got {type(a).__name__}")
    if a.dtype != dtype:
        raise TypeError(f"{name}: expected dtype {dtype} (the dtype of x), got {a.dtype}")
    if a.shape != tuple(shape):
        raise ValueError(f"{name}: expected shape {dims} = {tuple(shape)}, got {a.shape}")
    return a


def _or_zeros(name, a, dims, shape, dtype):
    # optional array -> the checked array, or zeros of `shape` when None
    if a is None:
        return np.zeros(shape, dtype)
    return _check(name, a, dims, shape, dtype)


def _sizes(x, w_ih, w_hh, gates):
    # x (T,B,I) · w_ih (G*H,I) · w_hh (G*H,H) -> T, B, H, dtype, after checking all three agree
    if not isinstance(x, np.ndarray) or x.dtype not in _FLOATS:
        got = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"x: expected a float32 or float64 numpy.ndarray, got {got}")
    if x.ndim != 3:
        raise ValueError(f"x: expected shape (T, B, I), got {x.shape}")
    T, B, I = x.shape
    if not isinstance(w_hh, np.ndarray) or w_hh.ndim != 2:
        raise ValueError("w_hh: expected a 2-d numpy.ndarray of shape (G*H, H)")
    H = w_hh.shape[1]
    _check("w_ih", w_ih, "(G*H, I)", (gates * H, I), x.dtype)
    _check("w_hh", w_hh, "(G*H, H)", (gates * H, H), x.dtype)
    return T, B, H, x.dtype


def _valid_mask(lengths, T, B):
    # lengths (B,) ints in [0, T], or None -> mask (T,B,1) bool: True where step t is valid for b
    if lengths is None:
        return np.ones((T, B, 1), dtype=bool)
    lengths = np.asarray(lengths)
    if not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(f"lengths: expected integers, got dtype {lengths.dtype}")
    if lengths.shape != (B,):
        raise ValueError(f"lengths: expected shape (B,) = ({B},), got {lengths.shape}")
    if lengths.size and (lengths.min() < 0 or lengths.max() > T):
        raise ValueError(f"lengths: expected values in [0, T] = [0, {T}], got {lengths.tolist()}")
    return (np.arange(T)[:, None] < lengths[None, :])[:, :, None]


def _step_order(lengths, T, B, reverse):
    # -> None (forward), or order (T,B) ints: the time index of step s of sequence b, reversed:
    # lengths[b]-1 down to 0, then the padding from T-1 down to lengths[b]
    if not reverse:
        return None
    n = np.full(B, T) if lengths is None else np.asarray(lengths, dtype=np.int64)
    s = np.arange(T)[:, None]
    return np.where(s < n[None, :], n[None, :] - 1 - s, T - 1 + n[None, :] - s)


def _by_step(a, order):
    # a (T,B,...) indexed by time -> indexed by step
    return a if order is None else a[order, np.arange(a.shape[1])[None, :]]


def _by_time(a, order):
    # a (T,B,...) indexed by step -> indexed by time
    if order is None:
        return a
    out = np.empty_like(a)
    out[order, np.arange(a.shape[1])[None, :]] = a
    return out


def _input_projection(x, w_ih, b_ih, mask):
    # x (T,B,I) · w_ih (G*H,I) · b_ih (G*H,) · mask (T,B,1) -> x with padding zeroed, gx (T,B,G*H)
    # All steps in one product, as the kernels do; zeroing padding first keeps it out of everything.
    x = np.where(mask, x, 0)
    return x, x @ w_ih.T + b_ih


def _cache_for(cache, cell):
    # cache from <cell>_forward -> the same cache, after checking it is one
    if cache is None:
        raise ValueError("cache: got None; run the forward with training=True to get one")
    if not isinstance(cache, dict) or cache.get("cell") != cell:
        raise ValueError(f"cache: expected the cache of {cell}_forward")
    return cache


def _param_grads(cache, dgx, dgh):
    # dgx, dgh (T,B,G*H): gradients of the input / recurrent pre-activations -> dx, dw_ih, dw_hh, db_ih, db_hh
    x, w_ih, h_prev = cache["x"], cache["w_ih"], cache["h_prev"]
    T, B, I = x.shape
    GH, H = dgx.shape[2], h_prev.shape[2]
    dx = _by_time(dgx @ w_ih, cache["order"])
    dw_ih = dgx.reshape(T * B, GH).T @ x.reshape(T * B, I)
    dw_hh = dgh.reshape(T * B, GH).T @ h_prev.reshape(T * B, H)
    return dx, dw_ih, dw_hh, dgx.sum(axis=(0, 1)), dgh.sum(axis=(0, 1))


def _norms_out(dh_norms_out, norms, cache):
    # norms (T,B) by step -> written into dh_norms_out (T,B) by time
    if dh_norms_out is not None:
        dh_norms_out[...] = _by_time(norms, cache["order"])


# ---- LSTM -----------------------------------------------------------------------------------------

def _lstm_cell(a, c):
    # a (B,4H) gate pre-activations · c (B,H) -> gates (B,4H) i,f,g,o · c_new, tanh_c, h_new (B,H)
    i, f, g, o = np.split(a, 4, axis=1)
    i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
    c_new = f * c + i * g
    tanh_c = np.tanh(c_new)
    return np.concatenate([i, f, g, o], axis=1), c_new, tanh_c, o * tanh_c


def _lstm_cell_backward(dh, dc, gates, c_prev, tanh_c):
    # dh, dc (B,H) into the new state · gates (B,4H) · c_prev, tanh_c (B,H) -> da (B,4H), dc_prev (B,H)
    i, f, g, o = np.split(gates, 4, axis=1)
    dc = dc + dh * o * (1 - tanh_c * tanh_c)
    di, df, dg, do = dc * g, dc * c_prev, dc * i, dh * tanh_c
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g * g), do * o * (1 - o)], axis=1)
    return da, dc * f


def lstm_forward(x, w_ih, w_hh, b_ih=None, b_hh=None, *, h0=None, c0=None, lengths=None, training=True,
                 reverse=False):
    # x (T,B,I) · w_ih (4H,I) · w_hh (4H,H) · b_ih, b_hh (4H,) · h0, c0 (B,H) -> y (T,B,H), hT, cT (B,H)
    """LSTM over a whole sequence. Returns (y, hT, cT, cache); cache is None when training=False."""
    T, B, H, dt = _sizes(x, w_ih, w_hh, 4)
    b_ih = _or_zeros("b_ih", b_ih, "(4*H,)", (4 * H,), dt)
    b_hh = _or_zeros("b_hh", b_hh, "(4*H,)", (4 * H,), dt)
    h = _or_zeros("h0", h0, "(B, H)", (B, H), dt).copy()
    c = _or_zeros("c0", c0, "(B, H)", (B, H), dt).copy()
    mask = _valid_mask(lengths, T, B)
    order = _step_order(lengths, T, B, reverse)
    x, gx = _input_projection(_by_step(x, order), w_ih, b_ih, mask)

    y = np.zeros((T, B, H), dt)
    if training:
        h_prev, c_prev = np.zeros((T, B, H), dt), np.zeros((T, B, H), dt)
        gates, tanh_cs = np.zeros((T, B, 4 * H), dt), np.zeros((T, B, H), dt)
    for t in range(T):
        g, c_new, tanh_c, h_new = _lstm_cell(gx[t] + h @ w_hh.T + b_hh, c)
        if training:
            h_prev[t], c_prev[t], gates[t], tanh_cs[t] = h, c, g, tanh_c
        y[t] = np.where(mask[t], h_new, 0)
        h, c = np.where(mask[t], h_new, h), np.where(mask[t], c_new, c)

    cache = None
    if training:
        cache = dict(cell="lstm", x=x, w_ih=w_ih.copy(), w_hh=w_hh.copy(), mask=mask, h_prev=h_prev,
                     c_prev=c_prev, gates=gates, tanh_c=tanh_cs, order=order)
    return _by_time(y, order), h, c, cache


def lstm_backward(cache, dy=None, *, dhT=None, dcT=None, dh_norms_out=None):
    # cache of lstm_forward · dy (T,B,H) · dhT, dcT (B,H) -> LSTMGrads, each shaped like its input
    """BPTT through lstm_forward. Missing dy / dhT / dcT are zeros. dh_norms_out (T,B), if given,
    receives ||dL/dh_t|| per step and sequence (carried past a sequence's end)."""
    cache = _cache_for(cache, "lstm")
    w_hh, mask = cache["w_hh"], cache["mask"]
    T, B, _ = cache["x"].shape
    H, dt = w_hh.shape[1], w_hh.dtype
    dy = _by_step(_or_zeros("dy", dy, "(T, B, H)", (T, B, H), dt), cache["order"])
    dh = _or_zeros("dhT", dhT, "(B, H)", (B, H), dt).copy()
    norms = None if dh_norms_out is None else np.zeros((T, B), dt)
    dc = _or_zeros("dcT", dcT, "(B, H)", (B, H), dt).copy()

    da = np.zeros((T, B, 4 * H), dt)
    for t in reversed(range(T)):
        m = mask[t]
        if norms is not None:
            norms[t] = np.linalg.norm(np.where(m, dh + dy[t], dh), axis=1)
        # dy counts only on valid steps; past the end the state was carried, so its gradient is too
        da[t], dc_prev = _lstm_cell_backward(np.where(m, dh + dy[t], 0), np.where(m, dc, 0),
                                             cache["gates"][t], cache["c_prev"][t], cache["tanh_c"][t])
        dh = da[t] @ w_hh + np.where(m, 0, dh)
        dc = dc_prev + np.where(m, 0, dc)

    _norms_out(dh_norms_out, norms, cache)
    return LSTMGrads(*_param_grads(cache, da, da), dh0=dh, dc0=dc)


# ---- GRU ------------------------------------------------------------------------------------------

def _gru_cell(gx, gh, h):
    # gx, gh (B,3H) input / recurrent pre-activations, biases in · h (B,H) -> gates (B,3H) r,z,n · hn, h_new (B,H)
    xr, xz, xn = np.split(gx, 3, axis=1)
    hr, hz, hn = np.split(gh, 3, axis=1)
    r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return np.concatenate([r, z, n], axis=1), hn, (1 - z) * n + z * h


def _gru_cell_backward(dh, gates, hn, h_prev):
    # dh (B,H) into the new state · gates (B,3H) · hn, h_prev (B,H) -> dgx, dgh (B,3H), dh_prev (B,H) direct part
    r, z, n = np.split(gates, 3, axis=1)
    dan = dh * (1 - z) * (1 - n * n)
    dar = dan * hn * r * (1 - r)
    daz = dh * (h_prev - n) * z * (1 - z)
    # the reset gate scales the recurrent part of n only, so the two pre-activation gradients differ there
    return np.concatenate([dar, daz, dan], axis=1), np.concatenate([dar, daz, dan * r], axis=1), dh * z


def gru_forward(x, w_ih, w_hh, b_ih=None, b_hh=None, *, h0=None, lengths=None, training=True,
                reverse=False):
    # x (T,B,I) · w_ih (3H,I) · w_hh (3H,H) · b_ih, b_hh (3H,) · h0 (B,H) -> y (T,B,H), hT (B,H)
    """GRU over a whole sequence (PyTorch's formulation). Returns (y, hT, cache); cache None unless training."""
    T, B, H, dt = _sizes(x, w_ih, w_hh, 3)
    b_ih = _or_zeros("b_ih", b_ih, "(3*H,)", (3 * H,), dt)
    b_hh = _or_zeros("b_hh", b_hh, "(3*H,)", (3 * H,), dt)
    h = _or_zeros("h0", h0, "(B, H)", (B, H), dt).copy()
    mask = _valid_mask(lengths, T, B)
    order = _step_order(lengths, T, B, reverse)
    x, gx = _input_projection(_by_step(x, order), w_ih, b_ih, mask)

    y = np.zeros((T, B, H), dt)
    if training:
        h_prev, hns, gates = np.zeros((T, B, H), dt), np.zeros((T, B, H), dt), np.zeros((T, B, 3 * H), dt)
    for t in range(T):
        g, hn, h_new = _gru_cell(gx[t], h @ w_hh.T + b_hh, h)
        if training:
            h_prev[t], hns[t], gates[t] = h, hn, g
        y[t] = np.where(mask[t], h_new, 0)
        h = np.where(mask[t], h_new, h)

    cache = None
    if training:
        cache = dict(cell="gru", x=x, w_ih=w_ih.copy(), w_hh=w_hh.copy(), mask=mask, h_prev=h_prev,
                     gates=gates, hn=hns, order=order)
    return _by_time(y, order), h, cache


def gru_backward(cache, dy=None, *, dhT=None, dh_norms_out=None):
    # cache of gru_forward · dy (T,B,H) · dhT (B,H) -> GRUGrads, each shaped like its input
    """BPTT through gru_forward. Missing dy / dhT are zeros."""
    cache = _cache_for(cache, "gru")
    w_hh, mask = cache["w_hh"], cache["mask"]
    T, B, _ = cache["x"].shape
    H, dt = w_hh.shape[1], w_hh.dtype
    dy = _by_step(_or_zeros("dy", dy, "(T, B, H)", (T, B, H), dt), cache["order"])
    dh = _or_zeros("dhT", dhT, "(B, H)", (B, H), dt).copy()
    norms = None if dh_norms_out is None else np.zeros((T, B), dt)

    dgx, dgh = np.zeros((T, B, 3 * H), dt), np.zeros((T, B, 3 * H), dt)
    for t in reversed(range(T)):
        m = mask[t]
        if norms is not None:
            norms[t] = np.linalg.norm(np.where(m, dh + dy[t], dh), axis=1)
        dgx[t], dgh[t], dh_direct = _gru_cell_backward(np.where(m, dh + dy[t], 0), cache["gates"][t],
                                                       cache["hn"][t], cache["h_prev"][t])
        dh = dgh[t] @ w_hh + dh_direct + np.where(m, 0, dh)

    _norms_out(dh_norms_out, norms, cache)
    return GRUGrads(*_param_grads(cache, dgx, dgh), dh0=dh)


# ---- vanilla RNN ----------------------------------------------------------------------------------

def _rnn_cell(a, activation):
    # a (B,H) pre-activation -> h_new (B,H)
    return _activation(activation, a)


def _rnn_cell_backward(dh, h_new, activation):
    # dh (B,H) into the new state · h_new (B,H) -> da (B,H)
    return dh * _activation_grad(activation, h_new)


def rnn_forward(x, w_ih, w_hh, b_ih=None, b_hh=None, *, h0=None, lengths=None, activation="tanh",
                training=True, reverse=False):
    # x (T,B,I) · w_ih (H,I) · w_hh (H,H) · b_ih, b_hh (H,) · h0 (B,H) -> y (T,B,H), hT (B,H)
    """Vanilla RNN, activation tanh | relu | logistic. Returns (y, hT, cache); cache None unless training."""
    if activation not in _ACTIVATIONS:
        raise ValueError(f"activation: expected one of {_ACTIVATIONS}, got {activation!r}")
    T, B, H, dt = _sizes(x, w_ih, w_hh, 1)
    b_ih = _or_zeros("b_ih", b_ih, "(H,)", (H,), dt)
    b_hh = _or_zeros("b_hh", b_hh, "(H,)", (H,), dt)
    h = _or_zeros("h0", h0, "(B, H)", (B, H), dt).copy()
    mask = _valid_mask(lengths, T, B)
    order = _step_order(lengths, T, B, reverse)
    x, gx = _input_projection(_by_step(x, order), w_ih, b_ih, mask)

    y = np.zeros((T, B, H), dt)
    if training:
        h_prev, h_news = np.zeros((T, B, H), dt), np.zeros((T, B, H), dt)
    for t in range(T):
        h_new = _rnn_cell(gx[t] + h @ w_hh.T + b_hh, activation)
        if training:
            h_prev[t], h_news[t] = h, h_new
        y[t] = np.where(mask[t], h_new, 0)
        h = np.where(mask[t], h_new, h)

    cache = None
    if training:
        cache = dict(cell="rnn", activation=activation, x=x, w_ih=w_ih.copy(), w_hh=w_hh.copy(), mask=mask,
                     h_prev=h_prev, h_new=h_news, order=order)
    return _by_time(y, order), h, cache


def rnn_backward(cache, dy=None, *, dhT=None, dh_norms_out=None):
    # cache of rnn_forward · dy (T,B,H) · dhT (B,H) -> RNNGrads, each shaped like its input
    """BPTT through rnn_forward. Missing dy / dhT are zeros."""
    cache = _cache_for(cache, "rnn")
    w_hh, mask = cache["w_hh"], cache["mask"]
    T, B, _ = cache["x"].shape
    H, dt = w_hh.shape[1], w_hh.dtype
    dy = _by_step(_or_zeros("dy", dy, "(T, B, H)", (T, B, H), dt), cache["order"])
    dh = _or_zeros("dhT", dhT, "(B, H)", (B, H), dt).copy()
    norms = None if dh_norms_out is None else np.zeros((T, B), dt)

    da = np.zeros((T, B, H), dt)
    for t in reversed(range(T)):
        m = mask[t]
        if norms is not None:
            norms[t] = np.linalg.norm(np.where(m, dh + dy[t], dh), axis=1)
        da[t] = _rnn_cell_backward(np.where(m, dh + dy[t], 0), cache["h_new"][t], cache["activation"])
        dh = da[t] @ w_hh + np.where(m, 0, dh)

    _norms_out(dh_norms_out, norms, cache)
    return RNNGrads(*_param_grads(cache, da, da), dh0=dh)
