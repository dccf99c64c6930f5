"""`python -m rnnkern bench --serving`: runs (each contender in its own process), prints every row,
the fixed costs and the targets' verdicts; its fit and its contenders are right."""
import importlib.util

import numpy as np
import pytest

from rnnkern import bench
from rnnkern.bench import serving

HAS_TORCH = importlib.util.find_spec("torch") is not None


def test_fixed_cost_is_the_intercept():
    assert serving.fit_fixed_cost((1, 10, 100), [5 + 2 * t for t in (1, 10, 100)]) == pytest.approx(5)


@pytest.mark.parametrize("torch", [False] + ([True] if HAS_TORCH else []), ids=["no-torch", "torch"][:1 + HAS_TORCH])
def test_serving_run_prints_rows_and_targets(torch, capsys, monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    argv = ["--serving", "--reps", "1", "--batch-s", "0.002", "--modes", "inference", "--shapes", "1,1,8,16"]
    assert bench.main(argv + ([] if torch else ["--no-torch"])) == 0
    out = capsys.readouterr().out
    assert "I = 8, H = 16, one thread" in out and "each in its own process" in out
    for T in (1, 10, 100):
        for B in (1, 8):
            assert f"forward infer T={T} B={B}" in out
    assert "fixed cost per call, inference, B=1: packed" in out
    assert "steps per second, B=8: LSTMStream.step" in out
    assert "target: LSTMStream.step at B=1 <= 2 us" in out
    assert ("nn.LSTMCell" in out and "target (inference)" in out) == torch


def test_contenders_compute_the_same_forward():
    packed = serving.build(None, "packed", "inference", 3, 2, 5, 7, seed=1)()
    functional = serving.build(None, "functional", "inference", 3, 2, 5, 7, seed=1)()
    assert np.array_equal(packed[0], functional)
    step = serving.build(None, "LSTMStream.step", "inference", 1, 2, 5, 7, seed=1)()
    assert step.shape == (2, 7)


def test_one_process_times_each_of_its_ways(monkeypatch):
    """The packed handle and the functional call share rnnkern's process: each way prepared keeps
    its own call, so a turn of one never times the other (both once timed the last prepared)."""
    from rnnkern.bench.contenders import RNNKERN
    from rnnkern.bench.worker import Session

    calls = []
    monkeypatch.setattr(serving, "build", lambda torch, way, *a: lambda: calls.append(way))
    session = Session(RNNKERN)
    for way in ("packed", "functional"):
        session.serving_prepare(way=way, mode="inference", T=1, B=1, I=4, H=4, seed=0)
    calls.clear()
    session.serving_time(way="packed", batch_s=0.001)
    assert set(calls) == {"packed"}
    calls.clear()
    session.serving_time(way="functional", batch_s=0.001)
    assert set(calls) == {"functional"}
