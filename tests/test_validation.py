"""Input checking at the boundary (docs/architecture.md, "Errors"): every bad input raises TypeError/ValueError
before any kernel runs, naming the argument with the expected and the actual shape, dtype or value;
sizes are refused before allocation; non-contiguous, NaN/Inf and zero-size inputs are handled."""
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import rnnkern
from rnnkern import _ext
from rnnkern import reference as ref

from conftest import assert_close

T, B, I, H = 3, 2, 4, 5
CELLS = ["lstm", "gru", "rnn"]
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
FORWARD = {c: getattr(rnnkern, f"{c}_forward") for c in CELLS}
BACKWARD = {c: getattr(rnnkern, f"{c}_backward") for c in CELLS}
BAD_DTYPES = [np.int32, np.int64, np.uint8, np.bool_, np.complex64, np.complex128, np.float16]


def msg(name, *parts):
    """A `match` regex: the message starts with `name:` and contains every part, in any order."""
    return "^" + re.escape(f"{name}:") + "".join(f"(?=.*{re.escape(str(p))})" for p in parts)


def params(cell, dtype=np.float64, seed=0, t=T, b=B, i=I, h=H, state=True):
    """Random arguments of one cell as keyword arguments of its forward (biases and states included)."""
    rng = np.random.default_rng(seed)
    G = GATES[cell] * h
    p = dict(x=rng.standard_normal((t, b, i)), w_ih=rng.uniform(-0.4, 0.4, (G, i)),
             w_hh=rng.uniform(-0.4, 0.4, (G, h)), b_ih=rng.uniform(-0.4, 0.4, G),
             b_hh=rng.uniform(-0.4, 0.4, G))
    if state:
        p["h0"] = rng.uniform(-0.5, 0.5, (b, h))
        if cell == "lstm":
            p["c0"] = rng.uniform(-0.5, 0.5, (b, h))
    return {k: v.astype(dtype) for k, v in p.items()}


def seeds(cell, dtype=np.float64, seed=1, t=T, b=B, h=H):
    """Random backward seeds dy, dhT (and dcT) as keyword arguments of the cell's backward."""
    rng = np.random.default_rng(seed)
    s = dict(dy=rng.standard_normal((t, b, h)), dhT=rng.standard_normal((b, h)))
    if cell == "lstm":
        s["dcT"] = rng.standard_normal((b, h))
    return {k: v.astype(dtype) for k, v in s.items()}


def forward(cell, p, **kw):
    """-> (y, hT, cT or None, ws) for any cell"""
    out = FORWARD[cell](**p, **kw)
    return out if cell == "lstm" else (out[0], out[1], None, out[2])


def huge(shape, dtype=np.float32):
    """A read-only virtual array of any shape backed by one element (zero strides)."""
    return as_strided(np.zeros(1, dtype), shape=shape, strides=(0,) * len(shape), writeable=False)


@pytest.fixture
def no_kernel(monkeypatch):
    """Call it to make any kernel call fail the test: errors must come before the work."""
    def block():
        def ran(*args, **kwargs):
            raise AssertionError("a kernel ran although the arguments were invalid")
        for fn in ("cell_forward", "cell_backward", "gemm"):
            monkeypatch.setattr(_ext, fn, ran)
    return block


def test_no_kernel_fixture_blocks_kernels(no_kernel):
    """The guard above really stops a kernel: a valid call fails under it."""
    no_kernel()
    with pytest.raises(AssertionError, match="a kernel ran"):
        forward("gru", params("gru"))
    with pytest.raises(AssertionError, match="a kernel ran"):
        rnnkern.gemm(np.ones((2, 2)), np.ones((2, 2)))


# ---- forward: shapes --------------------------------------------------------------------------------

