"""rnnkern.gemm against numpy.matmul (OpenBLAS) and torch.matmul, with pytest-benchmark:

    pytest benchmarks/test_bench_gemm.py --benchmark-only [--benchmark-group-by=group]

Each group is one product, every contender writing into a preallocated out on the same operands;
extra_info has the FLOPs of one call and the GFLOP/s of the median. Thread count: conftest.py's
(RNNKERN_BENCH_THREADS, applied to rnnkern and torch), and here to numpy's BLAS through threadpoolctl.
numpy's BLAS reads OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE when it loads, before this file runs: a run with
either set warns, and extra_info names the OpenBLAS kernels that ran. For the full grid with the FMA
peak, bandwidth and thread scaling: python benchmarks/bench_gemm.py.
"""
import os
import warnings

import numpy as np
import pytest

import rnnkern

# (label, M, N, K, trans_b): the recurrence h @ W_hh^T (W_hh (4H, H), transposed as stored) at batch 1
# and 16, the input projection x @ W_ih^T over T*B = 1600 rows, and a square product
SHAPES = [("h@W_hh^T B=1 H=512", 1, 2048, 512, True), ("h@W_hh^T B=16 H=256", 16, 1024, 256, True),
          ("x@W_ih^T TB=1600 H=256", 1600, 1024, 256, True), ("square 512", 512, 512, 512, False)]
IDS = ["rec-B1-H512", "rec-B16-H256", "proj-TB1600-H256", "square-512"]


@pytest.fixture(scope="module", autouse=True)
def blas_threads(bench_threads):
    """numpy's BLAS on conftest's thread count; the kernels it runs, for extra_info."""
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            warnings.warn(f"{var}={os.environ[var]} is set: numpy's OpenBLAS may run slower kernels than this "
                          "CPU's (benchmarks/bench_gemm.py measures in a child process without it)", stacklevel=1)
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        yield {"openblas": "? (threadpoolctl not installed: numpy's BLAS threads not limited)"}
        return
    blas = [f"{p['internal_api']} {p.get('version')} {p.get('architecture')}"
            for p in threadpool_info() if p["user_api"] == "blas"]
    with threadpool_limits(limits=bench_threads, user_api="blas"):
        yield {"openblas": "; ".join(blas) or "?"}


@pytest.fixture(params=SHAPES, ids=IDS)
def problem(request):
    label, m, n, k, tb = request.param
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    return {"label": label, "a": a, "b": b, "trans_b": tb, "out": np.empty((m, n), np.float32),
            "flops": 2.0 * m * n * k}


def _run(benchmark, problem, fn, threads, blas):
    benchmark.group = problem["label"]
    benchmark.extra_info.update(flops=problem["flops"], threads=threads, **blas)
    benchmark(fn)
    stats = getattr(benchmark, "stats", None)
    if stats is not None:  # None under --benchmark-disable
        benchmark.extra_info["gflops_median"] = problem["flops"] / stats.stats.median * 1e-9
    a, b = problem["a"].astype(np.float64), problem["b"].astype(np.float64)
    b = b.T if problem["trans_b"] else b
    np.testing.assert_array_less(np.abs(problem["out"] - a @ b), 1e-5 * (np.abs(a) @ np.abs(b)) + 1e-30)


def test_rnnkern(benchmark, problem, bench_threads, blas_threads):
    a, b, tb, out = problem["a"], problem["b"], problem["trans_b"], problem["out"]
    _run(benchmark, problem, lambda: rnnkern.gemm(a, b, trans_b=tb, out=out), bench_threads, blas_threads)


def test_numpy(benchmark, problem, bench_threads, blas_threads):
    a, b, out = problem["a"], problem["b"], problem["out"]
    bop = b.T if problem["trans_b"] else b  # a view: OpenBLAS gets the transpose flag
    _run(benchmark, problem, lambda: np.matmul(a, bop, out=out), bench_threads, blas_threads)


def test_torch(benchmark, torch, problem, bench_threads, blas_threads):
    a, b, out = (torch.from_numpy(problem[k]) for k in ("a", "b", "out"))
    bop = b.t() if problem["trans_b"] else b
    _run(benchmark, problem, lambda: torch.matmul(a, bop, out=out), bench_threads, blas_threads)
