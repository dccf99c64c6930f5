"""Reliability promises (docs/reliability.md): bitwise determinism for 1, 2, 3, 7 and 16 threads and
across fresh processes, while set_num_threads is called from another thread mid-call; workspaces
shared between threads and calls; 64-bit index arithmetic (T = 1,000,000; element counts past
2**31, with RNNKERN_TEST_LARGE=1); MemoryError with the size under `ulimit -v`; subnormal states."""
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import rnnkern
from rnnkern import reference
from test_threads import CELLS, _assert_bitwise, _kind, _problem, _run
from conftest import assert_close

THREADS = [1, 2, 3, 7, 16]  # 16: more threads than this machine's cores
LARGE = pytest.mark.skipif(os.environ.get("RNNKERN_TEST_LARGE") != "1",
                           reason="needs ~10 GiB and a minute: RNNKERN_TEST_LARGE=1")


def _lengths(T):
    lengths = np.random.default_rng(1).integers(0, T + 1, 64)
    lengths[:3] = [T, 0, 1]
    return lengths


@pytest.mark.parametrize("cell", CELLS)
def test_bitwise_across_1_2_3_7_16_threads(cell, dtype, isa, threads):
    p, s = _problem(cell, dtype)
    lengths = _lengths(len(p["x"]))
    results = {}
    for n in THREADS:
        rnnkern.set_num_threads(n)
        results[n] = _run(cell, p, s, lengths)
    for n in THREADS[1:]:
        _assert_bitwise(results[n], results[1], f"{n} threads vs 1")


_DIGEST = textwrap.dedent("""
    import hashlib, sys
    sys.path.insert(0, sys.argv[1])
    import numpy as np, rnnkern
    from test_threads import CELLS, _problem, _run
    h = hashlib.sha256()
    rnnkern.set_num_threads(int(sys.argv[2]))
    for isa in rnnkern.available_isas():
        rnnkern.set_isa(isa)
        for cell in CELLS:
            for dtype in (np.float32, np.float64):
                p, s = _problem(cell, dtype)
                lengths = np.random.default_rng(1).integers(0, len(p["x"]) + 1, 64)
                for lens in (None, lengths):
                    for k, v in sorted(_run(cell, p, s, lens).items()):
                        h.update(k.encode()); h.update(np.ascontiguousarray(v).tobytes())
    print(h.hexdigest())
""")


def test_bitwise_across_fresh_processes():
    """Every cell, dtype and ISA, forward and backward, with and without lengths: one digest of all
    results, equal in fresh processes on 1, 3 and 16 threads."""
    here = os.path.dirname(__file__)
    digests = {subprocess.run([sys.executable, "-c", _DIGEST, here, str(n)], capture_output=True, text=True,
                              check=True, timeout=600).stdout.strip() for n in (1, 3, 16, 3)}
    assert len(digests) == 1 and len(next(iter(digests))) == 64, digests


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn-tanh"])
def test_set_num_threads_from_another_thread_during_calls(cell, threads):
    p, s = _problem(cell, np.float32, t=24)
    rnnkern.set_num_threads(2)
    expected = _run(cell, p, s, _lengths(24))
    stop, calls = threading.Event(), [0]

    def churn():
        while not stop.is_set():
            rnnkern.set_num_threads(THREADS[calls[0] % len(THREADS)])
            calls[0] += 1

    th = threading.Thread(target=churn)
    th.start()
    overlapped = 0
    try:
        for _ in range(6):
            before = calls[0]
            _assert_bitwise(_run(cell, p, s, _lengths(24)), expected, "set_num_threads during the call")
            overlapped += calls[0] > before
    finally:
        stop.set()
        th.join()
    # the kernels release the GIL, so the churn runs during them: else this test proves nothing
    assert overlapped, "set_num_threads never ran while a kernel call was in flight"


def test_workspace_shared_by_threads():
    """One workspace, two backward calls at once; a backward in another thread; two forwards at once
    on shared weights: each equals the serial result."""
    p, s = _problem("lstm", np.float64, t=8)
    y, hT, cT, ws = rnnkern.lstm_forward(**p)
    serial = rnnkern.lstm_backward(ws, **s)
    results = []

    def task(fn):
        th = threading.Thread(target=lambda: results.append(fn()))
        th.start()
        return th

    ths = [task(lambda: rnnkern.lstm_backward(ws, **s)) for _ in range(2)]
    ths += [task(lambda: rnnkern.lstm_forward(**p, training=False)) for _ in range(2)]
    for th in ths:
        th.join()
    grads = [r for r in results if isinstance(r, rnnkern.LSTMGrads)]
    outs = [r for r in results if not isinstance(r, rnnkern.LSTMGrads)]
    assert len(grads) == 2 and len(outs) == 2
    for g in grads:
        for a, b in zip(g, serial):
            np.testing.assert_array_equal(a, b)
    for o in outs:
        np.testing.assert_array_equal(o[0], y)


