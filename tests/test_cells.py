"""Every cell x dtype x ISA against rnnkern/reference.py: outputs, final states and all gradients."""
import pickle

import numpy as np
import pytest

import rnnkern
from rnnkern import reference
from conftest import assert_close

GATES = {"lstm": 4, "gru": 3, "rnn-tanh": 1, "rnn-relu": 1, "rnn-logistic": 1}
CELLS = list(GATES)
# (T, B, I, H): single step / unit / item, I != H, odd sizes, a wide layer, and one row wide enough
# for whole one-row panel blocks (8 zmm) and a partial one in every cell (csrc/cell/panel_kernel.inc)
SHAPES = [(1, 1, 1, 1), (3, 1, 5, 1), (1, 4, 3, 7), (7, 3, 13, 29), (4, 2, 16, 300), (6, 5, 9, 17),
          (3, 1, 8, 130)]


def make_problem(cell, T, B, I, H, dtype, seed=0, biases=True, states=True):
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    scale = 1 / np.sqrt(max(H, I))
    p = dict(x=rng.standard_normal((T, B, I)), w_ih=rng.uniform(-2, 2, (G * H, I)) * scale,
             w_hh=rng.uniform(-2, 2, (G * H, H)) * scale)
    if biases:
        p["b_ih"], p["b_hh"] = rng.uniform(-0.5, 0.5, G * H), rng.uniform(-0.5, 0.5, G * H)
    if states:
        p["h0"] = rng.standard_normal((B, H)) * 0.5
        if cell == "lstm":
            p["c0"] = rng.standard_normal((B, H))
    grads_in = dict(dy=rng.standard_normal((T, B, H)), dhT=rng.standard_normal((B, H)))
    if cell == "lstm":
        grads_in["dcT"] = rng.standard_normal((B, H))
    cast = lambda d: {k: np.asarray(a, dtype) for k, a in d.items()}
    return cast(p), cast(grads_in)


def run(module, cell, p, g, lengths=None, training=True, reverse=False):
    """-> (outputs tuple without ws, grads or None) through `module` (rnnkern or reference)."""
    kind, _, act = cell.partition("-")
    kw = dict(p, reverse=reverse)
    if lengths is not None:
        kw["lengths"] = lengths
    if act:
        kw["activation"] = act
    out = getattr(module, f"{kind}_forward")(training=training, **kw)
    if not training:
        return out[:-1], None
    return out[:-1], getattr(module, f"{kind}_backward")(out[-1], **g)


def check_against_reference(cell, p, g, dtype, lengths=None, reverse=False):
    out, grads = run(rnnkern, cell, p, g, lengths, reverse=reverse)
    p64 = {k: a.astype(np.float64) for k, a in p.items()}
    g64 = {k: a.astype(np.float64) for k, a in g.items()}
    ref_out, ref_grads = run(reference, cell, p64, g64, lengths, reverse=reverse)
    for name, a, b in zip(("y", "hT", "cT"), out, ref_out):
        assert a.dtype == dtype
        assert_close(a, b, dtype, f"{cell} {name}")
    for name, a, b in zip(grads._fields, grads, ref_grads):
        assert a.dtype == dtype and a.shape == b.shape, name
        assert_close(a, b, dtype, f"{cell} {name}")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T%dB%dI%dH%d" % s)
@pytest.mark.parametrize("cell", CELLS)
def test_matches_reference(cell, shape, dtype, isa):
    p, g = make_problem(cell, *shape, dtype)
    check_against_reference(cell, p, g, dtype)


@pytest.mark.parametrize("cell", CELLS)
def test_lengths_zero_one_and_full(cell, dtype, isa):
    T, B, I, H = 5, 4, 6, 11
    p, g = make_problem(cell, T, B, I, H, dtype, seed=1)
    lengths = np.array([0, 1, T, 3])
    check_against_reference(cell, p, g, dtype, lengths)
    (y, hT, *rest), _ = run(rnnkern, cell, p, g, lengths)
    assert not y[:, 0].any() and not y[1:, 1].any() and not y[3:, 3].any()
    np.testing.assert_array_equal(hT[0], p["h0"][0])  # a length of 0 returns h0
    np.testing.assert_array_equal(hT[1], y[0, 1])
    np.testing.assert_array_equal(hT[2], y[T - 1, 2])


