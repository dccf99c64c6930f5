"""Hostile inputs through the layers of rnnkern.nn: stacked LSTM / GRU / RNN layers (with and without
biases and learned initial states) and the feed-forward layers, fed every layout, booleans and
integers (converted), complex, text and masked arrays (refused), wrong shapes, and lengths of every
integer dtype; results checked against a stack of rnnkern.reference cells."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import rnnkern
from rnnkern import nn, reference
from hostile import (CASES, FLOATS, SAME_VALUES, apply_layout, close, expect_refusal, lengths, reference_dtype, tally,
                     values)

pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::RuntimeWarning")]

LAYERS = {"lstm": lambda *a, **k: nn.LSTM(*a, **k), "gru": lambda *a, **k: nn.GRU(*a, **k),
          "rnn-tanh": lambda *a, **k: nn.RNN(*a, activation="tanh", **k),
          "rnn-relu": lambda *a, **k: nn.RNN(*a, activation="relu", **k),
          "rnn-logistic": lambda *a, **k: nn.RNN(*a, activation="logistic", **k)}
# what nn converts (any real numbers) and what it refuses, with the exception
CONVERTED = ("bool", "int32", "uint8", "other_float")
REFUSED = {"complex": TypeError, "text": TypeError, "object": TypeError, "masked": TypeError,
           "wrong_size": ValueError, "extra_dim": ValueError, "none": TypeError}


def _pass_as(how, a, draw, dtype):
    """(argument, its values in dtype, exception or None)"""
    if how in SAME_VALUES:
        arg, logical, _ = apply_layout(how, a, draw)
        return arg, logical, None
    if how == "bool":
        return a > 0, (a > 0).astype(dtype), None
    if how in ("int32", "uint8"):
        ints = np.abs(np.nan_to_num(a * 3, posinf=2, neginf=2)).astype(how)
        return ints, ints.astype(dtype), None
    if how == "other_float":
        other = a.astype(np.float32 if dtype == np.float64 else np.float64)
        return other, other.astype(dtype), None
    if how == "complex":
        return a + 1j, None, REFUSED[how]
    if how == "text":
        return a.astype(str), None, REFUSED[how]
    if how == "object":
        return a.astype(object), None, REFUSED[how]
    if how == "masked":
        return np.ma.masked_array(a), None, REFUSED[how]
    if how == "wrong_size":
        return np.zeros(a.shape[:-1] + (a.shape[-1] + 1,), dtype), None, REFUSED[how]
    if how == "extra_dim":
        return a[None], None, REFUSED[how]
    if how == "none":
        return None, None, REFUSED[how]
    raise AssertionError(how)


@st.composite
def layer_case(draw):
    cell = draw(st.sampled_from(sorted(LAYERS)))
    dtype = draw(st.sampled_from(FLOATS))
    L, T, B = draw(st.integers(1, 2)), draw(st.sampled_from([0, 1, 3, 5])), draw(st.sampled_from([0, 1, 2, 4]))
    I, H = draw(st.sampled_from([1, 3, 8])), draw(st.sampled_from([1, 2, 9]))
    bad = draw(st.sampled_from([None] * 6 + ["x", "state", "dy", "lengths"]))
    opts = dict(bias=draw(st.booleans()), learn_initial_state=draw(st.booleans()),
                rng=draw(st.integers(0, 1000)), dtype=dtype)
    layouts = [n for n in SAME_VALUES if n not in ("matrix", "list")] + list(CONVERTED)

    def arg(name, shape):
        refused = [r for r in REFUSED if r != "none" or name == "x"]  # state=None, dy=None: defaults
        how = draw(st.sampled_from(refused if name == bad else layouts))
        return _pass_as(how, draw(values(shape, dtype)), draw, dtype)

    case = dict(cell=cell, dtype=dtype, L=L, T=T, B=B, I=I, H=H, opts=opts, error=None)
    case["x"], case["x_values"], exc = arg("x", (T, B, I))
    if exc:
        case["error"] = (exc, "x")
    case["state"] = case["state_values"] = None
    if bad == "state" or draw(st.booleans()):
        names = ("h", "c") if cell == "lstm" else ("h",)
        parts = [arg("state", (L, B, H)) for _ in names]
        case["state"] = tuple(p[0] for p in parts) if cell == "lstm" else parts[0][0]
        case["state_values"] = [p[1] for p in parts]
        if any(p[2] for p in parts):
            exc = next(p[2] for p in parts if p[2])
            case["error"] = (ValueError if exc is ValueError else TypeError, "state")
    case["dy"], case["dy_values"], exc = arg("dy", (T, B, H))
    if exc and case["error"] is None:
        case["error"] = (exc, "dy")
    case["lengths"], case["lengths_values"], exc = draw(lengths(T, B, refuse=bad == "lengths"))
    if exc:
        case["error"] = (exc, "lengths")
    return case


def _reference(layer, case):
    """y, final states and every gradient of the layer, from a stack of reference cells (float64, or
    see reference_dtype)."""
    kind, _, act = case["cell"].partition("-")
    kw = {"activation": act} if act else {}
    rdt = reference_dtype(case["cell"], case["dtype"])
    p = {k: v.astype(rdt) for k, v in layer.state_dict().items()}
    L, B, H = case["L"], case["B"], case["H"]
    names = ("h0", "c0") if kind == "lstm" else ("h0",)
    if case["state_values"] is not None:
        starts = [s.astype(rdt) for s in case["state_values"]]
    elif layer.learn_initial_state:
        starts = [np.stack([np.broadcast_to(p[f"{n}_l{k}"], (B, H)) for k in range(L)]) for n in names]
    else:
        starts = [np.zeros((L, B, H), rdt) for _ in names]
    inp, caches, finals = case["x_values"].astype(rdt), [], []
    for k in range(L):
        b = (p.get(f"bias_ih_l{k}"), p.get(f"bias_hh_l{k}"))
        states = {n: s[k] for n, s in zip(names, starts)}
        out = getattr(reference, f"{kind}_forward")(inp, p[f"weight_ih_l{k}"], p[f"weight_hh_l{k}"], *b,
                                                     lengths=case["lengths_values"], **states, **kw)
        inp, caches = out[0], caches + [out[-1]]
        finals.append(out[1:-1])
    grads, d = {}, case["dy_values"].astype(rdt)
    dstart = [np.zeros((L, B, H), rdt) for _ in names]
    for k in reversed(range(L)):
        g = getattr(reference, f"{kind}_backward")(caches[k], d)
        grads[f"weight_ih_l{k}"], grads[f"weight_hh_l{k}"] = g.dw_ih, g.dw_hh
        if layer.bias:
            grads[f"bias_ih_l{k}"], grads[f"bias_hh_l{k}"] = g.db_ih, g.db_hh
        dstart[0][k] = g.dh0
        if kind == "lstm":
            dstart[1][k] = g.dc0
        d = g.dx
    if layer.learn_initial_state and case["state_values"] is None:
        for n, ds in zip(names, dstart):
            for k in range(L):
                grads[f"{n}_l{k}"] = ds[k].sum(axis=0)
    final = [np.stack([f[i] for f in finals]) for i in range(len(names))]
    return inp, final, d, dstart, grads


@CASES
@given(case=layer_case())
def test_recurrent_layers(case):
    rnnkern.set_isa(rnnkern.isa_info()["best"])
    dtype = case["dtype"]
    layer = LAYERS[case["cell"]](case["I"], case["H"], case["L"], **case["opts"])
    error = case["error"]
    fwd = lambda: layer.forward(case["x"], case["state"], case["lengths"])  # noqa: E731
    if error and error[1] != "dy":
        expect_refusal(*error, fwd)
        return
    y, final = fwd()
    if error:
        expect_refusal(*error, lambda: layer.backward(case["dy"]))
        return
    dx, dstate0 = layer.backward(case["dy"])
    tally()
    ref_y, ref_final, ref_dx, ref_dstart, ref_grads = _reference(layer, case)
    close(y, ref_y, dtype, "y")
    close(dx, ref_dx, dtype, "dx")
    for got, want in zip(final if case["cell"] == "lstm" else (final,), ref_final):
        close(got, want, dtype, "final state")
    for got, want in zip(dstate0 if case["cell"] == "lstm" else (dstate0,), ref_dstart):
        close(got, want, dtype, "dstate0")
    got_grads = {p.name: p.grad for p in layer.parameters()}
    for name, want in ref_grads.items():
        close(got_grads[name], want, dtype, name)
    with pytest.raises(RuntimeError, match="^backward"):  # one backward per forward
        layer.backward(case["dy"])


@CASES
@given(dtype=st.sampled_from(FLOATS), shape=st.sampled_from([(0, 3), (1, 3), (4, 2, 3), (2, 3)]),
       how=st.sampled_from([n for n in SAME_VALUES if n != "list"] + list(CONVERTED)
                           + [r for r in REFUSED if r != "extra_dim"]),  # Linear takes any leading axes
       act=st.sampled_from(["tanh", "relu", "logistic"]), data=st.data())
def test_feedforward_layers(dtype, shape, how, act, data):
    net = nn.Sequential(nn.Linear(3, 4, dtype=dtype, rng=0), nn.Activation(act), nn.Linear(4, 2, dtype=dtype, rng=1))
    if how == "matrix" and len(shape) != 2:
        how = "plain"
    x, xv, exc = _pass_as(how, data.draw(values(shape, dtype)), data.draw, dtype)
    if exc:
        expect_refusal(exc, "x", lambda: net.forward(x))
        return
    y = net.forward(x)
    tally()
    w = {p.name: p.value.astype(np.float64) for p in net.parameters()}
    keys = sorted(w)
    first = [k for k in keys if k.endswith("weight")]
    h = xv.astype(np.float64) @ w[first[0]].T + w[first[0].replace("weight", "bias")]
    h = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0), "logistic": lambda a: 1 / (1 + np.exp(-a))}[act](h)
    want = h @ w[first[1]].T + w[first[1].replace("weight", "bias")]
    close(np.asarray(y), want, dtype, "Sequential")