@pytest.mark.parametrize("which", ["x", "w_ih", "w_hh"])
def test_backward_refuses_a_workspace_whose_inputs_changed(which):
    p, s = _problem("gru", np.float32, t=3)
    ws = rnnkern.gru_forward(**p)[-1]
    before = p[which].flat[1]
    p[which].flat[1] += 1
    with pytest.raises(ValueError, match=f"^ws: {which} changed in place since gru_forward"):
        rnnkern.gru_backward(ws, **s)
    p[which].flat[1] = before  # restored: the same bits again, so accepted
    rnnkern.gru_backward(ws, **s)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset, n", [(0, 64), (1, 63), (3, 7), (0, 1)])
def test_fingerprint_sees_a_change_of_any_element(dtype, offset, n):
    """The workspace's checksum (rnnkern._validate.fingerprint, one pass in C) covers every byte:
    views that start off an 8-byte boundary, and the tail past the last whole 64-bit word."""
    from rnnkern._validate import fingerprint

    a = np.random.default_rng(0).standard_normal(offset + n).astype(dtype)[offset:]
    base = fingerprint(a)
    assert fingerprint(a.copy()) == base
    for i in range(n):
        before = a[i]
        a[i] = np.nextafter(a[i], np.inf, dtype=dtype)  # the smallest change: one bit or a carry
        assert fingerprint(a) != base, i
        a[i] = before
    assert fingerprint(a) == base


# ---- 64-bit indices --------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn-tanh"])
def test_a_million_steps_at_batch_one(cell):
    """T = 1,000,000, B = 1: the start and the end of the sequence equal the reference run on them."""
    T, I, H = 1_000_000, 2, 3
    kind, act = _kind(cell)
    rng = np.random.default_rng(0)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    x = rng.standard_normal((T, 1, I)).astype(np.float32)
    w = dict(w_ih=rng.uniform(-0.5, 0.5, (G * H, I)).astype(np.float32),
             w_hh=rng.uniform(-0.5, 0.5, (G * H, H)).astype(np.float32))
    kw = {"activation": act} if act else {}
    fwd, rfwd = getattr(rnnkern, f"{kind}_forward"), getattr(reference, f"{kind}_forward")
    out = fwd(x, **w, **kw)
    y = out[0]
    assert_close(y[:50], rfwd(x[:50].astype(np.float64), **{k: v.astype(np.float64) for k, v in w.items()},
                              **kw)[0], np.float32, "first steps")
    # the last steps, started from the kernel's own state just before them
    k = 50
    states = {"h0": y[T - k - 1].astype(np.float64)}
    if kind == "lstm":  # c is not an output: rerun the kernel up to there for it
        states["c0"] = fwd(x[:T - k], **w, training=False)[2].astype(np.float64)
    ref_tail = rfwd(x[T - k:].astype(np.float64), **{n: v.astype(np.float64) for n, v in w.items()},
                    **states, **kw)[0]
    assert_close(y[T - k:], ref_tail, np.float32, "last steps")
    g = getattr(rnnkern, f"{kind}_backward")(out[-1], dhT=np.ones((1, H), np.float32))
    assert np.isfinite(g.dx).all() and np.abs(g.dx[-1]).max() > 0


@LARGE
def test_element_counts_past_2_31():
    """gemm output and an inference forward's y of more than 2**31 elements: slices at both ends
    equal the reference (an int32 index would wrap and write elsewhere)."""
    M, N = 2 ** 16 + 3, 2 ** 15 + 1  # M*N > 2**31
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((M, 2)).astype(np.float32), rng.standard_normal((2, N)).astype(np.float32)
    c = rnnkern.gemm(a, b)
    for rows in (slice(0, 3), slice(M - 3, M)):
        np.testing.assert_allclose(c[rows], a[rows] @ b, rtol=1e-5, atol=1e-5)
    del c
    T, B, I, H = 2 ** 14 + 1, 2 ** 13, 1, 16  # y: T*B*H = 2**31 + 2**17 elements
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    w_ih, w_hh = rng.uniform(-0.3, 0.3, (H, I)).astype(np.float32), rng.uniform(-0.3, 0.3, (H, H)).astype(np.float32)
    y, hT, _ = rnnkern.rnn_forward(x, w_ih, w_hh, training=False)
    assert y.size > 2 ** 31
    ref = reference.rnn_forward(x[:4, -3:].astype(np.float64), w_ih.astype(np.float64), w_hh.astype(np.float64))[0]
    assert_close(y[:4, -3:], ref, np.float32, "first steps")
    tail = reference.rnn_forward(x[-2:, -3:].astype(np.float64), w_ih.astype(np.float64), w_hh.astype(np.float64),
                                 h0=y[-3, -3:].astype(np.float64))[0]
    assert_close(y[-2:, -3:], tail, np.float32, "last steps, last sequences")


