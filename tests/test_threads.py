"""Threads (docs/architecture.md, "Determinism" and "Threads"): results are bitwise identical for any thread
count; threadpoolctl sees and limits the package's OpenMP runtime; a forked child runs (on one
thread) instead of hanging; kernels release the GIL."""
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time

import numpy as np
import pytest

import rnnkern

# Above every threshold that keeps a kernel on one thread, so every phase of forward and backward
# runs threaded: the recurrence's step product 2*B*G*Hp*H >= 2^18 (csrc/cell/recur.inc) and the
# whole-sequence GEMMs m*n*k >= 2^17 (csrc/gemm/gemm_driver.inc).
B, I, H = 64, 32, 128
STEPS = {"lstm": 4, "gru": 4, "rnn": 8}
CELLS = ["lstm", "gru", "rnn-tanh", "rnn-relu"]
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
THREADS = [1, 2, 3]


def _kind(cell):
    kind, _, act = cell.partition("-")
    return kind, act or None


def _problem(cell, dtype, seed=0, t=None, b=B, i=I, h=H):
    rng = np.random.default_rng(seed)
    kind, _ = _kind(cell)
    t = STEPS[kind] if t is None else t
    G, s = GATES[kind] * h, 1 / np.sqrt(h)
    p = dict(x=rng.standard_normal((t, b, i)), w_ih=rng.uniform(-s, s, (G, i)),
             w_hh=rng.uniform(-s, s, (G, h)), b_ih=rng.uniform(-s, s, G), b_hh=rng.uniform(-s, s, G),
             h0=rng.uniform(-0.5, 0.5, (b, h)))
    if kind == "lstm":
        p["c0"] = rng.uniform(-0.5, 0.5, (b, h))
    s_ = dict(dy=rng.standard_normal((t, b, h)), dhT=rng.standard_normal((b, h)))
    if kind == "lstm":
        s_["dcT"] = rng.standard_normal((b, h))
    cast = lambda d: {k: v.astype(dtype) for k, v in d.items()}  # noqa: E731
    return cast(p), cast(s_)


def _run(cell, p, s, lengths=None, reverse=False):
    """Every output and gradient of a training forward + backward, and of an inference forward."""
    kind, act = _kind(cell)
    kw = dict({"activation": act} if kind == "rnn" else {}, reverse=reverse)
    fwd = getattr(rnnkern, f"{kind}_forward")
    out = fwd(**p, lengths=lengths, **kw)
    ws = out[-1]
    norms = np.full(s["dy"].shape[:2], np.nan, s["dy"].dtype)
    g = getattr(rnnkern, f"{kind}_backward")(ws, **s, dh_norms_out=norms)
    inf = fwd(**p, lengths=lengths, training=False, **kw)
    res = {f"out{i}": o for i, o in enumerate(out[:-1])}
    res.update({f"inference{i}": o for i, o in enumerate(inf[:-1])})
    res.update(g._asdict(), dh_norms=norms)
    return res


def _assert_bitwise(a, b, what):
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, (what, k)
        assert np.array_equal(a[k], b[k]), f"{what}: {k} differs"


# ---- (a) determinism across thread counts -------------------------------------------------------------

@pytest.mark.parametrize("with_lengths, reverse", [(False, False), (True, False), (True, True)],
                         ids=["full", "lengths", "reverse-lengths"])
@pytest.mark.parametrize("cell", CELLS)
def test_cells_bitwise_across_threads(cell, with_lengths, reverse, dtype, isa, threads):
    p, s = _problem(cell, dtype)
    T = len(p["x"])
    assert B * H >= 4096 and T * B * GATES[_kind(cell)[0]] * H >= 65536
    lengths = None
    if with_lengths:
        lengths = np.random.default_rng(1).integers(0, T + 1, B)
        lengths[:3] = [T, 0, 1]
    results = {}
    for n in THREADS:
        rnnkern.set_num_threads(n)
        assert rnnkern.get_num_threads() == n
        results[n] = _run(cell, p, s, lengths, reverse)
    for n in THREADS[1:]:
        _assert_bitwise(results[n], results[1], f"{n} threads vs 1")
    # the problem is not degenerate: outputs and every gradient carry signal
    assert all(np.any(v) for v in results[1].values())


