"""Layer objects: every gradient (weights, biases, learned initial states, inputs, initial states)
against central finite differences in float64, through multi-layer stacks and a Linear readout;
state_dict, accumulation, per-step gradient norms and errors."""
import numpy as np
import pytest

import rnnkern
from rnnkern import nn

T, B, I, H, K = 5, 3, 4, 6, 2


def _loss(net, x, R, S, state=None, lengths=None):
    """A scalar whose gradient is known: sum(out * R) + sum(final h * S)."""
    out, final = net.forward(x, state, lengths, training=False)
    h = final[0] if isinstance(final, tuple) else final
    return float(np.sum(out * R) + np.sum(h * S))


def _backward(net, x, R, S, state=None, lengths=None):
    out, final = net.forward(x, state, lengths)
    dstate = (S, np.zeros_like(S)) if isinstance(final, tuple) else S
    net.zero_grad()
    return net.backward(R, dstate)


def _numeric(f, a, idx, eps=1e-6):
    old = a[idx]
    a[idx] = old + eps
    up = f()
    a[idx] = old - eps
    down = f()
    a[idx] = old
    return (up - down) / (2 * eps)


def _check(f, array, grad, rng, n=6):
    flat = array.reshape(-1)
    g = grad.reshape(-1)
    for i in rng.choice(flat.size, size=min(n, flat.size), replace=False):
        want = _numeric(f, flat, i)
        assert abs(g[i] - want) <= 1e-6 * max(1.0, abs(want)), (i, g[i], want)


def _cell(kind, layers, learn):
    kw = dict(dtype=np.float64, rng=1, learn_initial_state=learn)
    if kind.startswith("rnn"):
        return nn.RNN(I, H, layers, activation=kind.split("-")[1], **kw)
    return {"lstm": nn.LSTM, "gru": nn.GRU}[kind](I, H, layers, **kw)