@pytest.mark.parametrize("cell", CELLS)
def test_teaching_signal_on_subsets(cell, dtype, isa):
    """The lecture's teaching signals: the final step only, or only some units at every step."""
    T, B, I, H = 6, 3, 4, 10
    p, g = make_problem(cell, T, B, I, H, dtype, seed=2)
    last_only = np.zeros_like(g["dy"])
    last_only[-1] = g["dy"][-1]
    check_against_reference(cell, p, {"dy": last_only}, dtype)
    some_units = g["dy"].copy()
    some_units[:, :, ::3] = 0
    check_against_reference(cell, p, {"dy": some_units}, dtype)
    # gradients reach the first input even when the signal is only at the end
    _, grads = run(rnnkern, cell, p, {"dy": last_only})
    assert np.abs(grads.dx[0]).max() > 0


@pytest.mark.parametrize("cell", CELLS)
def test_defaults_are_zeros(cell, dtype, isa):
    T, B, I, H = 4, 2, 3, 5
    p, g = make_problem(cell, T, B, I, H, dtype, seed=3, biases=False, states=False)
    check_against_reference(cell, p, {}, dtype)
    zeros = dict(p, b_ih=np.zeros(GATES[cell] * H, dtype), b_hh=np.zeros(GATES[cell] * H, dtype),
                 h0=np.zeros((B, H), dtype))
    if cell == "lstm":
        zeros["c0"] = np.zeros((B, H), dtype)
    no_dy = {k: np.zeros_like(a) for k, a in g.items()}
    a_out, a_grads = run(rnnkern, cell, p, {})
    b_out, b_grads = run(rnnkern, cell, zeros, no_dy)
    for a, b in zip(a_out + tuple(a_grads), b_out + tuple(b_grads)):
        np.testing.assert_array_equal(a, b)
    assert not any(np.any(a) for a in a_grads)  # no teaching signal, no gradient


@pytest.mark.parametrize("cell", CELLS)
def test_inference_equals_training_forward(cell, dtype, isa):
    p, g = make_problem(cell, 40, 3, 5, 8, dtype, seed=4)
    lengths = np.array([40, 0, 17])
    train_out, _ = run(rnnkern, cell, p, g, lengths)
    infer_out, none = run(rnnkern, cell, p, g, lengths, training=False)
    assert none is None
    for a, b in zip(train_out, infer_out):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell", CELLS)
def test_long_sequence_spans_projection_chunks(cell, dtype, isa):
    """T longer than one input-projection chunk (64 steps at B=1)."""
    p, g = make_problem(cell, 150, 1, 3, 6, dtype, seed=5)
    check_against_reference(cell, p, g, dtype, lengths=np.array([131]))


# (T, B, I, H, lengths): mixed lengths (one row per product), one shared length shorter than T
# (one product per step), more steps than a projection chunk, chunks of few steps and many rows
REVERSE_CASES = [(5, 4, 6, 11, [0, 1, 5, 3]), (6, 5, 9, 17, None), (7, 3, 13, 29, [4, 4, 4]),
                 (150, 2, 3, 6, [131, 150]), (9, 40, 5, 20, "mixed"), (9, 40, 5, 20, [9] * 40)]


@pytest.mark.parametrize("case", REVERSE_CASES, ids=lambda c: "T%dB%dI%dH%d" % c[:4])
@pytest.mark.parametrize("cell", CELLS)
def test_reverse_matches_reference(cell, case, dtype, isa):
    T, B, I, H, lengths = case
    if lengths == "mixed":
        lengths = np.random.default_rng(13).integers(0, T + 1, B)
    lengths = None if lengths is None else np.asarray(lengths)
    p, g = make_problem(cell, T, B, I, H, dtype, seed=14)
    check_against_reference(cell, p, g, dtype, lengths, reverse=True)
    (y, hT, *_), _ = run(rnnkern, cell, p, g, lengths, reverse=True)
    n = np.full(B, T) if lengths is None else lengths
    for b in range(B):
        assert not y[n[b]:, b].any()
        # the state after step 0, or h0 for an empty sequence
        np.testing.assert_array_equal(hT[b], y[0, b] if n[b] else p["h0"][b])


