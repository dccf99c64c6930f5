"""Streams (rnnkern.LSTMStream / GRUStream / RNNStream): steps and chunks give bitwise one
whole-sequence forward's values on every ISA and dtype; a step allocates nothing (tracemalloc)."""
import tracemalloc

import numpy as np
import pytest

import rnnkern
from test_cells import CELLS, make_problem
from test_packed import functional, pack

STREAMS = {"lstm": rnnkern.LSTMStream, "gru": rnnkern.GRUStream, "rnn": rnnkern.RNNStream}


def stream_of(cell, p, B):
    kind = cell.partition("-")[0]
    s = STREAMS[kind](pack(cell, p), B)
    s.reset(p.get("h0"), p.get("c0"))
    return s


@pytest.mark.parametrize("cell", CELLS)
def test_steps_equal_whole_sequence(cell, isa, dtype):
    T, B, I, H = 9, 3, 7, 21
    p, _ = make_problem(cell, T, B, I, H, dtype)
    y, hT = functional(cell, p, training=False)[:2]
    s = stream_of(cell, p, B)
    out = np.empty((B, H), dtype)
    for t in range(T):
        h_t = s.step(p["x"][t]) if t % 2 else s.step(p["x"][t], out=out)
        assert np.array_equal(h_t, y[t])
    state = s.state if cell == "lstm" else (s.state,)
    assert np.array_equal(state[0], hT)
    if cell == "lstm":
        assert np.array_equal(state[1], functional(cell, p, training=False)[2])
    # chunks of a few steps, one kernel call each, from the same initial state
    s.reset(p.get("h0"), p.get("c0"))
    ys = [s.run(p["x"][t0:t1]) for t0, t1 in ((0, 4), (4, 5), (5, 9))]
    assert np.array_equal(np.concatenate(ys), y)
    assert np.array_equal(state[0], hT)


def test_reset_state_read_only():
    p, _ = make_problem("lstm", 2, 2, 3, 4, np.float64)
    s = stream_of("lstm", p, 2)
    h, c = s.state
    assert np.array_equal(h, p["h0"]) and np.array_equal(c, p["c0"])
    with pytest.raises(ValueError):
        h[0, 0] = 1.0
    s.reset()
    assert not h.any() and not c.any()
    with pytest.raises(ValueError, match=r"c0: expected shape \(B, H\) = \(2, 4\)"):
        s.reset(c0=np.zeros((2, 3)))
    g = rnnkern.GRUStream(rnnkern.pack_gru(np.zeros((12, 3)), np.zeros((12, 4))), 2)
    with pytest.raises(ValueError, match="c0: a GRU has no cell state"):
        g.reset(c0=np.zeros((2, 4)))


def test_step_allocates_nothing():
    B, I, H = 8, 32, 64
    p, _ = make_problem("lstm", 1, B, I, H, np.float64)
    s = stream_of("lstm", p, B)
    xs = [p["x"][0]] * 500
    out = np.empty((B, H))
    for x in xs[:5]:  # the kernels' scratch pool fills on the first calls
        s.step(x)
        s.step(x, out=out)
    step = s.step
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for x in xs:
            step(x)
            step(x, out=out)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # one (B, H) float64 result would be 4 KiB; the loop's own objects are a few hundred bytes
    assert current == before and peak - before < 1024


def test_bad_arguments_are_named():
    p, _ = make_problem("rnn-relu", 2, 2, 3, 4, np.float32)
    h = pack("rnn-relu", p)
    with pytest.raises(TypeError, match=r"handle: expected the packed weights of a LSTM"):
        rnnkern.LSTMStream(h, 2)
    with pytest.raises(ValueError, match=r"batch_size: expected an integer >= 1, got 0"):
        rnnkern.RNNStream(h, 0)
    s = rnnkern.RNNStream(h, 2)
    with pytest.raises(ValueError, match=r"x_t: expected shape \(B, I\) = \(2, 3\)"):
        s.step(np.zeros((1, 3), np.float32))
    with pytest.raises(TypeError, match="x_t: expected dtype float32"):
        s.step(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="out: expected a writeable array"):
        ro = np.zeros((2, 4), np.float32)
        ro.flags.writeable = False
        s.step(np.zeros((2, 3), np.float32), out=ro)
    # a non-contiguous x_t is copied, not refused
    s.reset()
    h1 = s.step(np.asfortranarray(p["x"][0])).copy()
    s.reset()
    assert np.array_equal(s.step(p["x"][0]), h1)
