"""Does Martens' diagonal preconditioner help HessianFree on the hf demo's adding problem?

    python benchmarks/hf_precondition.py [--lengths 20 50] [--seeds 0 1 2 3 4] [--xi 0.75 0]

Per length, seed and exponent xi (HessianFree(precondition=xi); 0 is plain CG): the demo's HF run
(rnnkern.train.demos.hf.train_hf, its settings for that length, its net from PyTorch's
initialisation and its test set), until solved or out of the demo's budget of sequence passes. Prints
each run's final test MSE, passes and seconds, then per length and xi the runs solved, the median
passes of the solved ones and the median seconds. One thread; times are on whatever else the machine
is doing.
"""
import argparse
import time

import numpy as np

import rnnkern
from rnnkern.train.demos import hf


def one_run(T, seed, xi):
    s = hf.SETTINGS[T]
    rng = np.random.default_rng([seed, T, hf.METHODS.index("HF")])
    test = hf.problem(500, T, np.random.default_rng([seed, T]))
    net = hf.make_net("HF", s["hidden"], rng)
    t0 = time.perf_counter()
    curve = hf.train_hf(net, T, rng, test, hf_options=dict(precondition=xi), **s)
    return curve[-1][1], curve[-1][0], time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lengths", type=int, nargs="+", default=[20, 50], choices=sorted(hf.SETTINGS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--xi", type=float, nargs="+", default=[0.75, 0.0])
    args = ap.parse_args(argv)
    rnnkern.set_num_threads(1)
    rows = {}
    for T in args.lengths:
        for seed in args.seeds:
            for xi in args.xi:
                mse, passes, sec = rows[(T, seed, xi)] = one_run(T, seed, xi)
                print(f"T={T:<4d} seed {seed}  xi {xi:<5g} test MSE {mse:.4f}  "
                      f"{'solved' if mse < hf.SOLVED else 'not solved'} after {passes} passes  {sec:.1f} s",
                      flush=True)
    print(f"{'T':>4s} {'xi':>5s} {'solved':>7s} {'median passes (solved)':>23s} {'median MSE':>11s} {'median s':>9s}")
    for T in args.lengths:
        for xi in args.xi:
            rs = [rows[(T, sd, xi)] for sd in args.seeds]
            solved = [p for m, p, _ in rs if m < hf.SOLVED]
            print(f"{T:4d} {xi:5g} {len(solved):>3d}/{len(rs):<3d} "
                  f"{(f'{np.median(solved):.0f}' if solved else '-'):>23s} "
                  f"{np.median([m for m, _, _ in rs]):11.4f} {np.median([s for _, _, s in rs]):9.1f}")


if __name__ == "__main__":
    main()