@pytest.mark.parametrize("cell", CELLS)
def test_reverse_is_forward_on_flipped_input(cell, dtype, isa):
    """Without lengths, reversed = forward over x[::-1] with y flipped back: the same arithmetic,
    so the same bits, except dw_ih, whose sum over steps runs in the other order."""
    p, g = make_problem(cell, 8, 3, 5, 19, dtype, seed=15)
    rev_out, rev_grads = run(rnnkern, cell, p, g, reverse=True)
    flipped = dict(p, x=p["x"][::-1].copy())
    fwd_out, fwd_grads = run(rnnkern, cell, flipped, dict(g, dy=g["dy"][::-1].copy()))
    np.testing.assert_array_equal(rev_out[0], fwd_out[0][::-1])
    for a, b in zip(rev_out[1:], fwd_out[1:]):
        np.testing.assert_array_equal(a, b)
    for name, a, b in zip(rev_grads._fields, rev_grads, fwd_grads):
        if name == "dw_ih":
            assert_close(a, b, dtype, name)
        else:
            np.testing.assert_array_equal(a, b[::-1] if name == "dx" else b, err_msg=name)


@pytest.mark.parametrize("cell", CELLS)
def test_reverse_inference_equals_training_forward(cell, dtype, isa):
    p, g = make_problem(cell, 40, 3, 5, 8, dtype, seed=16)
    lengths = np.array([40, 0, 17])
    train_out, _ = run(rnnkern, cell, p, g, lengths, reverse=True)
    infer_out, _ = run(rnnkern, cell, p, g, lengths, training=False, reverse=True)
    for a, b in zip(train_out, infer_out):
        np.testing.assert_array_equal(a, b)


def test_reverse_backward_follows_its_workspace(dtype):
    p, g = make_problem("gru", 4, 2, 3, 5, dtype, seed=17)
    y, hT, ws = rnnkern.gru_forward(**p, reverse=True)
    assert ws.reverse and "reverse" in repr(ws)
    implicit, explicit = rnnkern.gru_backward(ws, **g), rnnkern.gru_backward(ws, **g, reverse=True)
    for a, b in zip(implicit, explicit):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"reverse: expected True .* got False"):
        rnnkern.gru_backward(ws, **g, reverse=False)
    with pytest.raises(TypeError, match="reverse: expected True or False, got str"):
        rnnkern.gru_forward(**p, reverse="yes")


def test_backward_is_repeatable(dtype, isa):
    p, g = make_problem("lstm", 5, 3, 4, 6, dtype, seed=6)
    y, hT, cT, ws = rnnkern.lstm_forward(**p)
    first = rnnkern.lstm_backward(ws, **g)
    second = rnnkern.lstm_backward(ws, **g)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cell", CELLS)
def test_kept_scratch_never_reaches_results(cell, dtype, isa):
    """Kernels reuse scratch buffers between calls (rnnkern.release_memory): fill them with NaN
    from a larger call, then a smaller call must still match the reference and a fresh start."""
    rnnkern.release_memory()
    p, g = make_problem(cell, 6, 5, 9, 40, dtype, seed=11)
    p["x"][:], p["w_hh"][:] = np.nan, np.nan
    run(rnnkern, cell, p, g)
    p, g = make_problem(cell, 5, 3, 7, 29, dtype, seed=12)
    lengths = np.array([5, 2, 0])
    check_against_reference(cell, p, g, dtype, lengths=lengths)
    reused = run(rnnkern, cell, p, g, lengths)
    rnnkern.release_memory()
    fresh = run(rnnkern, cell, p, g, lengths)
    for a, b in zip(reused[0] + tuple(reused[1]), fresh[0] + tuple(fresh[1])):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("cell", CELLS)
