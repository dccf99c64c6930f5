"""Forward-mode products (lstm_jvp, gru_jvp, rnn_jvp): every cell x dtype x ISA against
reference.*_jvp, both against central finite differences of the forward in float64, the transpose
of backward, missing tangents, lengths, thread counts and argument errors."""
import numpy as np
import pytest

import rnnkern
from rnnkern import reference
from conftest import assert_close
from test_cells import CELLS, GATES, make_problem

# (T, B, I, H): one step and unit, odd sizes over a panel, a wide layer
SHAPES = [(1, 1, 1, 1), (7, 3, 13, 29), (4, 2, 16, 300)]
PARAMS = ("x", "w_ih", "w_hh", "b_ih", "b_hh", "h0", "c0")


def tangents(cell, p, seed=1):
    rng = np.random.default_rng(seed)
    return {"d" + k: rng.standard_normal(a.shape).astype(a.dtype) for k, a in p.items()}


def forward(module, cell, p, lengths=None):
    kind, _, act = cell.partition("-")
    kw = dict(p, lengths=lengths, **({"activation": act} if act else {}))
    return getattr(module, f"{kind}_forward")(**kw)


def jvp(module, cell, p, t, lengths=None):
    """-> (tangents of y, hT[, cT]) through `module` (rnnkern or reference)."""
    ws = forward(module, cell, p, lengths)[-1]
    return getattr(module, f"{cell.partition('-')[0]}_jvp")(ws, **t)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T%dB%dI%dH%d" % s)
@pytest.mark.parametrize("cell", CELLS)
def test_jvp_matches_reference(cell, shape, dtype, isa):
    p, _ = make_problem(cell, *shape, dtype)
    t = tangents(cell, p)
    lengths = np.arange(shape[1]) % (shape[0] + 1)  # 0, 1, ... : empty, short and full sequences
    got = jvp(rnnkern, cell, p, t, lengths)
    f64 = lambda d: {k: a.astype(np.float64) for k, a in d.items()}
    want = jvp(reference, cell, f64(p), f64(t), lengths)
    assert len(got) == len(want) == (3 if cell == "lstm" else 2)
    for name, a, b in zip(("dy", "dhT", "dcT"), got, want):
        assert a.dtype == dtype and a.shape == b.shape
        assert_close(a, b, dtype, f"{cell} {name}")
    assert not got[0][:, lengths == 0].any()  # no output, so no tangent, past a sequence's end
    np.testing.assert_array_equal(got[1][lengths == 0], t["dh0"][lengths == 0])  # carried


@pytest.mark.parametrize("module", [rnnkern, reference], ids=["kernels", "reference"])
@pytest.mark.parametrize("cell", CELLS)
def test_jvp_matches_central_differences(cell, module):
    p, _ = make_problem(cell, 5, 3, 4, 6, np.float64, seed=2)
    t = tangents(cell, p, seed=3)
    lengths = np.array([5, 2, 0])
    eps = 1e-6
    shifted = lambda s: forward(module, cell, {k: a + s * eps * t["d" + k] for k, a in p.items()}, lengths)
    plus, minus = shifted(1), shifted(-1)
    for name, got, a, b in zip(("dy", "dhT", "dcT"), jvp(module, cell, p, t, lengths), plus, minus):
        np.testing.assert_allclose(got, (a - b) / (2 * eps), rtol=1e-6, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("cell", CELLS)
def test_jvp_is_the_transpose_of_backward(cell, isa):
    # <u, J v> = <J^T u, v>: forward mode and BPTT are the same Jacobian
    p, g = make_problem(cell, 6, 2, 5, 19, np.float64, seed=4)
    t = tangents(cell, p, seed=5)
    outs = forward(rnnkern, cell, p, np.array([6, 3]))
    Jv = getattr(rnnkern, f"{cell.partition('-')[0]}_jvp")(outs[-1], **t)
    JTu = getattr(rnnkern, f"{cell.partition('-')[0]}_backward")(outs[-1], **g)
    lhs = sum(np.vdot(u, jv) for u, jv in zip(g.values(), Jv))
    rhs = sum(np.vdot(getattr(JTu, k), t[k]) for k in JTu._fields)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


@pytest.mark.parametrize("cell", CELLS)
def test_missing_tangents_are_zero(cell, dtype):
    p, _ = make_problem(cell, 4, 2, 3, 17, dtype, seed=6)
    t = tangents(cell, p, seed=7)
    ws = forward(rnnkern, cell, p)[-1]
    fn = getattr(rnnkern, f"{cell.partition('-')[0]}_jvp")
    for out in fn(ws):
        assert out.dtype == dtype and not out.any()
    total = [np.zeros_like(a) for a in fn(ws)]
    for k, v in t.items():  # linear in the tangents: one at a time sums to all at once
        for acc, part in zip(total, fn(ws, **{k: v})):
            acc += part
    for a, b in zip(total, fn(ws, **t)):
        assert_close(a, b, dtype)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn-tanh"])
def test_jvp_bitwise_across_threads(cell, dtype, isa, threads):
    p, _ = make_problem(cell, 6, 8, 20, 70, dtype, seed=8)  # a step big enough to run threaded
    t = tangents(cell, p, seed=9)
    ws = forward(rnnkern, cell, p, np.array([6, 5, 1, 0, 6, 6, 3, 2]))[-1]
    fn = getattr(rnnkern, f"{cell.partition('-')[0]}_jvp")
    runs = []
    for n in (1, 2, 3, 7):
        rnnkern.set_num_threads(n)
        runs.append(fn(ws, **t))
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)


def test_jvp_errors_name_the_argument():
    p, _ = make_problem("gru", 3, 2, 4, 5, np.float32)
    ws = forward(rnnkern, "gru", p)[-1]
    with pytest.raises(TypeError, match="ws: expected the workspace"):
        rnnkern.gru_jvp(None)
    with pytest.raises(ValueError, match="ws: this workspace was made by gru_forward"):
        rnnkern.lstm_jvp(ws)
    with pytest.raises(ValueError, match=r"dw_hh: expected shape \(3\*H, H\) = \(15, 5\), got \(15, 4\)"):
        rnnkern.gru_jvp(ws, dw_hh=np.zeros((15, 4), np.float32))
    with pytest.raises(TypeError, match="dx: expected dtype float32"):
        rnnkern.gru_jvp(ws, dx=np.zeros((3, 2, 4)))
    with pytest.raises(TypeError, match="dc0"):
        rnnkern.gru_jvp(ws, dc0=np.zeros((2, 5), np.float32))