def _shape_cases():
    # (cell, argument, bad value, parts the message must contain: expected then actual)
    cases = []
    for cell in CELLS:
        g = GATES[cell]
        G = g * H
        c = lambda arg, bad, *parts: (cell, arg, bad, parts)  # noqa: E731
        cases += [
            c("x", np.zeros((B, I)), "3-D", "2-D", (B, I)),
            c("x", np.zeros((T, B, I, 1)), "3-D", "4-D", (T, B, I, 1)),
            c("x", np.zeros((T, B, I + 1)), (G, I + 1), (G, I)),  # x's I is checked against w_ih
            c("w_ih", np.zeros((G, I + 1)), (G, I), (G, I + 1)),
            c("w_ih", np.zeros((G + 1, I)), (G, I), (G + 1, I)),
            c("w_ih", np.zeros((I, G)), (G, I), (I, G)),
            c("w_ih", np.zeros(G * I), "2-D", "1-D", (G * I,)),
            c("w_hh", np.zeros(G * H), "2-D", "1-D", (G * H,)),
            c("w_hh", np.zeros((G, H, 1)), "2-D", "3-D", (G, H, 1)),
            c("w_hh", np.zeros((G - 1, H)), f"= {G}", (G - 1, H)),
            c("w_hh", np.zeros((G + 1, H)), f"= {G}", (G + 1, H)),
            c("w_hh", np.zeros((H, G)), f"= {g * G}", (H, G)) if g > 1 else
            c("w_hh", np.zeros((H, H + 1)), f"= {H + 1}", (H, H + 1)),
            c("b_ih", np.zeros(G + 1), (G,), (G + 1,)),
            c("b_ih", np.zeros((1, G)), "1-D", "2-D", (1, G)),
            c("b_hh", np.zeros(G - 1), (G,), (G - 1,)),
            c("b_hh", np.zeros((G, 1)), "1-D", "2-D", (G, 1)),
            c("h0", np.zeros((B, H + 1)), (B, H), (B, H + 1)),
            c("h0", np.zeros((H, B)), (B, H), (H, B)),
            c("h0", np.zeros(H), "2-D", "1-D", (H,)),
            c("h0", np.zeros((1, B, H)), "2-D", "3-D", (1, B, H)),
        ]
        if cell == "lstm":
            cases += [c("c0", np.zeros((B + 1, H)), (B, H), (B + 1, H)),
                      c("c0", np.zeros(B * H), "2-D", "1-D", (B * H,))]
    return cases


@pytest.mark.parametrize("cell, arg, bad, parts", _shape_cases())
def test_forward_bad_shape(cell, arg, bad, parts, no_kernel):
    p = params(cell)
    p[arg] = bad
    name = "w_ih" if arg == "x" and bad.ndim == 3 else arg
    no_kernel()
    with pytest.raises(ValueError, match=msg(name, *parts)):
        forward(cell, p)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("arg", ["x", "w_ih", "w_hh"])
def test_forward_missing_required(cell, arg, no_kernel):
    p = params(cell)
    p[arg] = None
    no_kernel()
    with pytest.raises(TypeError, match=msg(arg, "None")):
        forward(cell, p)


# ---- forward: dtypes --------------------------------------------------------------------------------

def _args(cell):
    return ["w_ih", "w_hh", "b_ih", "b_hh", "h0"] + (["c0"] if cell == "lstm" else [])


@pytest.mark.parametrize("cell, arg", [(c, a) for c in CELLS for a in _args(c)])
@pytest.mark.parametrize("x_dtype, other", [(np.float32, np.float64), (np.float64, np.float32)],
                         ids=["x32-arg64", "x64-arg32"])
def test_forward_dtype_mismatch(cell, arg, x_dtype, other, no_kernel):
    p = params(cell, x_dtype)
    p[arg] = p[arg].astype(other)
    no_kernel()
    with pytest.raises(TypeError, match=msg(arg, np.dtype(x_dtype).name, np.dtype(other).name)):
        forward(cell, p)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bad", BAD_DTYPES, ids=lambda d: np.dtype(d).name)
def test_forward_x_bad_dtype(cell, bad, no_kernel):
    p = params(cell, np.float32)
    p["x"] = p["x"].astype(bad)
    no_kernel()
    with pytest.raises(TypeError, match=msg("x", "float32", "float64", np.dtype(bad).name)):
        forward(cell, p)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bad", BAD_DTYPES, ids=lambda d: np.dtype(d).name)
def test_forward_arg_bad_dtype(cell, bad, no_kernel):
    """Each non-x input of a refused dtype names itself, never converted or reinterpreted."""
    for arg in _args(cell):
        p = params(cell, np.float32)
        p[arg] = p[arg].astype(bad)
        no_kernel()
        with pytest.raises(TypeError, match=msg(arg, "float32", np.dtype(bad).name)):
            forward(cell, p)


def test_forward_list_of_ints_is_refused(no_kernel):
    p = params("gru")
    p["x"] = [[[1, 2, 3, 4]] * B] * T
    no_kernel()
    with pytest.raises(TypeError, match=msg("x", "int")):
        rnnkern.gru_forward(**p)


# ---- forward: lengths and activation ----------------------------------------------------------------

LENGTHS_VALUE = [([-1, 2], ValueError, ("[0, T]", f"[0, {T}]", "-1")),
                 ([2, T + 1], ValueError, (f"[0, {T}]", str(T + 1), "index 1")),
                 ([0, -7], ValueError, ("-7", "index 1"))]
