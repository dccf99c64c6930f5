"""rnnkern against torch.nn.LSTM/GRU/RNN per cell, mode and shape, with pytest-benchmark:

    pytest benchmarks --benchmark-only [--benchmark-group-by=group] [--benchmark-json=PATH]

Each group (cell, mode, shape) holds rnnkern and torch on the same inputs and weights; extra_info has
the FLOPs of one call and the GFLOP/s of the median. For the full comparison with targets, the FMA peak
and thread scaling, use `python -m rnnkern bench`.
"""
import pytest

import rnnkern
from rnnkern import bench

SHAPES = [(100, 1, 128, 128), (100, 1, 256, 256), (100, 16, 256, 256)]
CELLS = ["lstm", "gru", "rnn-tanh"]
ROUNDS = 5


def _ids(shape):
    return "T{}B{}I{}H{}".format(*shape)


def _record(benchmark, cell, mode, shape, threads):
    f = bench.flops(cell, mode, *shape)
    benchmark.extra_info.update(flops=f, threads=threads)
    stats = getattr(benchmark, "stats", None)
    if stats is not None:  # None under --benchmark-disable
        benchmark.extra_info["gflops_median"] = f / stats.stats.median * 1e-9


@pytest.fixture(params=SHAPES, ids=_ids)
def shape(request):
    return request.param


@pytest.mark.parametrize("mode", bench.MODES)
@pytest.mark.parametrize("cell", CELLS)
def test_rnnkern(benchmark, cell, mode, shape, bench_threads):
    p = bench.make_problem(cell, *shape)
    setup, run = bench.numpy_call(rnnkern, cell, mode, p)
    benchmark.group = f"{cell} {mode} {_ids(shape)}"
    benchmark.pedantic(run, setup=setup, rounds=ROUNDS, warmup_rounds=1)
    _record(benchmark, cell, mode, shape, bench_threads)


@pytest.mark.parametrize("mode", bench.MODES)
@pytest.mark.parametrize("cell", CELLS)
def test_torch(benchmark, torch, cell, mode, shape, bench_threads):
    p = bench.make_problem(cell, *shape)
    setup, run = bench.torch_call(torch, bench.torch_module(torch, cell, p), mode, p)
    benchmark.group = f"{cell} {mode} {_ids(shape)}"
    benchmark.pedantic(run, setup=setup, rounds=ROUNDS, warmup_rounds=1)
    _record(benchmark, cell, mode, shape, bench_threads)
