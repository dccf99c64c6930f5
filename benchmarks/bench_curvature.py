"""What one Gauss-Newton product costs against one gradient, on the benchmark's shapes:

    python benchmarks/bench_curvature.py [--quick] [--reps N] [--threads N]

Per cell and shape (T, B, I, H), the median of --reps calls of
  gradient   forward (training) + backward                      the cost of one gradient
  jvp        the forward-mode product alone (rnnkern.<cell>_jvp)
  G v        forward + jvp + backward, the recurrent layer's part of
             rnnkern.train.curvature.gauss_newton_product (identity loss Hessian)
  model      gauss_newton_product / loss_and_gradient of a SequenceModel with a linear readout
             and a squared error on every step, the ratio only
and the ratio G v / gradient. Times are on whatever else the machine is doing.
"""
import argparse
import time

import numpy as np

import rnnkern
from rnnkern import nn
from rnnkern.bench import problems as bench
from rnnkern.train import curvature, losses


def median_time(fn, reps):
    fn()  # warm: scratch buffers allocated, pages faulted
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def kernel_times(cell, shape, reps):
    kind, act = bench.cell_kind(cell)
    p = bench.make_problem(cell, *shape)
    dy = p.pop("dy")
    kw = dict(activation=act) if kind == "rnn" else {}
    fwd, bwd, jvp = (getattr(rnnkern, f"{kind}_{s}") for s in ("forward", "backward", "jvp"))
    t = {k: np.ones_like(v) * 0.01 for k, v in p.items() if k != "x"}
    tangents = dict(dw_ih=t["w_ih"], dw_hh=t["w_hh"], db_ih=t["b_ih"], db_hh=t["b_hh"])

    def gradient():
        bwd(fwd(**p, **kw)[-1], dy)

    ws = fwd(**p, **kw)[-1]

    def product():
        ws = fwd(**p, **kw)[-1]
        bwd(ws, jvp(ws, **tangents)[0])

    return median_time(gradient, reps), median_time(lambda: jvp(ws, **tangents), reps), median_time(product, reps)


def model_ratio(cell, shape, reps):
    kind, act = bench.cell_kind(cell)
    T, B, I, H = shape
    layer = {"lstm": nn.LSTM, "gru": nn.GRU}.get(kind)
    rec = layer(I, H, rng=0) if layer else nn.RNN(I, H, activation=act, rng=0)
    model = nn.SequenceModel(rec, nn.Linear(H, 1, rng=1))
    rng = np.random.default_rng(0)
    batch = (rng.standard_normal((T, B, I)).astype(np.float32), rng.standard_normal((T, B, 1)).astype(np.float32))
    v = rng.standard_normal(model.num_parameters()).astype(np.float32) * 0.01
    grad = median_time(lambda: curvature.loss_and_gradient(model, losses.mse, batch), reps)
    gv = median_time(lambda: curvature.gauss_newton_product(model, losses.mse, batch, v), reps)
    return gv / grad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the benchmark's quick shapes only")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--threads", type=int, default=rnnkern.get_num_threads())
    args = ap.parse_args(argv)
    rnnkern.set_num_threads(args.threads)
    shapes = bench.QUICK_SHAPES if args.quick else bench.DEFAULT_SHAPES[:5]
    print(f"rnnkern {rnnkern.__version__}, {rnnkern.isa_info()['active']}, {args.threads} threads, "
          f"float32, median of {args.reps}")
    print(f"{'cell':9s} {'T,B,I,H':>16s} {'gradient ms':>12s} {'jvp ms':>9s} {'G v ms':>9s} "
          f"{'G v/grad':>9s} {'model':>7s}")
    worst = 0.0
    for cell in bench.DEFAULT_CELLS:
        for shape in shapes:
            g, j, gv = kernel_times(cell, shape, args.reps)
            m = model_ratio(cell, shape, args.reps)
            worst = max(worst, gv / g, m)
            print(f"{cell:9s} {bench.fmt_shape(shape):>16s} {g * 1e3:12.3f} {j * 1e3:9.3f} {gv * 1e3:9.3f} "
                  f"{gv / g:9.2f} {m:7.2f}")
    print(f"largest G v / gradient: {worst:.2f} (target <= 2.5)")


if __name__ == "__main__":
    main()