LENGTHS_SHAPE = [(np.array([1, 2, 3]), ValueError, (f"({B},)", "(3,)")),
                 (np.array([1]), ValueError, (f"({B},)", "(1,)")),
                 (np.array([[1, 2]]), ValueError, (f"({B},)", f"(1, {B})")),
                 (np.array(2), ValueError, (f"({B},)", "()"))]
LENGTHS_DTYPE = [(np.array([1.0, 2.0]), TypeError, ("integer", "float64")),
                 (np.array([1.5, 2.0], np.float32), TypeError, ("integer", "float32")),
                 ([1, 2.5], TypeError, ("integer", "float64")),
                 (np.array([True, False]), TypeError, ("integer", "bool")),
                 (np.array(["1", "2"]), TypeError, ("integer", "<U1"))]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("lengths, exc, parts", LENGTHS_VALUE + LENGTHS_SHAPE + LENGTHS_DTYPE)
def test_forward_bad_lengths(cell, lengths, exc, parts, no_kernel):
    p = params(cell)
    no_kernel()
    with pytest.raises(exc, match=msg("lengths", *parts)):
        forward(cell, p, lengths=lengths)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("lengths", [[T, 0], np.array([1, T], np.int32), np.array([2, 2], np.uint8),
                                     (0, 0)], ids=["list", "int32", "uint8", "tuple"])
def test_forward_lengths_any_integer_dtype(cell, lengths):
    p = params(cell)
    y, hT, cT, _ = forward(cell, p, lengths=lengths)
    y64, hT64, cT64, _ = forward(cell, p, lengths=np.asarray(lengths, np.int64))
    assert np.array_equal(y, y64) and np.array_equal(hT, hT64)
    lens = np.asarray(lengths)
    for b in range(B):
        assert not y[lens[b]:, b].any()


@pytest.mark.parametrize("activation, exc, parts", [
    ("gelu", ValueError, ("'tanh'", "'relu'", "'logistic'", "'gelu'")),
    ("", ValueError, ("'tanh'", "''")),
    ("sigmoid", ValueError, ("'logistic'", "'sigmoid'")),
    (None, TypeError, ("'tanh'", "NoneType")),
    (1, TypeError, ("'tanh'", "int")),
    (np.tanh, TypeError, ("'tanh'", "ufunc")),
    (b"tanh", TypeError, ("'tanh'", "bytes")),
])
def test_rnn_bad_activation(activation, exc, parts, no_kernel):
    no_kernel()
    with pytest.raises(exc, match=msg("activation", *parts)):
        rnnkern.rnn_forward(**params("rnn"), activation=activation)


# ---- backward ---------------------------------------------------------------------------------------

def _backward_shape_cases():
    cases = []
    for cell in CELLS:
        c = lambda arg, bad, *parts: (cell, arg, bad, parts)  # noqa: E731
        cases += [c("dy", np.zeros((T, B, H + 1)), (T, B, H), (T, B, H + 1)),
                  c("dy", np.zeros((T + 1, B, H)), (T, B, H), (T + 1, B, H)),
                  c("dy", np.zeros((B, H)), "3-D", "2-D", (B, H)),
                  c("dhT", np.zeros((B, H + 1)), (B, H), (B, H + 1)),
                  c("dhT", np.zeros((T, B, H)), "2-D", "3-D", (T, B, H))]
        if cell == "lstm":
            cases += [c("dcT", np.zeros((B + 1, H)), (B, H), (B + 1, H)),
                      c("dcT", np.zeros(B * H), "2-D", "1-D", (B * H,))]
    return cases


@pytest.mark.parametrize("cell, arg, bad, parts", _backward_shape_cases())
def test_backward_bad_shape(cell, arg, bad, parts, no_kernel):
    ws = forward(cell, params(cell))[3]
    s = seeds(cell)
    s[arg] = bad
    no_kernel()
    with pytest.raises(ValueError, match=msg(arg, *parts)):
        BACKWARD[cell](ws, s.pop("dy"), **s)


@pytest.mark.parametrize("cell, arg", [(c, a) for c in CELLS
                                       for a in ["dy", "dhT"] + (["dcT"] if c == "lstm" else [])])
@pytest.mark.parametrize("dtype, other", [(np.float32, np.float64), (np.float64, np.float32),
                                          (np.float32, np.float16), (np.float64, np.int64),
                                          (np.float32, np.bool_), (np.float64, np.complex128)])
