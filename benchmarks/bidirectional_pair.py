"""One bidirectional layer, training forward + backward, as one pair call (both directions' loops at
once, each on part of the threads) against the two directions one after the other, taking turns
in one process; medians and minima (on a shared machine a 2-thread call often waits for a core:
the minimum is the unloaded cost). Usage: python benchmarks/bidirectional_pair.py [--threads 2] [--reps 31]
[--cells lstm gru rnn] [--shapes 100,1,64,64 100,8,256,256]"""
import argparse
import os
import time

import numpy as np

import rnnkern
from rnnkern import cells, functional as F


def layer(cell, T, B, I, H, seed=0):
    rng = np.random.default_rng(seed)
    G, s = cells.get(cell).G * H, 1 / np.sqrt(H)
    w = [tuple(rng.uniform(-s, s, shape).astype(np.float32) for shape in ((G, I), (G, H), (G,), (G,)))
         for _ in range(2)]
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    dy = [rng.standard_normal((T, B, H)).astype(np.float32) for _ in range(2)]
    return x, w, dy


def pair(cell, x, w, dy):
    outs = F._forward_pair(cell, "tanh", x, w, [None] * 2, [None] * 2, None, True)
    F._backward_pair(cell, [o[3] for o in outs], dy, [None] * 2, [None] * 2)


def sequential(cell, x, w, dy):
    for d in range(2):
        ws = F._forward(cell, "tanh", x, *w[d], None, None, None, True, d == 1)[3]
        F._backward(cell, ws, dy[d], None, None, None, None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=31)
    ap.add_argument("--cells", nargs="+", default=list(cells.CELLS))
    ap.add_argument("--shapes", nargs="+", default=["100,1,64,64", "100,8,256,256"])
    args = ap.parse_args()
    rnnkern.set_num_threads(args.threads)
    print(f"threads={args.threads} isa={rnnkern.isa_info()['active']} reps={args.reps} "
          f"load={os.getloadavg()[0]:.2f}; training forward + backward of one bidirectional layer, ms")
    print(f"{'cell':5} {'T,B,I,H':>14} {'sequential':>11} {'pair':>8} {'speedup':>8} "
          f"{'min seq.':>9} {'min pair':>9} {'speedup':>8}")
    for cell in args.cells:
        for shape in args.shapes:
            x, w, dy = layer(cell, *map(int, shape.split(",")))
            times = {"sequential": [], "pair": []}
            for fn in (sequential, pair):  # warm the scratch pool
                fn(cell, x, w, dy)
            for _ in range(args.reps):  # taking turns, so load drifts hit both alike
                for name, fn in (("sequential", sequential), ("pair", pair)):
                    t0 = time.perf_counter()
                    fn(cell, x, w, dy)
                    times[name].append(time.perf_counter() - t0)
            seq, par = (1e3 * float(np.median(times[k])) for k in ("sequential", "pair"))
            lo_seq, lo_par = (1e3 * min(times[k]) for k in ("sequential", "pair"))
            print(f"{cell:5} {shape:>14} {seq:11.3f} {par:8.3f} {seq / par:7.2f}x "
                  f"{lo_seq:9.3f} {lo_par:9.3f} {lo_seq / lo_par:7.2f}x")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