@pytest.mark.parametrize("m, n, k, transposes", [
    (257, 129, 65, [(False, False), (True, False), (False, True), (True, True)]),
    (600, 700, 300, [(False, True)]),
])
def test_gemm_bitwise_across_threads(m, n, k, transposes, dtype, isa, threads):
    rng = np.random.default_rng(5)
    for ta, tb in transposes:
        a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
        b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
        c0 = rng.standard_normal((m, n)).astype(dtype)
        outs = []
        for nt in [1, 2, 3, 7]:
            rnnkern.set_num_threads(nt)
            out = c0.copy()
            rnnkern.gemm(a, b, trans_a=ta, trans_b=tb, alpha=0.75, beta=-0.5, out=out)
            outs.append(out)
        for out in outs[1:]:
            assert np.array_equal(out, outs[0]), (ta, tb)
        expect = 0.75 * ((a.T if ta else a).astype(np.float64) @ (b.T if tb else b)) - 0.5 * c0
        tol = 1e-4 if dtype == np.float32 else 1e-11
        np.testing.assert_allclose(outs[0], expect, rtol=tol, atol=tol * np.sqrt(k))


def _in_thread(fn):
    out = []
    th = threading.Thread(target=lambda: out.append(fn()))
    th.start()
    th.join()
    return out[0]


def test_set_num_threads_limits_kernels_in_other_python_threads(threads):
    """OpenMP's own setting is per OS thread; rnnkern's bound holds for kernels called from any."""
    default = _in_thread(rnnkern.get_num_threads)
    if default < 2:
        pytest.skip("OpenMP defaults to one thread here")
    p, s = _problem("gru", np.float64, t=3)
    rnnkern.set_num_threads(2)
    expected = _run("gru", p, s)
    rnnkern.set_num_threads(1)
    assert _in_thread(rnnkern.get_num_threads) == 1
    _assert_bitwise(_in_thread(lambda: _run("gru", p, s)), expected, "kernel in another thread")
    rnnkern.set_num_threads(default)
    assert _in_thread(rnnkern.get_num_threads) == default


# ---- (b) threadpoolctl ------------------------------------------------------------------------------