def test_backward_bad_dtype(cell, arg, dtype, other, no_kernel):
    ws = forward(cell, params(cell, dtype))[3]
    s = seeds(cell, dtype)
    s[arg] = s[arg].astype(other)
    no_kernel()
    with pytest.raises(TypeError, match=msg(arg, np.dtype(dtype).name, np.dtype(other).name)):
        BACKWARD[cell](ws, s.pop("dy"), **s)


@pytest.mark.parametrize("made_by", CELLS)
@pytest.mark.parametrize("used_by", CELLS)
def test_backward_wrong_workspace(made_by, used_by, no_kernel):
    ws = forward(made_by, params(made_by))[3]
    if made_by == used_by:
        g = BACKWARD[used_by](ws)  # the right pairing works, and gives zero gradients for zero seeds
        assert not np.any(g.dw_ih) and not np.any(g.dh0)
        return
    no_kernel()
    with pytest.raises(ValueError, match=msg("ws", f"{made_by}_forward", f"{used_by}_backward")):
        BACKWARD[used_by](ws)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bad", [None, object(), {"cell": "lstm"}, np.zeros(10), "ws"],
                         ids=["None", "object", "dict", "ndarray", "str"])
def test_backward_not_a_workspace(cell, bad, no_kernel):
    no_kernel()
    with pytest.raises(TypeError, match=msg("ws", f"{cell}_forward", type(bad).__name__)):
        BACKWARD[cell](bad)


@pytest.mark.parametrize("cell", CELLS)
def test_backward_of_inference_forward(cell, no_kernel):
    p = params(cell)
    ws = forward(cell, p, training=False)[3]
    assert ws is None
    no_kernel()
    with pytest.raises(TypeError, match=msg("ws", "training=True", "NoneType")):
        BACKWARD[cell](ws)


@pytest.mark.parametrize("cell", CELLS)
def test_backward_reference_cache_is_not_a_workspace(cell, no_kernel):
    p = params(cell)
    cache = getattr(ref, f"{cell}_forward")(**p)[-1]
    no_kernel()
    with pytest.raises(TypeError, match=msg("ws", "dict")):
        BACKWARD[cell](cache)


@pytest.mark.parametrize("cell", CELLS)
def test_backward_bad_dh_norms_out(cell, no_kernel):
    ws = forward(cell, params(cell))[3]
    ro = np.zeros((T, B))
    ro.flags.writeable = False
    cases = [(np.zeros((B, T)), ValueError, ((T, B), (B, T))),
             (np.zeros((T, B, 1)), ValueError, ((T, B), (T, B, 1))),
             (np.zeros((T, B), np.float32), TypeError, ("float64", "float32")),
             (np.zeros((T, B), np.int64), TypeError, ("float64", "int64")),
             (np.zeros((B, T)).T, ValueError, ("C-contiguous",)),
             (ro, ValueError, ("writeable",)),
             (np.zeros((T, B)).tolist(), TypeError, ("ndarray", "list"))]
    no_kernel()
    for bad, exc, parts in cases:
        with pytest.raises(exc, match=msg("dh_norms_out", *parts)):
            BACKWARD[cell](ws, dh_norms_out=bad)


@pytest.mark.parametrize("cell", CELLS)
def test_backward_dh_norms_out_overlapping_dy(cell):
    ws = forward(cell, params(cell))[3]
    s = seeds(cell)
    dy = s.pop("dy")
    overlapping = dy.reshape(-1)[:T * B].reshape(T, B)
    with pytest.raises(ValueError, match=msg("dh_norms_out")):
        BACKWARD[cell](ws, dy, dh_norms_out=overlapping, **s)


@pytest.mark.parametrize("cell", CELLS)
def test_backward_is_repeatable_and_writes_no_input(cell):
    p = params(cell)
    kept = {k: v.copy() for k, v in p.items()}
    ws = forward(cell, p, lengths=[T, 1])[3]
    s = seeds(cell)
    g1 = BACKWARD[cell](ws, **s)
    g2 = BACKWARD[cell](ws, **s)
    for name in g1._fields:
        assert np.array_equal(getattr(g1, name), getattr(g2, name)), name
    for k in p:
        assert np.array_equal(p[k], kept[k]), k
    for k, v in seeds(cell).items():
        assert np.array_equal(s[k], v), k


# ---- sizes that overflow ----------------------------------------------------------------------------