# ---- a failed allocation ------------------------------------------------------------------------------

_NOMEM = textwrap.dedent("""
    import resource, sys
    import numpy as np, rnnkern
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    H = 4096  # W_hh (4H, H): 256 MiB as input, its packed copy needs as much again, past the limit
    w_hh = np.zeros((4 * H, H), np.float32)
    w_ih = np.zeros((4 * H, 1), np.float32)
    try:
        rnnkern.lstm_forward(np.zeros((2, 1, 1), np.float32), w_ih, w_hh, training=False)
    except MemoryError as e:
        print("MemoryError:", e)
    else:
        print("no error")
    try:  # a bidirectional layer's two directions in one call: the same error
        rnnkern.functional._forward_pair("lstm", "tanh", np.zeros((2, 1, 1), np.float32),
                                         [(w_ih, w_hh, None, None)] * 2, [None] * 2, [None] * 2,
                                         None, False)
    except MemoryError as e:
        print("MemoryError:", e)
    else:
        print("no error")
    del w_hh
    y = rnnkern.lstm_forward(np.ones((3, 2, 4), np.float32), np.ones((8, 4), np.float32) * .1,
                             np.ones((8, 2), np.float32) * .1)[0]  # the process is still usable
    print("after:", float(y.sum()))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS as on Linux")
def test_memory_error_names_the_size_and_leaves_the_process_usable():
    probe = subprocess.run([sys.executable, "-c", "import rnnkern, resource; print(open('/proc/self/statm')"
                            ".read().split()[0])"], capture_output=True, text=True, check=True)
    base = int(probe.stdout) * os.sysconf("SC_PAGE_SIZE")
    limit = base + 400 * 2 ** 20  # room for the 256 MiB input, not for its packed copy as well
    r = subprocess.run([sys.executable, "-c", _NOMEM, str(limit)], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("MemoryError: lstm_forward: out of memory: could not allocate "), lines
    assert int(lines[0].split("allocate ")[1].split()[0]) >= 4 * 4096 * 4096 * 4
    assert lines[1].startswith("MemoryError: lstm_forward: out of memory: could not allocate "), lines
    assert lines[2].startswith("after: ") and float(lines[2].split()[1]) > 0


# ---- subnormals -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn-tanh"])
def test_states_decaying_into_subnormals_match_the_reference(cell, dtype, isa):
    """IEEE arithmetic, no flush to zero: states that decay through the subnormal range equal the
    reference there, and the caller's floating-point mode is untouched."""
    kind, act = _kind(cell)
    G = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    T, B, I, H = (300 if dtype == np.float32 else 1200), 2, 1, 4  # h halves per step: 2**-T
    x = np.zeros((T, B, I), dtype)
    w_hh = (np.eye(H)[None].repeat(G, 0).reshape(G * H, H) * 0.5).astype(dtype)
    bias = np.zeros(G * H, dtype)
    kw = {"activation": act} if act else {}
    h0 = np.full((B, H), 0.5, dtype)
    args = dict(w_ih=np.zeros((G * H, I), dtype), w_hh=w_hh, b_hh=bias, h0=h0, **kw)
    y = getattr(rnnkern, f"{kind}_forward")(x, **args, training=False)[0]
    ref = getattr(reference, f"{kind}_forward")(x.astype(np.float64), **{k: (v.astype(np.float64)
                                                if isinstance(v, np.ndarray) else v) for k, v in args.items()})[0]
    fi = np.finfo(dtype)
    if kind == "rnn":
        assert ((np.abs(y) < fi.tiny) & (y != 0)).any(), "the states never became subnormal"
    np.testing.assert_allclose(y, ref.astype(dtype), rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=8 * fi.smallest_subnormal)
    # no flush-to-zero left behind on the calling thread
    assert fi.tiny * dtype.type(0.5) != 0
