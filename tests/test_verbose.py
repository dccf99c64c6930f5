"""RNNKERN_VERBOSE and set_verbose (rnnkern/_verbose.py gives the format): one stderr line per
kernel call with its shape, dtype, SIMD path, threads and time; nothing, and no formatting, when off.
Every test sets or clears RNNKERN_VERBOSE itself; fresh interpreters check the variable at import."""
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import rnnkern
from rnnkern import _verbose

EXEC = "rnnkern_verbose,exec,"
INFO = "rnnkern_verbose,info,"
TIME = re.compile(r"\d+\.\d{3}ms")
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
# (cell, activation): every cell kind and every activation of the RNN
CELLS = [("lstm", None), ("gru", None), ("rnn", "tanh"), ("rnn", "relu"), ("rnn", "logistic")]


@pytest.fixture(autouse=True)
def verbose_off(monkeypatch):
    """Each test starts with verbose output off and RNNKERN_VERBOSE unset, and leaves the level as
    it found it."""
    before = rnnkern.get_verbose()
    monkeypatch.delenv("RNNKERN_VERBOSE", raising=False)
    rnnkern.set_verbose(0)
    yield
    rnnkern.set_verbose(before)


def exec_lines(capsys):
    """The exec lines written to stderr since the last read, each split into its fields."""
    err = capsys.readouterr().err
    return [line.split(",") for line in err.splitlines() if line.startswith(EXEC)]


def check_tail(fields, dtype, threads=None):
    """The fields every exec line ends with: dtype, ISA, threads=N, time."""
    assert fields[-4:-2] == [np.dtype(dtype).name, rnnkern.isa_info()["active"]], fields
    assert fields[-2] == f"threads={rnnkern.get_num_threads() if threads is None else threads}"
    assert TIME.fullmatch(fields[-1]), fields


def problem(cell, T, B, I, H, dtype, seed=0):
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    x = rng.standard_normal((T, B, I)).astype(dtype)
    w_ih = (rng.uniform(-1, 1, (G * H, I)) / np.sqrt(H)).astype(dtype)
    w_hh = (rng.uniform(-1, 1, (G * H, H)) / np.sqrt(H)).astype(dtype)
    return x, w_ih, w_hh


def forward(cell, activation, x, w_ih, w_hh, training):
    kw = {"activation": activation} if activation else {}
    return getattr(rnnkern, f"{cell}_forward")(x, w_ih, w_hh, training=training, **kw)


def test_pair_lines(capsys):
    """A bidirectional layer in one call: one line per call, its direction ending in _pair"""
    m = rnnkern.nn.GRU(5, 7, bidirectional=True, rng=0)
    rnnkern.set_verbose(1)
    capsys.readouterr()
    y, _ = m.forward(np.ones((3, 2, 5), np.float32))
    m.backward(np.ones_like(y))
    m.forward(np.ones((3, 2, 5), np.float32), training=False)
    assert [f[2:8] for f in exec_lines(capsys)] == [
        ["gru", direction, "T=3", "B=2", "I=5", "H=7"]
        for direction in ("forward_training_pair", "backward_pair", "forward_inference_pair")]


@pytest.mark.parametrize("cell, activation", CELLS,
                         ids=["lstm", "gru", "rnn-tanh", "rnn-relu", "rnn-logistic"])
def test_cell_lines(cell, activation, dtype, isa, capsys):
    """Training forward, backward and inference forward: one line each, with the call's fields."""
    T, B, I, H = 3, 2, 5, 7
    x, w_ih, w_hh = problem(cell, T, B, I, H, dtype)
    rnnkern.set_verbose(1)
    capsys.readouterr()
    out = forward(cell, activation, x, w_ih, w_hh, training=True)
    getattr(rnnkern, f"{cell}_backward")(out[-1], np.ones_like(out[0]))
    forward(cell, activation, x, w_ih, w_hh, training=False)
    lines = exec_lines(capsys)
    op = f"rnn_{activation}" if cell == "rnn" else cell
    assert [f[2:8] for f in lines] == [
        [op, direction, f"T={T}", f"B={B}", f"I={I}", f"H={H}"]
        for direction in ("forward_training", "backward", "forward_inference")]
    for fields in lines:
        assert len(fields) == 12, fields
        assert fields[:2] == ["rnnkern_verbose", "exec"]
        check_tail(fields, dtype)
        assert fields[-3] == isa


@pytest.mark.parametrize("ta, tb", [(False, False), (False, True), (True, False), (True, True)],
                         ids=["NN", "NT", "TN", "TT"])
