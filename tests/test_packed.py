"""Packed-weight handles (rnnkern.pack_lstm / pack_gru / pack_rnn): bitwise the functional API's
results on every ISA and dtype, for any thread count, re-packed by update(), refused under another
ISA, and their arguments checked."""
import threading

import numpy as np
import pytest

import rnnkern
from test_cells import CELLS, make_problem

# (T, B, I, H): a single step and item, odd sizes, and one large enough to run on several threads
SHAPES = [(1, 1, 3, 5), (7, 3, 13, 29), (5, 8, 40, 64)]


def pack(cell, p):
    kind, _, act = cell.partition("-")
    kw = dict(activation=act) if act else {}
    return getattr(rnnkern, f"pack_{kind}")(p["w_ih"], p["w_hh"], p.get("b_ih"), p.get("b_hh"), **kw)


def functional(cell, p, **kw):
    kind, _, act = cell.partition("-")
    if act:
        kw["activation"] = act
    return getattr(rnnkern, f"{kind}_forward")(**p, **kw)


def states(p):
    return {k: p[k] for k in ("h0", "c0") if k in p}


def assert_same(a, b):
    for x, y in zip(a, b):
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("cell", CELLS)
def test_forward_bitwise_equal_to_functional(cell, shape, isa, dtype):
    p, _ = make_problem(cell, *shape, dtype)
    h = pack(cell, p)
    assert h.isa == isa and h.dtype == dtype and h.cell == cell.partition("-")[0]
    assert_same(h.forward(p["x"], **states(p)), functional(cell, p, training=False))
    # without biases or states too
    q = {k: p[k] for k in ("x", "w_ih", "w_hh")}
    assert_same(pack(cell, q).forward(q["x"]), functional(cell, q, training=False))


@pytest.mark.parametrize("cell", CELLS)
def test_training_forward_feeds_backward(cell, isa, dtype):
    T, B = 6, 4
    p, g = make_problem(cell, T, B, 9, 21, dtype)
    lengths = np.array([6, 0, 3, 5])
    kind = cell.partition("-")[0]
    backward = getattr(rnnkern, f"{kind}_backward")
    out = pack(cell, p).forward(p["x"], **states(p), lengths=lengths, training=True)
    ref = functional(cell, p, lengths=lengths, training=True)
    assert_same(out[:-1], ref[:-1])
    assert_same(backward(out[-1], **g), backward(ref[-1], **g))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn-tanh"])
def test_one_packing_serves_any_thread_count(cell, threads, dtype):
    p, _ = make_problem(cell, 5, 8, 40, 64, dtype)
    rnnkern.set_num_threads(1)
    h = pack(cell, p)
    expect = functional(cell, p, training=False)
    for n in (1, 2, 3, 7):
        rnnkern.set_num_threads(n)
        assert_same(h.forward(p["x"], **states(p)), expect)


def test_out_receives_y(dtype):
    p, _ = make_problem("lstm", 4, 2, 3, 5, dtype)
    out = np.full((4, 2, 5), np.nan, dtype)
    y, hT, cT, ws = pack("lstm", p).forward(p["x"], out=out)
    assert y is out and ws is None
    assert np.array_equal(out, rnnkern.lstm_forward(p["x"], p["w_ih"], p["w_hh"], p["b_ih"],
                                                    p["b_hh"], training=False)[0])
    with pytest.raises(ValueError, match=r"out: expected shape \(T, B, H\) = \(4, 2, 5\)"):
        pack("lstm", p).forward(p["x"], out=np.empty((4, 2, 6), dtype))


def test_update_repacks(dtype):
    p, _ = make_problem("gru", 3, 2, 4, 6, dtype, seed=1)
    q, _ = make_problem("gru", 3, 2, 4, 6, dtype, seed=2)
    h = pack("gru", p)
    nbytes = h.nbytes
    h.update(q["w_ih"], q["w_hh"], q["b_ih"], q["b_hh"])
    assert h.nbytes == nbytes
    assert_same(h.forward(p["x"]), rnnkern.gru_forward(p["x"], q["w_ih"], q["w_hh"], q["b_ih"],
                                                       q["b_hh"], training=False))
    with pytest.raises(ValueError, match="w_hh: expected shape"):
        h.update(q["w_ih"], q["w_hh"][:-1])


