"""pytest-benchmark suite: `pytest benchmarks --benchmark-only` (not collected by `pytest tests`).

rnnkern and torch both run OpenMP in this process; where they load two runtimes, the default active wait
makes each spin on the cores the other needs, so OMP_WAIT_POLICY=PASSIVE is set here, before either loads.
Thread count: RNNKERN_BENCH_THREADS (default: rnnkern's default), applied to rnnkern and torch by the
`bench_threads` fixture (files that also time numpy's BLAS limit it themselves).
"""
import os
import sys
import warnings

if "rnnkern._ext" in sys.modules or "torch" in sys.modules:
    if os.environ.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE":
        warnings.warn("an OpenMP runtime loaded before benchmarks/conftest.py could set "
                      "OMP_WAIT_POLICY=PASSIVE: run `pytest benchmarks` on its own", stacklevel=1)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402

import rnnkern  # noqa: E402


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


@pytest.fixture(scope="session")
def torch():
    """torch, or a skip when it is not installed (pip install torch==2.13.0)."""
    mod = _torch()
    if mod is None:
        pytest.skip("torch is not installed")
    return mod


@pytest.fixture(scope="session", autouse=True)
def bench_threads():
    n = int(os.environ.get("RNNKERN_BENCH_THREADS", 0)) or rnnkern.get_num_threads()
    before = rnnkern.get_num_threads()
    rnnkern.set_num_threads(n)
    mod = _torch()
    if mod is not None:
        mod.set_num_threads(n)
    yield n
    rnnkern.set_num_threads(before)