def _linked_openmp_library():
    """Path of the library that provides omp_get_max_threads to rnnkern's extension (Linux/glibc)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("dladdr lookup is Linux-only")

    class DlInfo(ctypes.Structure):
        _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                    ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]

    ext = ctypes.CDLL(rnnkern._ext.__file__)  # the already-loaded extension: dlsym searches its deps
    fn = ctypes.cast(ext.omp_get_max_threads, ctypes.c_void_p)
    libc = ctypes.CDLL(None)
    dladdr = getattr(libc, "dladdr", None)
    if dladdr is None:
        dladdr = ctypes.CDLL(ctypes.util.find_library("dl")).dladdr
    info = DlInfo()
    assert dladdr(fn, ctypes.byref(info)) != 0
    return os.path.realpath(info.dli_fname.decode())


def test_threadpoolctl_sees_openmp():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    entries = [e for e in threadpoolctl.threadpool_info() if e["user_api"] == "openmp"]
    assert entries, "threadpoolctl lists no OpenMP runtime although rnnkern is imported"
    linked = _linked_openmp_library()
    assert linked in [os.path.realpath(e["filepath"]) for e in entries]


def test_threadpoolctl_reports_set_num_threads(threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    linked = _linked_openmp_library()
    rnnkern.set_num_threads(3)
    entry, = [e for e in threadpoolctl.threadpool_info()
              if e["user_api"] == "openmp" and os.path.realpath(e["filepath"]) == linked]
    assert entry["num_threads"] == 3


def test_threadpoolctl_limits(threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    p, s = _problem("gru", np.float32, t=3, b=64, i=16, h=64)
    rnnkern.set_num_threads(2)
    expected = _run("gru", p, s)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert rnnkern.get_num_threads() == 1
        _assert_bitwise(_run("gru", p, s), expected, "under threadpool_limits(1)")
    assert rnnkern.get_num_threads() == 2
    rnnkern.set_num_threads(3)
    with threadpoolctl.threadpool_limits(limits=2):
        assert rnnkern.get_num_threads() == 2
    assert rnnkern.get_num_threads() == 3
    rnnkern.set_num_threads(1)  # the smaller of the two bounds wins
    with threadpoolctl.threadpool_limits(limits=2, user_api="openmp"):
        assert rnnkern.get_num_threads() == 1


# ---- (c) fork safety ---------------------------------------------------------------------------------

FORK_SHAPE = dict(t=4, b=64, i=32, h=128)  # above the row and GEMM thresholds: threaded in the parent


def _wait(pid, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail(f"forked child did not finish in {timeout} s (hung in OpenMP after fork?)")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX fork")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Python 3.12+: fork with threads running
def test_fork_after_threaded_kernel(threads):
    p, s = _problem("lstm", np.float32, **FORK_SHAPE)
    rnnkern.set_num_threads(2)
    expected = _run("lstm", p, s)  # the parent's OpenMP pool now exists
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 10
        try:
            code = 11
            if rnnkern.get_num_threads() != 1:
                os._exit(12)
            rnnkern.set_num_threads(2)  # cannot make a forked child use the dead pool
            if rnnkern.get_num_threads() != 1:
                os._exit(13)
            got = _run("lstm", p, s)
            code = 0 if all(np.array_equal(got[k], expected[k]) for k in expected) else 14
        finally:
            os._exit(code)
    status = _wait(pid)
    assert os.WIFEXITED(status), f"child died: status {status}"
    assert os.WEXITSTATUS(status) == 0, {10: "exception", 11: "exception", 12: "threads != 1 in child",
                                         13: "set_num_threads took effect in child",
                                         14: "results differ from the parent's"}.get(os.WEXITSTATUS(status))
    # the parent's pool still works
    assert rnnkern.get_num_threads() == 2
    _assert_bitwise(_run("lstm", p, s), expected, "parent after fork")


def _pool_task(args):
    cell, dtype = args
    p, s = _problem(cell, dtype, **FORK_SHAPE)
    return rnnkern.get_num_threads(), _run(cell, p, s)


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_multiprocessing_fork_pool(threads):
    rnnkern.set_num_threads(2)
    jobs = [("lstm", np.float32), ("gru", np.float64), ("rnn-tanh", np.float32)]
    expected = [_pool_task(j)[1] for j in jobs]  # threaded, in the parent
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        got = pool.map_async(_pool_task, jobs).get(timeout=60)
    for (n, res), exp, job in zip(got, expected, jobs):
        assert n == 1
        _assert_bitwise(res, exp, f"pool worker {job}")


# ---- (d) the GIL is released ---------------------------------------------------------------------------

def _gil_calls():
    """name -> setup returning a call that runs a kernel of some milliseconds at least."""
    def cell_case(cell, backward):
        def setup():
            p, s = _problem(cell, np.float64, t=96, b=64, i=64, h=128)
            if not backward:
                return lambda: _run_forward(cell, p)
            ws = _run_forward(cell, p)[-1]
            kind, _ = _kind(cell)
            return lambda: getattr(rnnkern, f"{kind}_backward")(ws, **s)
        return setup

    def gemm_case():
        rng = np.random.default_rng(0)
        a, b = rng.standard_normal((800, 600)), rng.standard_normal((600, 1000))
        return lambda: rnnkern.gemm(a, b)

    cases = {f"{c}-{'bwd' if bwd else 'fwd'}": cell_case(c, bwd)
             for c in ["lstm", "gru", "rnn-tanh"] for bwd in (False, True)}
    cases["gemm"] = gemm_case
    return cases


def _run_forward(cell, p):
    kind, act = _kind(cell)
    kw = {"activation": act} if kind == "rnn" else {}
    return getattr(rnnkern, f"{kind}_forward")(**p, **kw)


@pytest.mark.parametrize("case", list(_gil_calls()))
def test_kernels_release_the_gil(case):
    """While the worker thread is inside the kernel call, the main thread runs Python code.

    The switch interval is raised so the interpreter never preempts the worker: the main thread
    can then run only when the worker lets go of the GIL, i.e. inside the kernel's nogil section."""
    call = _gil_calls()[case]()
    inside, done = threading.Event(), threading.Event()
    result = []

    def worker():
        inside.set()
        try:
            result.append(call())
        finally:
            inside.clear()
            done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(30.0)
    try:
        th = threading.Thread(target=worker)
        th.start()
        seen_inside = 0
        deadline = time.monotonic() + 60
        while not done.is_set() and time.monotonic() < deadline:
            for _ in range(2000):
                if inside.is_set() and not done.is_set():
                    seen_inside += 1
            done.wait(0.002)  # let go of the GIL so the worker can return from the kernel
        th.join(60)
    finally:
        sys.setswitchinterval(old)
    assert not th.is_alive()
    assert result, "the kernel call failed"
    assert seen_inside > 0, "the main thread never ran while the kernel was running: GIL held"