@pytest.mark.parametrize("cell", CELLS)
def test_too_large_x(cell, no_kernel):
    """T*B*I = 2**60 elements: refused before any allocation, not a MemoryError or a crash."""
    G = GATES[cell] * H
    no_kernel()
    with pytest.raises(ValueError, match=r"too large.*T\*B\*I"):
        FORWARD[cell](huge((2 ** 30, 2 ** 30, 1)), np.zeros((G, 1), np.float32),
                      np.zeros((G, H), np.float32))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("training", [True, False])
def test_too_large_product(cell, training, no_kernel):
    """Each array is small enough, but T*B*G*H (the gates, the outputs) exceeds the limit."""
    h = 16
    G = GATES[cell] * h
    no_kernel()
    with pytest.raises(ValueError, match=r"\(T, B, I, H\) = \(268435456, 268435456, 1, 16\) too large"):
        FORWARD[cell](huge((2 ** 28, 2 ** 28, 1)), np.zeros((G, 1), np.float32),
                      np.zeros((G, h), np.float32), training=training)


@pytest.mark.parametrize("cell", CELLS)
def test_too_large_weights(cell, no_kernel):
    """G*H*H in (2**59, 2**61): over the limit, yet a valid (virtual) float32 array."""
    h = 2 ** 30 if cell == "rnn" else 2 ** 29
    no_kernel()
    with pytest.raises(ValueError, match="too large"):
        FORWARD[cell](np.zeros((1, 1, 1), np.float32), huge((GATES[cell] * h, 1)),
                      huge((GATES[cell] * h, h)))


@pytest.mark.parametrize("a_shape, b_shape", [((2 ** 30, 2), (2, 2 ** 30)),
                                              ((2 ** 30, 2 ** 30), (2 ** 30, 2 ** 30))])
def test_gemm_too_large(a_shape, b_shape, no_kernel):
    no_kernel()
    with pytest.raises(ValueError, match="too large"):
        rnnkern.gemm(huge(a_shape), huge(b_shape))


def test_gemm_too_large_with_out(no_kernel):
    """M*K = 2**60 with a small out: refused before the kernel."""
    no_kernel()
    with pytest.raises(ValueError, match="too large"):
        rnnkern.gemm(huge((1, 2 ** 60)), huge((2 ** 60, 1)),
                     out=np.zeros((1, 1), np.float32))


# ---- non-contiguous inputs --------------------------------------------------------------------------

def _non_contiguous(a, how):
    if how == "fortran":
        return np.asfortranarray(a)
    if how == "reversed":  # negative strides, same values
        return np.flip(np.flip(a).copy())
    big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)  # every other column of a larger array
    big[..., ::2] = a
    return big[..., ::2]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("how", ["fortran", "strided", "reversed"])
def test_non_contiguous_inputs(cell, how, dtype):
    p, s = params(cell, dtype), seeds(cell, dtype)
    lengths = np.array([T, 1])
    y, hT, cT, ws = forward(cell, p, lengths=lengths)
    g = BACKWARD[cell](ws, s.pop("dy"), **s)

    pn = {k: _non_contiguous(v, how) for k, v in params(cell, dtype).items()}
    sn = {k: _non_contiguous(v, how) for k, v in seeds(cell, dtype).items()}
    if how != "fortran":  # Fortran order of a 1-D array is C order; the others must really be views
        assert not any(v.flags.c_contiguous for v in pn.values())
    else:
        assert not pn["x"].flags.c_contiguous and not pn["w_ih"].flags.c_contiguous
    lengths_nc = np.array([T, 0, 1, 0])[::2]
    yn, hTn, cTn, wsn = forward(cell, pn, lengths=lengths_nc)
    gn = BACKWARD[cell](wsn, sn.pop("dy"), **sn)
    assert np.array_equal(yn, y) and np.array_equal(hTn, hT)
    if cell == "lstm":
        assert np.array_equal(cTn, cT)
    for name in g._fields:
        assert np.array_equal(getattr(gn, name), getattr(g, name)), name
    for k, v in pn.items():  # inputs are not written to
        assert np.array_equal(v, params(cell, dtype)[k])


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_non_contiguous(trans_a, trans_b, dtype):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((7, 5) if trans_a else (5, 7)).astype(dtype)
    b = rng.standard_normal((9, 7) if trans_b else (7, 9)).astype(dtype)
    c = rnnkern.gemm(a, b, trans_a=trans_a, trans_b=trans_b)
    for how in ["fortran", "strided", "reversed"]:
        an, bn = _non_contiguous(a, how), _non_contiguous(b, how)
        assert not an.flags.c_contiguous
        assert np.array_equal(rnnkern.gemm(an, bn, trans_a=trans_a, trans_b=trans_b), c)
    expect = (a.T if trans_a else a) @ (b.T if trans_b else b)
    assert_close(c, expect, dtype)


