"""The NumPy oracle itself: gradients against central finite differences (float64), forward semantics,
and, where torch is importable, forward and gradients against torch.nn.LSTM / GRU / RNN."""
import warnings

import numpy as np
import pytest

from rnnkern import reference as ref

T, B, I, H = 4, 3, 5, 4
CELLS = ["lstm", "gru", "rnn-tanh", "rnn-relu", "rnn-logistic"]
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
GRAD_OF = {"dx": "x", "dw_ih": "w_ih", "dw_hh": "w_hh", "db_ih": "b_ih", "db_hh": "b_hh", "dh0": "h0", "dc0": "c0"}


def _kind(cell):
    # "rnn-relu" -> ("rnn", "relu"); "lstm" -> ("lstm", None)
    kind, _, act = cell.partition("-")
    return kind, act or None


def _inputs(cell, rng, dtype=np.float64, bias=True, init=True):
    # random parameters at PyTorch's init scale, x, and (optionally) biases and initial states
    kind, _ = _kind(cell)
    G, s = GATES[kind], 1 / np.sqrt(H)
    p = dict(x=rng.standard_normal((T, B, I)), w_ih=rng.uniform(-s, s, (G * H, I)),
             w_hh=rng.uniform(-s, s, (G * H, H)), b_ih=None, b_hh=None, h0=None)
    if kind == "lstm":
        p["c0"] = None
    if bias:
        p["b_ih"], p["b_hh"] = rng.uniform(-s, s, G * H), rng.uniform(-s, s, G * H)
    if init:
        p["h0"] = rng.uniform(-0.5, 0.5, (B, H))
        if kind == "lstm":
            p["c0"] = rng.uniform(-0.5, 0.5, (B, H))
    return {k: (None if v is None else v.astype(dtype)) for k, v in p.items()}