# ---- (e) processor affinity ------------------------------------------------------------------------
# A thread woken onto its waker's cpu moves off it by narrowing its affinity mask for a moment
# (csrc/threads.c, rk_team_enter): every thread's mask must come back as it was, and a mask of one
# cpu must stay one cpu, with the results of one thread.

def _task_masks():
    """The affinity mask of every thread of this process."""
    masks = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            masks[int(tid)] = frozenset(os.sched_getaffinity(int(tid)))
        except (ProcessLookupError, FileNotFoundError):  # a thread that just ended
            pass
    return masks


def _sleepy_runs(cell, p, s, n=4):
    """Threaded calls with pauses between them long enough for the OpenMP workers to sleep."""
    out = None
    for _ in range(n):
        time.sleep(0.05)
        out = _run(cell, p, s)
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux affinity masks")
@pytest.mark.parametrize("cell", ["lstm", "rnn-tanh"])
def test_threaded_calls_leave_affinity_masks(cell, threads):
    p, s = _problem(cell, np.float32, **FORK_SHAPE)
    rnnkern.set_num_threads(1)
    expected = _run(cell, p, s)
    rnnkern.set_num_threads(2)
    _run(cell, p, s)  # the OpenMP workers exist from here on
    before = _task_masks()
    _assert_bitwise(_sleepy_runs(cell, p, s), expected, "2 threads")
    after = _task_masks()
    assert {t: m for t, m in after.items() if t in before} == {t: m for t, m in before.items() if t in after}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux affinity masks")
def test_threaded_calls_on_one_cpu_mask(threads):
    """The calling thread held to one cpu stays there; the team still gives one thread's results."""
    p, s = _problem("lstm", np.float32, **FORK_SHAPE)
    rnnkern.set_num_threads(1)
    expected = _run("lstm", p, s)
    mask = os.sched_getaffinity(0)
    one = {min(mask)}
    os.sched_setaffinity(0, one)
    try:
        rnnkern.set_num_threads(2)
        got = _sleepy_runs("lstm", p, s)
        assert os.sched_getaffinity(0) == one
    finally:
        os.sched_setaffinity(0, mask)
    _assert_bitwise(got, expected, "2 threads, caller on one cpu")