# ---- NaN and Inf ------------------------------------------------------------------------------------

def _same_nonfinite(actual, expected, dtype, what):
    assert np.array_equal(np.isnan(actual), np.isnan(expected)), f"{what}: NaN positions differ"
    assert np.array_equal(np.isposinf(actual), np.isposinf(expected)), f"{what}: +Inf positions differ"
    assert np.array_equal(np.isneginf(actual), np.isneginf(expected)), f"{what}: -Inf positions differ"
    fin = np.isfinite(expected)
    assert_close(actual[fin], expected[fin], dtype, what)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("where, value", [("x", np.nan), ("x", np.inf), ("x", -np.inf), ("w_ih", np.nan),
                                          ("w_hh", np.inf), ("b_hh", np.nan), ("h0", np.inf)])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_inf_propagate(cell, where, value, dtype, isa):
    p, s = params(cell, dtype), seeds(cell, dtype)
    a = p[where]
    a[(1,) * a.ndim] = value
    y, hT, cT, ws = forward(cell, p)
    g = BACKWARD[cell](ws, **s)
    ry, rhT, *rest = getattr(ref, f"{cell}_forward")(**p)
    rg = getattr(ref, f"{cell}_backward")(rest[-1], **s)
    if np.isnan(value):  # an Inf may saturate a gate into a finite value, a NaN never vanishes
        assert not np.all(np.isfinite(y)), "a NaN input must reach the outputs"
    _same_nonfinite(y, ry, dtype, "y")
    _same_nonfinite(hT, rhT, dtype, "hT")
    if cell == "lstm":
        _same_nonfinite(cT, rest[0], dtype, "cT")
    if np.isnan(value):
        assert not all(np.all(np.isfinite(v)) for v in g), "a NaN input must reach the gradients"
    for name in g._fields:
        _same_nonfinite(getattr(g, name), getattr(rg, name), dtype, name)
    # batch item 0 never saw the bad value (it sits at index 1 of B, or in a shared weight)
    if where in ("x", "h0"):
        assert np.all(np.isfinite(y[:, 0]))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_padding_never_reaches_outputs(dtype):
    p = params("lstm", dtype)
    p["x"][2:, 1] = np.nan  # past sequence 1's end
    y, hT, cT, ws = rnnkern.lstm_forward(**p, lengths=[T, 2])
    g = rnnkern.lstm_backward(ws, **seeds("lstm", dtype))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(hT)) and np.all(np.isfinite(cT))
    assert all(np.all(np.isfinite(v)) for v in g)
    assert not g.dx[2:, 1].any()


# ---- zero-size problems -----------------------------------------------------------------------------

@pytest.mark.parametrize("cell", CELLS)
def test_empty_sequence(cell, dtype, isa):
    p, s = params(cell, dtype, t=0), seeds(cell, dtype, t=0)
    y, hT, cT, ws = forward(cell, p)
    assert y.shape == (0, B, H) and y.dtype == dtype
    assert np.array_equal(hT, p["h0"]) and hT is not p["h0"]
    if cell == "lstm":
        assert np.array_equal(cT, p["c0"])
    g = BACKWARD[cell](ws, s.pop("dy"), **s)
    assert np.array_equal(g.dh0, s["dhT"])
    if cell == "lstm":
        assert np.array_equal(g.dc0, s["dcT"])
    assert g.dx.shape == (0, B, I)
    for name in ("dw_ih", "dw_hh", "db_ih", "db_hh"):
        assert getattr(g, name).shape == p[name[1:]].shape
        assert not np.any(getattr(g, name)), name
    # without initial states or seeds, everything is zero
    y, hT, cT, ws = forward(cell, params(cell, dtype, t=0, state=False))
    assert not hT.any() and (cT is None or not cT.any())
    assert not BACKWARD[cell](ws).dh0.any()


@pytest.mark.parametrize("cell", CELLS)
def test_empty_sequence_with_lengths(cell):
    p = params(cell, t=0)
    y, hT, _, _ = forward(cell, p, lengths=[0, 0])
    assert y.shape == (0, B, H) and np.array_equal(hT, p["h0"])