def test_gemm_line(ta, tb, dtype, isa, capsys):
    M, N, K = 3, 5, 4
    rng = np.random.default_rng(0)
    a = rng.standard_normal((K, M) if ta else (M, K)).astype(dtype)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
    rnnkern.set_verbose(1)
    capsys.readouterr()
    rnnkern.gemm(a, b, trans_a=ta, trans_b=tb)
    rnnkern.gemm(a, b, trans_a=ta, trans_b=tb, out=np.ones((M, N), dtype), beta=0.5)
    lines = exec_lines(capsys)
    flags = "NT"[ta] + "NT"[tb]
    assert [f[:7] for f in lines] == [["rnnkern_verbose", "exec", "gemm", flags, f"M={M}", f"N={N}",
                                       f"K={K}"]] * 2
    for fields in lines:
        assert len(fields) == 11, fields
        check_tail(fields, dtype)
        assert fields[-3] == isa


def test_threads_field_is_the_thread_count_of_the_call(threads, capsys):
    a = np.ones((4, 4))
    rnnkern.set_verbose(1)
    for n in (1, 2):
        rnnkern.set_num_threads(n)
        capsys.readouterr()
        rnnkern.gemm(a, a)
        (fields,) = exec_lines(capsys)
        check_tail(fields, np.float64, threads=n)


def test_time_is_the_kernel_call_alone(capsys):
    """The reported time lies within the wall time of the whole Python call, and is not zero for a
    call that does real work."""
    x, w_ih, w_hh = problem("lstm", 50, 8, 64, 64, np.float32)
    rnnkern.set_verbose(1)
    capsys.readouterr()
    t0 = time.perf_counter()
    rnnkern.lstm_forward(x, w_ih, w_hh, training=False)
    outer_ms = (time.perf_counter() - t0) * 1e3
    (fields,) = exec_lines(capsys)
    ms = float(fields[-1][:-2])
    assert 0 < ms <= outer_ms


def test_nothing_when_off(capfd):
    x, w_ih, w_hh = problem("gru", 3, 2, 5, 7, np.float32)
    y, _, ws = rnnkern.gru_forward(x, w_ih, w_hh)
    rnnkern.gru_backward(ws, y)
    rnnkern.gemm(np.ones((2, 3)), np.ones((3, 4)))
    assert capfd.readouterr() == ("", "")


def test_off_formats_nothing(monkeypatch):
    """Off, a call never reaches the formatting code."""
    def boom(*args):
        raise AssertionError("verbose output formatted while off")

    for name in ("cell", "gemm", "_exec", "_write", "header"):
        monkeypatch.setattr(_verbose, name, boom)
    x, w_ih, w_hh = problem("lstm", 3, 2, 5, 7, np.float64)
    y, _, _, ws = rnnkern.lstm_forward(x, w_ih, w_hh)
    rnnkern.lstm_backward(ws, y)
    rnnkern.lstm_forward(x, w_ih, w_hh, training=False)
    rnnkern.gemm(np.ones((2, 3)), np.ones((3, 4)))


def test_rejected_call_prints_nothing(capsys):
    """A call that validation refuses never reaches a kernel, so it has no line."""
    x, w_ih, w_hh = problem("lstm", 3, 2, 5, 7, np.float32)
    rnnkern.set_verbose(1)
    capsys.readouterr()
    with pytest.raises(ValueError, match="w_ih"):
        rnnkern.lstm_forward(x, w_ih[:, :-1], w_hh)
    with pytest.raises(ValueError, match="b:"):
        rnnkern.gemm(np.ones((2, 3)), np.ones((4, 4)))
    assert exec_lines(capsys) == []


def test_set_and_get_verbose(capsys):
    a = np.ones((2, 2), np.float32)
    assert rnnkern.get_verbose() == 0
    for level, lines in ((1, 1), (0, 0), (True, 1), (False, 0), (np.int64(1), 1)):
        rnnkern.set_verbose(level)
        assert rnnkern.get_verbose() == int(level) and type(rnnkern.get_verbose()) is int
        capsys.readouterr()
        rnnkern.gemm(a, a)
        assert len(exec_lines(capsys)) == lines, level


@pytest.mark.parametrize("level, error", [(2, ValueError), (-1, ValueError), ("1", TypeError),
                                          (1.0, TypeError), (None, TypeError)])