def test_weights_are_private_and_immutable():
    p, _ = make_problem("lstm", 2, 1, 3, 4, np.float32)
    w_hh = p["w_hh"].copy()
    h = pack("lstm", p)
    p["w_hh"][:] = 0  # the caller's array is not the handle's
    assert np.array_equal(h.w_hh, w_hh) and not h.w_hh.flags.writeable
    # frozen, not merely read-only: a workspace refers to them with no fingerprint
    for view in (h.w_hh, h.w_hh.base):
        with pytest.raises(ValueError, match="WRITEABLE"):
            view.flags.writeable = True


def test_workspace_outlives_update(dtype):
    # the workspace keeps the weights its forward ran on, which update() leaves alone
    p, g = make_problem("lstm", 4, 2, 3, 5, dtype, seed=1)
    q, _ = make_problem("lstm", 4, 2, 3, 5, dtype, seed=2)
    h = pack("lstm", p)
    ws = h.forward(p["x"], **states(p), training=True)[-1]
    h.update(q["w_ih"], q["w_hh"], q["b_ih"], q["b_hh"])
    assert_same(rnnkern.lstm_backward(ws, **g),
                rnnkern.lstm_backward(functional("lstm", p, training=True)[-1], **g))
    with pytest.raises(AttributeError):
        h.cell = "gru"


def test_refused_under_another_isa():
    isas = rnnkern.available_isas()
    if len(isas) < 2:
        pytest.skip("one SIMD path only")
    p, _ = make_problem("lstm", 2, 1, 3, 4, np.float32)
    before = rnnkern.isa_info()["active"]
    try:
        rnnkern.set_isa(isas[0])
        h = pack("lstm", p)
        rnnkern.set_isa(isas[-1])
        with pytest.raises(RuntimeError, match=f"packed for the {isas[0]} path, but {isas[-1]} is active"):
            h.forward(p["x"])
        with pytest.raises(RuntimeError, match="packed for the"):
            rnnkern.LSTMStream(h, 1).step(p["x"][0])
        h.update(h.w_ih, h.w_hh, h.b_ih, h.b_hh)  # packs for the active path
        assert h.isa == isas[-1]
        assert_same(h.forward(p["x"]), rnnkern.lstm_forward(p["x"], p["w_ih"], p["w_hh"], p["b_ih"],
                                                            p["b_hh"], training=False))
    finally:
        rnnkern.set_isa(before)


def test_threads_share_one_handle():
    p, _ = make_problem("lstm", 20, 4, 16, 32, np.float32)
    h = pack("lstm", p)
    expect = h.forward(p["x"])[0]
    results = [None] * 4

    def work(i):
        results[i] = all(np.array_equal(h.forward(p["x"])[0], expect) for _ in range(20))

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == [True] * 4


def test_bad_arguments_are_named():
    p, _ = make_problem("gru", 3, 2, 4, 6, np.float32)
    h = pack("gru", p)
    with pytest.raises(TypeError, match=r"x: expected dtype float32 \(the dtype of the packed weights\)"):
        h.forward(p["x"].astype(np.float64))
    with pytest.raises(ValueError, match=r"x: expected shape \(T, B, I\) with I = 4"):
        h.forward(p["x"][:, :, :3])
    with pytest.raises(ValueError, match=r"h0: expected shape \(B, H\) = \(2, 6\)"):
        h.forward(p["x"], h0=np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match="c0: a GRU has no cell state"):
        h.forward(p["x"], c0=np.zeros((2, 6), np.float32))
    with pytest.raises(ValueError, match=r"lengths: expected values in \[0, T\]"):
        h.forward(p["x"], lengths=[4, 1])
    with pytest.raises(ValueError, match=r"w_hh: expected shape \(3\*H, H\)"):
        rnnkern.pack_gru(p["w_ih"], p["w_hh"][:-1])
    with pytest.raises(ValueError, match="activation: expected one of"):
        rnnkern.pack_rnn(p["w_ih"][:6], p["w_hh"][:6], activation="sigmoid")
    # a non-contiguous x is copied, not refused
    x = np.asfortranarray(p["x"])
    assert np.array_equal(h.forward(x)[0], h.forward(p["x"])[0])
