"""A bidirectional layer in one C call (rk_<cell>_forward_pair / _backward_pair, the pair runner of
csrc/cell/recur.inc): each direction bitwise what it gives alone, on every ISA, dtype and thread
count; against the reference with lengths; and rnnkern.nn's bidirectional stacks."""
import numpy as np
import pytest

import rnnkern
from rnnkern import cells, functional as F, nn, reference
from conftest import assert_close

CELLS = list(cells.CELLS)


def _layer(cell, dtype, T=12, B=8, I=16, H=160, seed=0):
    """x, both directions' weights, h0 and c0 pairs and lengths; H and B large enough that each
    direction alone takes several threads (a step of 2^18 FLOP or more)"""
    rng = np.random.default_rng(seed)
    G = cells.get(cell).G

    def r(*shape, s=0.3):
        return (rng.standard_normal(shape) * s).astype(dtype)

    x = r(T, B, I, s=1.0)
    weights = [(r(G * H, I), r(G * H, H, s=0.1), r(G * H), r(G * H)) for _ in range(2)]
    h0 = [r(B, H) for _ in range(2)]
    c0 = [r(B, H) for _ in range(2)] if cells.get(cell).has_cell else [None, None]
    lengths = rng.integers(1, T + 1, B)
    lengths[0] = T
    dy = [r(T, B, H, s=1.0) for _ in range(2)]
    dhT = [r(B, H, s=1.0) for _ in range(2)]
    dcT = [r(B, H, s=1.0) for _ in range(2)] if cells.get(cell).has_cell else [None, None]
    return x, weights, h0, c0, lengths, dy, dhT, dcT


def _pair(cell, layer):
    x, weights, h0, c0, lengths, dy, dhT, dcT = layer
    outs = F._forward_pair(cell, "tanh", x, weights, h0, c0, lengths, True)
    grads = F._backward_pair(cell, [o[3] for o in outs], dy, dhT, dcT)
    return outs, grads


def _alone(cell, layer):
    x, weights, h0, c0, lengths, dy, dhT, dcT = layer
    outs = [F._forward(cell, "tanh", x, *weights[d], h0[d], c0[d], lengths, True, d == 1)
            for d in range(2)]
    grads = [F._backward(cell, outs[d][3], dy[d], dhT[d], dcT[d], None, None) for d in range(2)]
    return outs, grads


def _arrays(outs, grads):
    """every result of both directions, named"""
    for d in range(2):
        y, hT, cT, ws = outs[d]
        yield from ((f"{n}[{d}]", a) for n, a in (("y", y), ("hT", hT), ("cT", cT), ("ws", ws.buffer))
                    if a is not None)
        yield from ((f"{n}[{d}]", a) for n, a in grads[d].items() if a is not None)


@pytest.mark.parametrize("cell", CELLS)
def test_pair_is_each_direction_alone_bitwise_on_1_2_3_threads(cell, dtype, isa, threads):
    layer = _layer(cell, dtype)
    rnnkern.set_num_threads(1)
    expected = dict(_arrays(*_alone(cell, layer)))
    for n in (1, 2, 3):
        rnnkern.set_num_threads(n)
        got = dict(_arrays(*_pair(cell, layer)))
        assert got.keys() == expected.keys()
        for name, a in expected.items():
            assert np.array_equal(got[name], a), f"{cell} {name}, {n} threads"


@pytest.mark.parametrize("cell", CELLS)
def test_pair_of_small_directions_on_2_threads(cell, threads):
    """Each direction alone runs on one thread (its step is under 2^18 FLOP): the pair runs them
    side by side, one thread each, and still gives each one's result."""
    layer = _layer(cell, np.float32, T=9, B=1, I=5, H=20, seed=3)
    rnnkern.set_num_threads(2)
    expected = dict(_arrays(*_alone(cell, layer)))
    for name, a in _arrays(*_pair(cell, layer)):
        assert np.array_equal(a, expected[name]), name


@pytest.mark.parametrize("cell", CELLS)
def test_pair_matches_reference_with_lengths(cell, dtype, isa):
    layer = _layer(cell, dtype, T=7, B=4, I=5, H=20, seed=1)
    x, weights, h0, c0, lengths, dy, dhT, dcT = layer
    outs, grads = _pair(cell, layer)
    f64 = [None if a is None else np.asarray(a, np.float64) for a in (x, *h0, *c0, *dy, *dhT, *dcT)]
    x64 = f64[0]
    fwd, bwd = getattr(reference, f"{cell}_forward"), getattr(reference, f"{cell}_backward")
    has_cell = cells.get(cell).has_cell
    for d in range(2):
        kw = dict(h0=f64[1 + d], lengths=lengths, reverse=d == 1)
        if has_cell:
            kw["c0"] = f64[3 + d]
        ref = fwd(x64, *(w.astype(np.float64) for w in weights[d]), **kw)
        assert_close(outs[d][0], ref[0], dtype, f"y[{d}]")
        assert_close(outs[d][1], ref[1], dtype, f"hT[{d}]")
        bkw = dict(dhT=f64[7 + d])
        if has_cell:
            bkw["dcT"] = f64[9 + d]
        ref_g = bwd(ref[-1], f64[5 + d], **bkw)
        for name in ("dx", "dw_ih", "dw_hh", "db_ih", "db_hh", "dh0"):
            assert_close(grads[d][name], getattr(ref_g, name), dtype, f"{name}[{d}]")