def test_set_verbose_rejects_other_levels(level, error):
    rnnkern.set_verbose(1)
    with pytest.raises(error, match=r"^level: expected 0 \(off\) or 1"):
        rnnkern.set_verbose(level)
    assert rnnkern.get_verbose() == 1


def test_header_once_before_the_first_line(monkeypatch, capsys):
    monkeypatch.setattr(_verbose, "_header_written", False)
    a = np.ones((2, 2))
    rnnkern.set_verbose(1)
    capsys.readouterr()
    rnnkern.gemm(a, a)
    rnnkern.gemm(a, a)
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(",")[1] for line in lines] == ["info", "exec", "exec"]
    info = rnnkern.isa_info()
    fields = dict(f.split("=", 1) for f in lines[0].split(",")[2:])
    assert list(fields) == ["version", "isa", "available", "cpu"]
    assert fields["version"] == rnnkern.__version__
    assert fields["isa"] == info["active"]
    assert fields["available"].split() == info["available"]
    assert fields["cpu"] and fields["cpu"] == fields["cpu"].strip()


@pytest.mark.parametrize("value, level", [("1", 1), (" 1\n", 1), ("0", 0), ("", 0)])
def test_env_levels(monkeypatch, recwarn, value, level):
    monkeypatch.setenv("RNNKERN_VERBOSE", value)
    assert _verbose.level_from_env() == level
    assert len(recwarn) == 0


def test_env_unset_is_off(recwarn):
    assert _verbose.level_from_env() == 0
    assert len(recwarn) == 0


@pytest.mark.parametrize("value", ["yes", "2", "-1", "on", "1.0"])
def test_env_bad_value_warns_and_stays_off(monkeypatch, value):
    monkeypatch.setenv("RNNKERN_VERBOSE", value)
    message = f"RNNKERN_VERBOSE={value!r}: expected 0 (off) or 1"
    with pytest.warns(RuntimeWarning, match=re.escape(message)):
        assert _verbose.level_from_env() == 0


# ---- fresh interpreters: the variable read at import ----------------------------------------------

CALLS = """
import numpy as np, rnnkern
x = np.ones((4, 3, 5), np.float32)
y, hT, ws = rnnkern.gru_forward(x, np.full((12, 5), 0.1, np.float32), np.full((12, 4), 0.1, np.float32))
rnnkern.gru_backward(ws, y)
rnnkern.gemm(np.ones((2, 3)), np.ones((3, 6)))
print(rnnkern.get_verbose())
"""


def _python(code, tmp_path, verbose):
    """Runs `code` in a fresh interpreter outside the source tree, with RNNKERN_VERBOSE=verbose
    (unset for None) and RNNKERN_ISA unset -> CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if k not in ("RNNKERN_VERBOSE", "RNNKERN_ISA")}
    if verbose is not None:
        env["RNNKERN_VERBOSE"] = verbose
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)


def test_env_on_in_a_fresh_interpreter(tmp_path):
    r = _python(CALLS, tmp_path, "1")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "1\n"
    lines = r.stderr.splitlines()
    best = rnnkern.isa_info()["best"]
    assert lines[0].startswith(f"{INFO}version={rnnkern.__version__},isa={best},"), lines
    tails = [line.split(",")[2:-2] for line in lines[1:]]
    assert tails == [["gru", "forward_training", "T=4", "B=3", "I=5", "H=4", "float32", best],
                     ["gru", "backward", "T=4", "B=3", "I=5", "H=4", "float32", best],
                     ["gemm", "NN", "M=2", "N=6", "K=3", "float64", best]]


@pytest.mark.parametrize("value", [None, "0"])
def test_env_off_in_a_fresh_interpreter(tmp_path, value):
    r = _python(CALLS, tmp_path, value)
    assert r.returncode == 0, r.stderr
    assert (r.stdout, r.stderr) == ("0\n", "")


def test_env_bad_value_in_a_fresh_interpreter(tmp_path):
    r = _python(CALLS, tmp_path, "verbose")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "0\n"
    assert "RuntimeWarning: RNNKERN_VERBOSE='verbose': expected 0 (off) or 1" in r.stderr
    assert "rnnkern_verbose" not in r.stderr


def test_set_verbose_overrides_env_at_run_time(tmp_path):
    r = _python("import numpy as np, rnnkern; a = np.ones((2, 2)); rnnkern.gemm(a, a); "
                "rnnkern.set_verbose(0); rnnkern.gemm(a, a)", tmp_path, "1")
    assert r.returncode == 0, r.stderr
    assert [line.split(",")[1] for line in r.stderr.splitlines()] == ["info", "exec"]