KINDS = ["lstm", "gru", "rnn-tanh", "rnn-relu", "rnn-logistic"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layers, learn", [(1, False), (2, True)])
def test_parameter_gradients_match_finite_differences(kind, layers, learn):
    rng = np.random.default_rng(0)
    net = nn.SequenceModel(_cell(kind, layers, learn), nn.Linear(H, K, dtype=np.float64, rng=2))
    x = rng.standard_normal((T, B, I))
    R, S = rng.standard_normal((T, B, K)), rng.standard_normal((layers, B, H))
    lengths = np.array([T, 2, 4])
    _backward(net, x, R, S, lengths=lengths)
    names = [p.name for p in net.parameters()]
    if learn:
        assert "recurrent.h0_l1" in names and ("recurrent.c0_l0" in names) == (kind == "lstm")
    for p in net.parameters():
        _check(lambda: _loss(net, x, R, S, lengths=lengths), p.value, p.grad, rng)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn-tanh"])
def test_input_and_initial_state_gradients(kind):
    rng = np.random.default_rng(3)
    net = nn.SequenceModel(_cell(kind, 2, False), nn.Linear(H, K, dtype=np.float64, rng=2))
    x = rng.standard_normal((T, B, I))
    R, S = rng.standard_normal((T, B, K)), rng.standard_normal((2, B, H))
    h0 = rng.standard_normal((2, B, H))
    state = (h0, rng.standard_normal((2, B, H))) if kind == "lstm" else h0
    dx, dstate0 = _backward(net, x, R, S, state=state)
    _check(lambda: _loss(net, x, R, S, state=state), x, dx, rng)
    for s, ds in zip(state, dstate0) if kind == "lstm" else [(state, dstate0)]:
        _check(lambda: _loss(net, x, R, S, state=state), s, ds, rng)


def test_learned_initial_state_is_used_and_shared_over_the_batch():
    net = nn.GRU(I, H, learn_initial_state=True, dtype=np.float64, rng=0)
    x = np.zeros((0, B, I))
    _, hT = net.forward(x)  # no steps: the final state is the initial one
    np.testing.assert_array_equal(hT[0], np.broadcast_to(net.h0_l0, (B, H)))
    # an explicit state overrides the learned one, which then gets no gradient
    y, _ = net.forward(np.ones((T, B, I)), state=np.zeros((1, B, H)))
    net.zero_grad()
    net.backward(np.ones_like(y))
    assert not net._grads["h0_l0"].any()


def test_feed_forward_layers_gradients():
    rng = np.random.default_rng(4)
    for act in ("tanh", "relu", "logistic"):
        net = nn.Sequential(nn.Linear(I, 5, dtype=np.float64, rng=1), nn.Activation(act),
                            nn.Linear(5, K, dtype=np.float64, rng=2))
        x, R = rng.standard_normal((T, B, I)), rng.standard_normal((T, B, K))
        net.forward(x)
        net.zero_grad()
        dx = net.backward(R)
        f = lambda: float(np.sum(net.forward(x, training=False) * R))  # noqa: E731
        _check(f, x, dx, rng)
        for p in net.parameters():
            _check(f, p.value, p.grad, rng)
    assert [p.name for p in net.parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_gradients_accumulate_until_zero_grad():
    rng = np.random.default_rng(5)
    net = nn.LSTM(I, H, dtype=np.float64, rng=0)
    x, dy = rng.standard_normal((T, B, I)), rng.standard_normal((T, B, H))
    net.forward(x)
    net.backward(dy)
    once = {p.name: p.grad.copy() for p in net.parameters()}
    net.forward(x)
    net.backward(dy)
    for p in net.parameters():
        np.testing.assert_allclose(p.grad, 2 * once[p.name])
    net.zero_grad()
    assert all(not p.grad.any() for p in net.parameters())


def test_matches_the_functional_api_and_reports_dh_norms():
    rng = np.random.default_rng(6)
    net = nn.RNN(I, H, activation="logistic", rng=0)  # float32, the default
    x, dy = rng.standard_normal((T, B, I)).astype(np.float32), rng.standard_normal((T, B, H)).astype(np.float32)
    y, hT = net.forward(x)
    y2, hT2, ws = rnnkern.rnn_forward(x, net.weight_ih_l0, net.weight_hh_l0, net.bias_ih_l0, net.bias_hh_l0,
                                      activation="logistic")
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_array_equal(hT[0], hT2)
    dx, dh0, norms = net.backward(dy, return_dh_norms=True)
    want = np.empty((T, B), np.float32)
    g = rnnkern.rnn_backward(ws, dy, dh_norms_out=want)
    assert norms.shape == (1, T, B) and norms.dtype == np.float32
    np.testing.assert_array_equal(norms[0], want)
    np.testing.assert_array_equal(dx, g.dx)
    np.testing.assert_array_equal(net._grads["weight_hh_l0"], g.dw_hh)


def test_state_dict_uses_pytorch_names_and_round_trips():
    a = nn.LSTM(I, H, 2, rng=0)
    assert list(a.state_dict()) == [f"{w}_l{k}" for k in range(2)
                                    for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert a.weight_ih_l1.shape == (4 * H, H) and a.bias_hh_l0.shape == (4 * H,)
    b = nn.LSTM(I, H, 2, rng=1)
    ref = b.weight_hh_l0
    b.load_state_dict(a.state_dict())
    assert b.weight_hh_l0 is ref  # loaded in place: optimisers keep their references
    x = np.random.default_rng(0).standard_normal((T, B, I))
    np.testing.assert_array_equal(a.forward(x, training=False)[0], b.forward(x, training=False)[0])
    with pytest.raises(KeyError, match="missing"):
        b.load_state_dict({"weight_ih_l0": a.weight_ih_l0})
    bad = a.state_dict()
    bad["weight_ih_l0"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"weight_ih_l0.*shape"):
        b.load_state_dict(bad)


def test_same_outputs_as_torch():
    torch = pytest.importorskip("torch")
    for kind, ours, theirs in (("lstm", nn.LSTM, torch.nn.LSTM), ("gru", nn.GRU, torch.nn.GRU),
                               ("rnn", nn.RNN, torch.nn.RNN)):
        net = ours(I, H, 2, dtype=np.float64, rng=0)
        ref = theirs(I, H, 2).double()
        ref.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()})
        x = np.random.default_rng(1).standard_normal((T, B, I))
        y, final = net.forward(x, training=False)
        y_ref, final_ref = ref(torch.from_numpy(x))
        np.testing.assert_allclose(y, y_ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        h_ref = final_ref[0] if kind == "lstm" else final_ref
        np.testing.assert_allclose(final[0] if kind == "lstm" else final, h_ref.detach().numpy(), atol=1e-12)


def test_dtype_and_errors():
    net = nn.SequenceModel(nn.GRU(I, H, rng=0), nn.Linear(H, K, rng=0))
    assert all(p.value.dtype == np.float32 for p in net.parameters())
    out, _ = net.forward(np.ones((T, B, I)))  # float64 input converted to the net's dtype
    assert out.dtype == np.float32
    with pytest.raises(TypeError, match="dtype"):
        nn.LSTM(I, H, dtype=np.int32)
    with pytest.raises(TypeError, match="dtype"):
        nn.SequenceModel(nn.LSTM(I, H), nn.Linear(H, K, dtype=np.float64))
    with pytest.raises(ValueError, match="activation"):
        nn.RNN(I, H, activation="sigmoid")
    with pytest.raises(ValueError, match="num_layers"):
        nn.LSTM(I, H, 0)
    fresh = nn.LSTM(I, H)
    with pytest.raises(RuntimeError, match="forward"):
        fresh.backward(np.zeros((T, B, H)))
    with pytest.raises(ValueError, match=r"input_size = 4"):
        fresh.forward(np.zeros((T, B, I + 1)))
    with pytest.raises(ValueError, match=r"state \(h\).*\(1, 3, 6\)"):
        fresh.forward(np.zeros((T, B, I)), state=(np.zeros((B, H)), np.zeros((1, B, H))))
    fresh.forward(np.zeros((T, B, I)), training=False)
    with pytest.raises(RuntimeError):
        fresh.backward(np.zeros((T, B, H)))
    fresh.forward(np.zeros((T, B, I)))
    with pytest.raises(ValueError, match=r"dy: expected shape \(T, B, H\)"):  # never cut to H
        fresh.backward(np.zeros((T, B, H + 1)))
    with pytest.raises(TypeError, match="SequenceModel"):
        nn.Sequential(nn.LSTM(I, H))
    assert "num_layers=1" in repr(fresh) and net.num_parameters() == 3 * H * (I + H + 2) + K * (H + 1)