def _forward(cell, p, **kw):
    # -> y, hT, cT (None unless lstm), cache
    kind, act = _kind(cell)
    args = (p["x"], p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    if kind == "lstm":
        return ref.lstm_forward(*args, h0=p["h0"], c0=p["c0"], **kw)
    if kind == "gru":
        y, hT, cache = ref.gru_forward(*args, h0=p["h0"], **kw)
    else:
        y, hT, cache = ref.rnn_forward(*args, h0=p["h0"], activation=act, **kw)
    return y, hT, None, cache


def _backward(cell, cache, dy, dhT, dcT):
    kind, _ = _kind(cell)
    if kind == "lstm":
        return ref.lstm_backward(cache, dy, dhT=dhT, dcT=dcT)
    return (ref.gru_backward if kind == "gru" else ref.rnn_backward)(cache, dy, dhT=dhT)


def _loss(cell, p, dy, dhT, dcT, lengths, reverse=False):
    # L = sum(y*dy) + sum(hT*dhT) (+ sum(cT*dcT)), with missing seeds meaning zero
    y, hT, cT, _ = _forward(cell, p, lengths=lengths, training=False, reverse=reverse)
    L = 0.0 if dy is None else np.sum(y * dy)
    L += 0.0 if dhT is None else np.sum(hT * dhT)
    L += 0.0 if dcT is None else np.sum(cT * dcT)
    return L


def _numeric_grad(cell, p, name, seeds, lengths, reverse=False, eps=1e-6):
    # central differences of _loss w.r.t. p[name], with a missing bias / state taken as explicit zeros
    p = dict(p)
    like = {"b_ih": p["w_ih"][:, 0], "b_hh": p["w_hh"][:, 0], "h0": p["x"][0, :, :1].repeat(H, 1),
            "c0": p["x"][0, :, :1].repeat(H, 1)}
    for k in p:
        if p[k] is None:
            p[k] = np.zeros_like(like[k])
    g = np.zeros_like(p[name])
    for idx in np.ndindex(*p[name].shape):
        old = p[name][idx]
        p[name] = p[name].copy()
        p[name][idx] = old + eps
        up = _loss(cell, p, *seeds, lengths, reverse)
        p[name][idx] = old - eps
        down = _loss(cell, p, *seeds, lengths, reverse)
        p[name][idx] = old
        g[idx] = (up - down) / (2 * eps)
    return g




SCENARIOS = ["full", "lengths", "bare", "last-step", "reverse", "reverse-lengths"]


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("cell", CELLS)
def test_gradients_match_finite_differences(cell, scenario):
    rng = np.random.default_rng(1234)
    p = _inputs(cell, rng, bias=scenario != "bare", init=scenario != "bare")
    lengths = {"lengths": np.array([0, 1, T]), "reverse-lengths": np.array([3, 0, T])}.get(scenario)
    reverse = scenario.startswith("reverse")
    dy = rng.standard_normal((T, B, H))
    dhT, dcT = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    if scenario == "last-step":
        dy[:-1] = 0
        dhT = dcT = None
    if _kind(cell)[0] != "lstm":
        dcT = None

    _, _, _, cache = _forward(cell, p, lengths=lengths, reverse=reverse)
    grads = _backward(cell, cache, dy, dhT, dcT)._asdict()
    numeric = {f: _numeric_grad(cell, p, GRAD_OF[f], (dy, dhT, dcT), lengths, reverse) for f in grads}
    # Errors are relative to the loss's largest sensitivity: finite differences carry an absolute noise
    # of about 1e-16 * |L| / eps, which would swamp a per-array ratio for a tiny gradient (e.g. dh0 seen
    # through four logistic steps). The torch comparison below checks small gradients to 1e-10 anyway.
    scale = max(np.abs(n).max() for n in numeric.values())
    for field, value in grads.items():
        assert value.dtype == np.float64 and value.shape == numeric[field].shape, field
        err = np.abs(value - numeric[field]).max() / scale
        assert err < 1e-7, (field, err)


@pytest.mark.parametrize("cell", CELLS)
def test_missing_biases_and_states_are_zeros(cell):
    rng = np.random.default_rng(7)
    p = _inputs(cell, rng, bias=False, init=False)
    G = GATES[_kind(cell)[0]]
    explicit = dict(p, b_ih=np.zeros(G * H), b_hh=np.zeros(G * H), h0=np.zeros((B, H)))
    if "c0" in p:
        explicit["c0"] = np.zeros((B, H))
    dy = rng.standard_normal((T, B, H))
    out_none, out_zero = _forward(cell, p), _forward(cell, explicit)
    for a, b in zip(out_none[:3], out_zero[:3]):
        if a is not None:
            np.testing.assert_array_equal(a, b)
    g_none = _backward(cell, out_none[3], dy, None, None)
    g_zero = _backward(cell, out_zero[3], dy, np.zeros((B, H)), np.zeros((B, H)))
    for a, b in zip(g_none, g_zero):
        np.testing.assert_array_equal(a, b)
    # no dy at all: every gradient is an array of zeros
    for g in _backward(cell, out_none[3], None, None, None):
        assert isinstance(g, np.ndarray) and not g.any()


@pytest.mark.parametrize("cell", CELLS)
def test_inference_mode_matches_training(cell):
    p = _inputs(cell, np.random.default_rng(3))
    lengths = np.array([2, 0, T])
    y, hT, cT, cache = _forward(cell, p, lengths=lengths, training=True)
    y2, hT2, cT2, cache2 = _forward(cell, p, lengths=lengths, training=False)
    assert cache is not None and cache2 is None
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(hT, hT2)
    if cT is not None:
        np.testing.assert_array_equal(cT, cT2)
    with pytest.raises(ValueError, match="training=True"):
        _backward(cell, None, None, None, None)


@pytest.mark.parametrize("cell", CELLS)
def test_float32_matches_float64(cell):
    p64 = _inputs(cell, np.random.default_rng(5))
    p32 = {k: (None if v is None else v.astype(np.float32)) for k, v in p64.items()}
    rng = np.random.default_rng(6)
    dy, dhT, dcT = rng.standard_normal((T, B, H)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    lengths = np.array([3, T, 1])
    out64, out32 = _forward(cell, p64, lengths=lengths), _forward(cell, p32, lengths=lengths)
    for a64, a32 in zip(out64[:3], out32[:3]):
        if a64 is not None:
            assert a32.dtype == np.float32
            np.testing.assert_allclose(a32, a64, rtol=0, atol=1e-5)
    g64 = _backward(cell, out64[3], dy, dhT, dcT)
    g32 = _backward(cell, out32[3], dy.astype(np.float32), dhT.astype(np.float32), dcT.astype(np.float32))
    for a64, a32 in zip(g64, g32):
        assert a32.dtype == np.float32
        np.testing.assert_allclose(a32, a64, rtol=0, atol=1e-4)


@pytest.mark.parametrize("cell", CELLS)
def test_lengths_semantics(cell):
    p = _inputs(cell, np.random.default_rng(8))
    lengths = np.array([0, 2, T])
    y, hT, cT, _ = _forward(cell, p, lengths=lengths)
    for b, n in enumerate(lengths):
        assert not y[n:, b].any()
        # the state at the last valid step is what the same sequence cut to its length gives
        one = {k: (v[b:b + 1] if k in ("h0", "c0") else v) for k, v in p.items()}
        one["x"] = p["x"][:n, b:b + 1]
        y1, h1, c1, _ = _forward(cell, one)
        # (not bitwise: BLAS may round a 1-row product differently from a 3-row one)
        np.testing.assert_allclose(y[:n, b:b + 1], y1, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(hT[b:b + 1], h1, rtol=1e-14, atol=1e-15)
        if cT is not None:
            np.testing.assert_allclose(cT[b:b + 1], c1, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(hT[0], p["h0"][0])
    np.testing.assert_array_equal(hT[1], y[1, 1])
    if cT is not None:
        np.testing.assert_array_equal(cT[0], p["c0"][0])


@pytest.mark.parametrize("cell", CELLS)
def test_reverse_semantics(cell):
    # reversed, each sequence is the forward run of its valid steps taken last to first, with y
    # back at the time index of its input and zero past the end
    p = _inputs(cell, np.random.default_rng(12))
    lengths = np.array([0, 2, T])
    y, hT, cT, _ = _forward(cell, p, lengths=lengths, reverse=True)
    for b, n in enumerate(lengths):
        assert not y[n:, b].any()
        one = {k: (v[b:b + 1] if k in ("h0", "c0") else v) for k, v in p.items()}
        one["x"] = p["x"][:n, b:b + 1][::-1]
        y1, h1, c1, _ = _forward(cell, one)
        np.testing.assert_allclose(y[:n, b:b + 1], y1[::-1], rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(hT[b:b + 1], h1, rtol=1e-14, atol=1e-15)
        if cT is not None:
            np.testing.assert_allclose(cT[b:b + 1], c1, rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(hT[2], y[0, 2])  # the state after step 0


@pytest.mark.parametrize("cell", CELLS)
def test_padding_is_never_read(cell):
    # NaN past each sequence's end changes nothing, and dy there has no effect
    rng = np.random.default_rng(9)
    p = _inputs(cell, rng)
    lengths = np.array([1, 0, 3])
    padded = dict(p, x=p["x"].copy())
    dy = rng.standard_normal((T, B, H))
    dy_padded = dy.copy()
    for b, n in enumerate(lengths):
        padded["x"][n:, b] = np.nan
        dy_padded[n:, b] = 1e3
    dhT, dcT = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    out, out_p = _forward(cell, p, lengths=lengths), _forward(cell, padded, lengths=lengths)
    for a, b in zip(out[:3], out_p[:3]):
        if a is not None:
            np.testing.assert_array_equal(a, b)
    g, g_p = _backward(cell, out[3], dy, dhT, dcT), _backward(cell, out_p[3], dy_padded, dhT, dcT)
    for a, b in zip(g, g_p):
        np.testing.assert_array_equal(a, b)
    for b, n in enumerate(lengths):
        assert not g.dx[n:, b].any()


@pytest.mark.parametrize("cell", CELLS)
def test_empty_sequence(cell):
    p = _inputs(cell, np.random.default_rng(10))
    p["x"] = p["x"][:0]
    y, hT, cT, cache = _forward(cell, p, lengths=np.zeros(B, dtype=np.int64))
    assert y.shape == (0, B, H)
    np.testing.assert_array_equal(hT, p["h0"])
    assert hT is not p["h0"]
    dhT, dcT = np.ones((B, H)), np.full((B, H), 2.0)
    g = _backward(cell, cache, None, dhT, dcT)
    np.testing.assert_array_equal(g.dh0, dhT)
    assert not g.dw_hh.any() and g.dx.shape == (0, B, I)


@pytest.mark.parametrize("cell", CELLS)
def test_extreme_inputs_no_warnings_and_nan_propagates(cell):
    p = _inputs(cell, np.random.default_rng(11))
    for dtype in (np.float32, np.float64):
        q = {k: (None if v is None else v.astype(dtype)) for k, v in p.items()}
        q["x"] = q["x"] * dtype(1e4)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y, hT, _, cache = _forward(cell, q)
            if _kind(cell) != ("rnn", "relu"):  # relu grows without bound; the gates saturate
                assert np.isfinite(y).all()
                _backward(cell, cache, np.ones_like(y), None, None)
            q["x"] = q["x"].copy()
            q["x"][0, 1, 0] = np.nan
            y, hT, _, _ = _forward(cell, q)
        assert np.isnan(y[:, 1]).all() and np.isnan(hT[1]).all()
        assert not np.isnan(y[:, 0]).any()


def test_bad_arguments_are_named():
    p = _inputs("lstm", np.random.default_rng(12))
    with pytest.raises(ValueError, match="h0"):
        ref.lstm_forward(p["x"], p["w_ih"], p["w_hh"], h0=np.zeros((B, H + 1)))
    with pytest.raises(TypeError, match="w_hh"):
        ref.lstm_forward(p["x"], p["w_ih"], p["w_hh"].astype(np.float32))
    with pytest.raises(ValueError, match="lengths"):
        ref.lstm_forward(p["x"], p["w_ih"], p["w_hh"], lengths=np.array([0, 1, T + 1]))
    with pytest.raises(ValueError, match="activation"):
        ref.rnn_forward(p["x"], p["w_ih"][:H], p["w_hh"][:H, :], activation="sigmoid")
    _, _, cache = ref.gru_forward(p["x"], p["w_ih"][:3 * H], p["w_hh"][:3 * H])
    with pytest.raises(ValueError, match="lstm_forward"):
        ref.lstm_backward(cache)


# ---- against torch, when it is importable ---------------------------------------------------------

TORCH_CELLS = ["lstm", "gru", "rnn-tanh", "rnn-relu"]


@pytest.mark.parametrize("use_lengths", [False, True])
@pytest.mark.parametrize("cell", TORCH_CELLS)
def test_matches_torch(cell, use_lengths):
    torch = pytest.importorskip("torch")
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    kind, act = _kind(cell)
    rng = np.random.default_rng(13)
    p = _inputs(cell, rng)
    lengths = np.array([2, T, 1]) if use_lengths else None  # torch refuses length 0
    dy, dhT, dcT = rng.standard_normal((T, B, H)), rng.standard_normal((B, H)), rng.standard_normal((B, H))
    if kind != "lstm":
        dcT = None

    if kind == "lstm":
        mod = torch.nn.LSTM(I, H)
    elif kind == "gru":
        mod = torch.nn.GRU(I, H)
    else:
        mod = torch.nn.RNN(I, H, nonlinearity=act)
    mod = mod.double()
    with torch.no_grad():
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            getattr(mod, name.replace("w_", "weight_").replace("b_", "bias_") + "_l0").copy_(torch.from_numpy(p[name]))
    t = {k: torch.from_numpy(p[k].copy()).requires_grad_() for k in ("x", "h0", "c0") if p.get(k) is not None}
    state = (t["h0"][None], t["c0"][None]) if kind == "lstm" else t["h0"][None]
    inp = t["x"] if lengths is None else pack_padded_sequence(t["x"], torch.from_numpy(lengths), enforce_sorted=False)
    out, hn = mod(inp, state)
    if lengths is not None:
        out, _ = pad_packed_sequence(out, total_length=T)
    hn, cn = (hn[0][0], hn[1][0]) if kind == "lstm" else (hn[0], None)
    loss = (out * torch.from_numpy(dy)).sum() + (hn * torch.from_numpy(dhT)).sum()
    if cn is not None:
        loss = loss + (cn * torch.from_numpy(dcT)).sum()
    loss.backward()

    y, hT, cT, cache = _forward(cell, p, lengths=lengths)
    g = _backward(cell, cache, dy, dhT, dcT)
    tol = dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y, out.detach().numpy(), **tol)
    np.testing.assert_allclose(hT, hn.detach().numpy(), **tol)
    if cn is not None:
        np.testing.assert_allclose(cT, cn.detach().numpy(), **tol)
    expected = dict(dx=t["x"].grad, dh0=t["h0"].grad, dw_ih=mod.weight_ih_l0.grad, dw_hh=mod.weight_hh_l0.grad,
                    db_ih=mod.bias_ih_l0.grad, db_hh=mod.bias_hh_l0.grad)
    if kind == "lstm":
        expected["dc0"] = t["c0"].grad
    for field, value in g._asdict().items():
        np.testing.assert_allclose(value, expected[field].numpy(), err_msg=field, **tol)