def test_pair_errors_name_the_argument():
    x, weights, h0, c0, lengths, *_ = _layer("gru", np.float32, T=3, B=2, I=4, H=5)
    with pytest.raises(ValueError, match=r"h0: expected shape \(B, H\) = \(2, 5\), got \(2, 4\)"):
        F._forward_pair("gru", "tanh", x, weights, [h0[0], h0[1][:, :4]], c0, lengths, True)
    outs = F._forward_pair("gru", "tanh", x, weights, h0, c0, lengths, True)
    with pytest.raises(TypeError, match="ws: expected the workspace"):
        F._backward_pair("gru", [outs[0][3], None], [None] * 2, [None] * 2, [None] * 2)
    x, weights, *_ = _layer("rnn", np.float32, T=3, B=2, I=4, H=5)
    ws = [F._forward("rnn", unit, x, *weights[d], None, None, None, True, d == 1)[3]
          for d, unit in enumerate(("tanh", "relu"))]
    with pytest.raises(ValueError, match="ws: both directions' workspaces must come from one unit"):
        F._backward_pair("rnn", ws, [None] * 2, [None] * 2, [None] * 2)


# ---- rnnkern.nn's bidirectional stacks ------------------------------------------------------------

def _loss(m, x, lengths, dy, dh):
    y, state = m.forward(x, lengths=lengths)
    h = state[0] if isinstance(state, tuple) else state
    return float(np.sum(y * dy) + np.sum(h * dh))


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_nn_bidirectional_gradients_match_finite_differences(kind):
    rng = np.random.default_rng(4)
    m = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, learn_initial_state=True,
                          dtype=np.float64, rng=5)
    T, B, H = 5, 3, 4
    x, lengths = rng.standard_normal((T, B, 3)), np.array([5, 2, 4])
    dy, dh = rng.standard_normal((T, B, 2 * H)), rng.standard_normal((4, B, H))
    y, state = m.forward(x, lengths=lengths)
    assert y.shape == (T, B, 2 * H)
    assert np.all(y[lengths[1]:, 1] == 0)  # past a sequence's end, both directions' outputs
    dstate = (dh, np.zeros_like(dh)) if kind == "LSTM" else dh
    m.zero_grad()
    dx, _ = m.backward(dy, dstate)
    eps = 1e-6
    for p in m.parameters():
        for idx in [tuple(rng.integers(0, n) for n in p.value.shape) for _ in range(2)]:
            old = p.value[idx]
            p.value[idx] = old + eps
            up = _loss(m, x, lengths, dy, dh)
            p.value[idx] = old - eps
            down = _loss(m, x, lengths, dy, dh)
            p.value[idx] = old
            np.testing.assert_allclose(p.grad[idx], (up - down) / (2 * eps), rtol=1e-5, atol=1e-7,
                                       err_msg=f"{kind} {p.name}{idx}")
    t, b, i = 1, 2, 0
    xp, xm = x.copy(), x.copy()
    xp[t, b, i] += eps
    xm[t, b, i] -= eps
    fd = (_loss(m, xp, lengths, dy, dh) - _loss(m, xm, lengths, dy, dh)) / (2 * eps)
    np.testing.assert_allclose(dx[t, b, i], fd, rtol=1e-5, atol=1e-7)


def test_nn_bidirectional_layer_is_two_directions_of_functional():
    """One layer: its output is the two directions' outputs side by side, its states [fwd, rev]"""
    m = nn.GRU(3, 5, bidirectional=True, dtype=np.float64, rng=2)
    x = np.random.default_rng(3).standard_normal((6, 2, 3))
    lengths = np.array([6, 3])
    y, h = m.forward(x, lengths=lengths, training=False)
    for d, sfx in enumerate(("", "_reverse")):
        yd, hd, _ = rnnkern.gru_forward(x, *m._layer_params(0, sfx), lengths=lengths,
                                        training=False, reverse=d == 1)
        assert np.array_equal(y[:, :, 5 * d:5 * (d + 1)], yd)
        assert np.array_equal(h[d], hd)


def test_nn_bidirectional_states_jvp_and_repr():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, rng=0)
    assert "bidirectional=True" in repr(m)
    x = np.zeros((2, 3, 3), np.float32)
    h, c = m.initial_state(3)
    assert h.shape == c.shape == (4, 3, 4)
    with pytest.raises(ValueError, match=r"state \(h\): expected shape \(2 \* num_layers, B, H\)"):
        m.forward(x, (h[:2], c[:2]))
    m.forward(x)
    with pytest.raises(NotImplementedError, match="jvp: not implemented for bidirectional"):
        m.jvp(x)
    with pytest.raises(ValueError, match=r"dy: expected shape \(T, B, 2 \* H\)"):
        m.backward(np.zeros((2, 3, 4), np.float32))