@pytest.mark.parametrize("cell", CELLS)
def test_empty_batch(cell, tmp_path):
    """In a subprocess: a crash here must not take the test session down with it."""
    code = textwrap.dedent(f"""
        import numpy as np, rnnkern
        G = {GATES[cell]} * {H}
        x = np.zeros(({T}, 0, {I})); w_ih = np.ones((G, {I})); w_hh = np.ones((G, {H}))
        out = rnnkern.{cell}_forward(x, w_ih, w_hh, lengths=np.zeros(0, np.int64))
        y, hT, ws = out[0], out[1], out[-1]
        assert y.shape == ({T}, 0, {H}) and hT.shape == (0, {H})
        g = rnnkern.{cell}_backward(ws, np.zeros(({T}, 0, {H})))
        assert g.dx.shape == ({T}, 0, {I}) and g.dh0.shape == (0, {H})
        assert not g.dw_ih.any() and not g.dw_hh.any() and not g.db_ih.any() and not g.db_hh.any()
        print("ok")
    """)
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stderr[-2000:])


# ---- gemm -------------------------------------------------------------------------------------------

def _ab(dtype=np.float64, m=3, k=4, n=6):
    rng = np.random.default_rng(7)
    return rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)


@pytest.mark.parametrize("which, bad, parts", [
    ("a", np.zeros(4), ("2-D", "1-D", "(4,)")),
    ("a", np.zeros((2, 3, 4)), ("2-D", "3-D", "(2, 3, 4)")),
    ("b", np.zeros(4), ("2-D", "1-D", "(4,)")),
    ("b", np.zeros(()), ("2-D", "0-D", "()")),
])
def test_gemm_bad_ndim(which, bad, parts, no_kernel):
    a, b = _ab()
    args = {"a": a, "b": b, which: bad}
    no_kernel()
    with pytest.raises(ValueError, match=msg(which, *parts)):
        rnnkern.gemm(args["a"], args["b"])


@pytest.mark.parametrize("a_shape, b_shape, kw, parts", [
    ((3, 4), (5, 6), {}, ("(3, 4)", "4 rows", "(5, 6)")),
    ((3, 4), (6, 4), {}, ("(3, 4)", "(6, 4)")),
    ((4, 3), (4, 6), {}, ("(4, 3)", "(4, 6)")),
    ((3, 4), (4, 6), {"trans_a": True}, ("(4, 3)", "3 rows", "(4, 6)")),
    ((3, 4), (4, 6), {"trans_b": True}, ("(3, 4)", "(6, 4)")),
])
def test_gemm_mismatched_k(a_shape, b_shape, kw, parts, no_kernel):
    no_kernel()
    with pytest.raises(ValueError, match=msg("b", *parts)):
        rnnkern.gemm(np.zeros(a_shape), np.zeros(b_shape), **kw)


@pytest.mark.parametrize("a_dtype, b_dtype, name, parts", [
    (np.float32, np.float64, "b", ("float32", "float64")),
    (np.float64, np.float32, "b", ("float64", "float32")),
    (np.int64, np.float64, "a", ("float32 or float64", "int64")),
    (np.float16, np.float16, "a", ("float32 or float64", "float16")),
    (np.complex128, np.complex128, "a", ("float32 or float64", "complex128")),
    (np.bool_, np.float64, "a", ("float32 or float64", "bool")),
    (np.float32, np.int32, "b", ("float32", "int32")),
])
def test_gemm_bad_dtype(a_dtype, b_dtype, name, parts, no_kernel):
    a, b = _ab()
    no_kernel()
    with pytest.raises(TypeError, match=msg(name, *parts)):
        rnnkern.gemm(a.astype(a_dtype), b.astype(b_dtype))


