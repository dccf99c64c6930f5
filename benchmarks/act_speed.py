"""Activation throughput per ISA, and an LSTM inference forward, in one run:

    python benchmarks/act_speed.py [--reps N] [--lstm-only | --act-only]

Element-wise: rnnkern._ext.activation (the act_row kernel of each ISA this CPU runs) over n = 64K
(in L2; large enough that the ~2 us of a Python call is noise) and n = 1M (in memory) elements of
float32 and float64, against numpy's own np.tanh and 1 / (1 + exp(-x)) as a point of reference.
Prints ns per element and GB/s (bytes read + written). Each figure is the best of `reps` timed
batches, each batch long enough for the clock.

LSTM: rnnkern.lstm_forward(training=False), T=100, B=32, I=H=256, float32, on one thread and on all,
for every ISA this CPU runs; best and median of `reps` calls, wall clock and process CPU time (on a
shared machine, CPU time at one thread is the steadier figure). The fused epilogue evaluates 5
activations per hidden unit and step, so the recurrence's epilogue share is what this shows.
"""
import argparse
import time

import numpy as np

import rnnkern
from rnnkern import _ext


def best_time(fn, reps, min_batch_s=2e-3):
    fn()
    calls = 1
    while True:  # calls per batch so that a batch lasts >= min_batch_s
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_batch_s:
            break
        calls *= 2
    times = [dt / calls]
    for _ in range(reps - 1):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls)
    return min(times)


def activations(reps):
    rng = np.random.default_rng(0)
    print(f"{'op':8s} {'dtype':8s} {'n':>8s} {'path':8s} {'ns/elem':>8s} {'GB/s':>7s}")
    for dt in (np.float32, np.float64):
        for n in (1 << 16, 1 << 20):
            x = rng.uniform(-6, 6, n).astype(dt)
            y = np.empty_like(x)
            nbytes = 2 * x.nbytes
            for op in ("tanh", "sigmoid", "relu"):
                rows = [(isa, lambda isa=isa: _ext.activation(op, isa, x, y))
                        for isa in rnnkern.available_isas()]
                if op == "tanh":
                    rows.append(("numpy", lambda: np.tanh(x, out=y)))
                elif op == "sigmoid":
                    rows.append(("numpy", lambda: np.divide(1, 1 + np.exp(-x), out=y)))
                for name, fn in rows:
                    t = best_time(fn, reps)
                    print(f"{op:8s} {np.dtype(dt).name:8s} {n:8d} {name:8s} {t / n * 1e9:8.3f} "
                          f"{nbytes / t / 1e9:7.2f}")


def lstm(reps):
    T, B, H = 100, 32, 256
    rng = np.random.default_rng(0)
    s = 1 / np.sqrt(H)
    x = rng.standard_normal((T, B, H)).astype(np.float32)
    w_ih = rng.uniform(-s, s, (4 * H, H)).astype(np.float32)
    w_hh = rng.uniform(-s, s, (4 * H, H)).astype(np.float32)
    b = rng.uniform(-s, s, 4 * H).astype(np.float32)
    before_isa, before_nt = rnnkern.isa_info()["active"], rnnkern.get_num_threads()
    print(f"\nlstm_forward(training=False) T={T} B={B} I=H={H} float32")
    try:
        for nt in sorted({1, before_nt}):
            rnnkern.set_num_threads(nt)
            for isa in rnnkern.available_isas():
                rnnkern.set_isa(isa)
                call = lambda: rnnkern.lstm_forward(x, w_ih, w_hh, b, b, training=False)
                call()
                wall, cpu = [], []
                for _ in range(reps):
                    t0, c0 = time.perf_counter(), time.process_time()
                    call()
                    wall.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
                print(f"  threads={nt} {isa:7s} wall best {min(wall) * 1e3:8.2f} median "
                      f"{np.median(wall) * 1e3:8.2f} ms | cpu best {min(cpu) * 1e3:8.2f} median "
                      f"{np.median(cpu) * 1e3:8.2f} ms")
    finally:
        rnnkern.set_isa(before_isa)
        rnnkern.set_num_threads(before_nt)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--lstm-only", action="store_true")
    ap.add_argument("--act-only", action="store_true")
    a = ap.parse_args()
    print(f"rnnkern {rnnkern.__version__}, paths: {', '.join(rnnkern.available_isas())}")
    if not a.lstm_only:
        activations(a.reps)
    if not a.act_only:
        lstm(a.reps)