def test_dh_norms_match_reference(cell, reverse, dtype, isa):
    """||dL/dh_t|| per step, the view of vanishing and exploding gradients."""
    T, B, I, H = 9, 3, 4, 7
    p, g = make_problem(cell, T, B, I, H, dtype, seed=7)
    kind, _, act = cell.partition("-")
    lengths = np.array([T, 4, 0])
    kw = dict(p, lengths=lengths, reverse=reverse, **({"activation": act} if act else {}))
    got, want = np.full((T, B), np.nan, dtype), np.zeros((T, B))
    ws = getattr(rnnkern, f"{kind}_forward")(**kw)[-1]
    getattr(rnnkern, f"{kind}_backward")(ws, **g, dh_norms_out=got)
    kw64 = {k: (a.astype(np.float64) if isinstance(a, np.ndarray) and k != "lengths" else a)
            for k, a in kw.items()}
    cache = getattr(reference, f"{kind}_forward")(**kw64)[-1]
    getattr(reference, f"{kind}_backward")(cache, **{k: a.astype(np.float64) for k, a in g.items()},
                                           dh_norms_out=want)
    assert_close(got, want, dtype)
    assert np.all(want[:, 0] > 0)


def test_self_check_passes(isa):
    from rnnkern.selfcheck import self_check
    results = self_check()
    assert len(results) == 5 and all(passed for _, _, passed in results), results


def test_workspace_memory_comes_back_only_when_its_last_view_dies(dtype, isa):
    """Workspaces live in the scratch pool: a buffer someone still views is never handed out."""
    p, g = make_problem("lstm", 7, 3, 5, 6, dtype, seed=11)
    ws = rnnkern.lstm_forward(**p)[3]
    held = ws.buffer            # a view the caller keeps past the workspace
    saved = held.copy()
    del ws
    for _ in range(3):          # more training calls of the same shape, which reuse pool memory
        y, _, _, ws2 = rnnkern.lstm_forward(**p)
        rnnkern.lstm_backward(ws2, **g)
        held_ptr = held.__array_interface__["data"][0]
        assert ws2.buffer.__array_interface__["data"][0] != held_ptr
        del ws2
    np.testing.assert_array_equal(held, saved)
    assert held.flags.writeable


def test_large_outputs_are_pooled_fresh_and_kept_while_viewed(dtype):
    """y, dx, dw_ih and dw_hh from 64 KiB up come from the scratch pool (functional._fresh): each
    is a writeable C-contiguous array of its own, never handed out again while it is alive, and
    unchanged by later calls and by release_memory."""
    from rnnkern import functional
    p, g = make_problem("lstm", 40, 4, 128, 128, dtype, seed=13)
    y, _, _, ws = rnnkern.lstm_forward(**p)
    grads = rnnkern.lstm_backward(ws, **g)
    outs = {"y": y, "dx": grads.dx, "dw_ih": grads.dw_ih, "dw_hh": grads.dw_hh}
    for name, a in outs.items():
        assert a.nbytes >= functional._POOLED_BYTES, name
        assert a.base is not None and a.flags.writeable and a.flags.c_contiguous, name
    saved = {k: a.copy() for k, a in outs.items()}
    rnnkern.release_memory()
    for _ in range(3):
        y2, _, _, ws2 = rnnkern.lstm_forward(**p)
        g2 = rnnkern.lstm_backward(ws2, **g)
        for new in (y2, g2.dx, g2.dw_ih, g2.dw_hh):
            assert not any(np.shares_memory(new, a) for a in outs.values())
        del y2, ws2, g2
    for k, a in outs.items():
        np.testing.assert_array_equal(a, saved[k], err_msg=k)
    assert np.array_equal(pickle.loads(pickle.dumps(grads.dw_hh)), saved["dw_hh"])


def test_workspace_after_release_memory_is_still_valid(dtype, isa):
    p, g = make_problem("gru", 6, 2, 4, 5, dtype, seed=12)
    y, hT, ws = rnnkern.gru_forward(**p)
    rnnkern.release_memory()    # frees what the pool keeps, never what is in use
    first = rnnkern.gru_backward(ws, **g)
    again = rnnkern.gru_backward(ws, **g)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