def test_gemm_out_checks(no_kernel):
    a, b = _ab()
    ro = np.zeros((3, 6))
    ro.flags.writeable = False
    square = np.ones((4, 4))
    no_kernel()
    with pytest.raises(ValueError, match=msg("out", "(3, 6)", "(6, 3)")):
        rnnkern.gemm(a, b, out=np.zeros((6, 3)))
    with pytest.raises(ValueError, match=msg("out", "(3, 6)", "(3, 6, 1)")):
        rnnkern.gemm(a, b, out=np.zeros((3, 6, 1)))
    with pytest.raises(TypeError, match=msg("out", "float64", "float32")):
        rnnkern.gemm(a, b, out=np.zeros((3, 6), np.float32))
    with pytest.raises(TypeError, match=msg("out", "ndarray", "list")):
        rnnkern.gemm(a, b, out=np.zeros((3, 6)).tolist())
    with pytest.raises(ValueError, match=msg("out", "C-contiguous")):
        rnnkern.gemm(a, b, out=np.zeros((6, 3)).T)
    with pytest.raises(ValueError, match=msg("out", "C-contiguous")):
        rnnkern.gemm(a, b, out=np.zeros((3, 12))[:, ::2])
    with pytest.raises(ValueError, match=msg("out", "writeable")):
        rnnkern.gemm(a, b, out=ro)
    with pytest.raises(ValueError, match=msg("out", "overlap")):
        rnnkern.gemm(square, square.copy(), out=square)
    with pytest.raises(ValueError, match=msg("out", "overlap")):
        rnnkern.gemm(np.ones((4, 4)), square, out=square)
    big = np.ones((8, 4))
    with pytest.raises(ValueError, match=msg("out", "overlap")):  # partial overlap with a
        rnnkern.gemm(big[:4], np.ones((4, 4)), out=big[2:6])
    with pytest.raises(ValueError, match=msg("beta")):
        rnnkern.gemm(a, b, beta=0.5)
    for name in ("alpha", "beta"):
        for bad in ("1", True, 1j, None):
            with pytest.raises(TypeError, match=msg(name, type(bad).__name__)):
                rnnkern.gemm(a, b, **{name: bad})


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
def test_gemm_out_in_place(trans_a, trans_b, dtype, isa):
    a, b = _ab(dtype, 17, 9, 13)
    a_ = np.ascontiguousarray(a.T) if trans_a else a
    b_ = np.ascontiguousarray(b.T) if trans_b else b
    c0 = np.random.default_rng(9).standard_normal((17, 13)).astype(dtype)
    out = c0.copy()
    r = rnnkern.gemm(a_, b_, trans_a=trans_a, trans_b=trans_b, alpha=-1.5, beta=0.25, out=out)
    assert r is out
    assert_close(out, -1.5 * (a.astype(np.float64) @ b) + 0.25 * c0, dtype)
    # beta = 0 ignores out's old contents, NaN included
    out[:] = np.nan
    assert rnnkern.gemm(a_, b_, trans_a=trans_a, trans_b=trans_b, out=out) is out
    assert_close(out, a.astype(np.float64) @ b, dtype)
    fresh = rnnkern.gemm(a_, b_, trans_a=trans_a, trans_b=trans_b)
    assert fresh.dtype == dtype and fresh.flags.c_contiguous and np.array_equal(fresh, out)


def test_gemm_empty_k_gives_zeros():
    out = np.full((3, 4), np.nan)
    assert rnnkern.gemm(np.zeros((3, 0)), np.zeros((0, 4)), out=out) is out
    assert not out.any()
    out[:] = 2
    rnnkern.gemm(np.zeros((3, 0)), np.zeros((0, 4)), beta=0.5, out=out)
    assert np.all(out == 1)
    assert rnnkern.gemm(np.zeros((0, 5)), np.zeros((5, 4))).shape == (0, 4)


# ---- threads and ISA --------------------------------------------------------------------------------

@pytest.mark.parametrize("n, exc, parts", [
    (0, ValueError, (">= 1", "got 0")),
    (-1, ValueError, (">= 1", "got -1")),
    (1.5, TypeError, ("integer", "float")),
    (2.0, TypeError, ("integer", "float")),
    ("2", TypeError, ("integer", "str")),
    (True, TypeError, ("integer", "bool")),
    (None, TypeError, ("integer", "NoneType")),
])
def test_set_num_threads_refuses(n, exc, parts, threads):
    before = rnnkern.get_num_threads()
    with pytest.raises(exc, match=msg("n", *parts)):
        rnnkern.set_num_threads(n)
    assert rnnkern.get_num_threads() == before


def test_set_num_threads_accepts_integers(threads):
    rnnkern.set_num_threads(np.int64(3))
    assert rnnkern.get_num_threads() == 3
    rnnkern.set_num_threads(1)
    assert rnnkern.get_num_threads() == 1


def test_set_isa_bogus():
    before = rnnkern.isa_info()["active"]
    with pytest.raises(ValueError, match=msg("isa", *map(repr, rnnkern.ISAS), "'bogus'")):
        rnnkern.set_isa("bogus")
    with pytest.raises(ValueError, match=msg("isa", "'scalar'")):
        rnnkern.set_isa(None)
    assert rnnkern.isa_info()["active"] == before


def test_set_isa_unsupported():
    missing = [n for n in rnnkern.ISAS if n not in rnnkern.available_isas()]
    if not missing:
        pytest.skip("this CPU runs every compiled ISA")
    before = rnnkern.isa_info()["active"]
    with pytest.raises(ValueError, match=msg("isa", repr(missing[-1]), "not supported",
                                             ", ".join(rnnkern.available_isas()))):
        rnnkern.set_isa(missing[-1])
    assert rnnkern.isa_info()["active"] == before
