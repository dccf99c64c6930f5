"""`python -m rnnkern bench`: rnnkern against torch.nn.LSTM/GRU/RNN and rnnkern.reference.

For every cell x mode x shape x thread count it times each contender in its own long-lived process,
started with the environment its users would give it (env.py, worker.py), the contenders taking turns
one call at a time (timing.py), and reports medians, microseconds per step, GFLOP/s, the fraction of the
machine's FMA peak (machine.py), the ratios, and whether the row meets its target (targets.py). It prints
a fixed-width table (report.py) and writes JSON and, with matplotlib, a PNG (output.py).
This module: the options and the loop over the rows.
"""
import argparse
import sys
import time
from pathlib import Path

from . import machine, output, report, targets
from .contenders import CONTENDERS, RNNKERN, TORCH
from .lineup import Lineup
from .problems import CELLS, DEFAULT_CELLS, DEFAULT_SHAPES, MODES, QUICK_SHAPES, flops, fmt_shape
from .timing import PROBE_STEPS, SETTLE_MAX_S, measure_row, median


def _shape(text):
    parts = text.replace("x", ",").split(",")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if len(shape) != 4 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"expected T,B,I,H (four positive integers), got {text!r}")
    return shape


def _names(choices, aliases):
    def parse(text):
        out = []
        for name in filter(None, text.split(",")):
            name = aliases.get(name, name)
            if name not in choices:
                raise argparse.ArgumentTypeError(f"expected one of {', '.join(choices)}, got {name!r}")
            out.append(name)
        return out
    return parse


def parser():
    p = argparse.ArgumentParser(
        prog="python -m rnnkern bench",
        description="Time rnnkern's cells against torch.nn.LSTM/GRU/RNN and rnnkern.reference, each in its own "
                    "process with its users' environment, taking turns, and check each row against its target.")
    p.add_argument("--cells", nargs="+", type=_names(CELLS, {"rnn": "rnn-tanh"}),
                   help=f"cells (default: {' '.join(DEFAULT_CELLS)}; also {', '.join(CELLS[3:])})")
    p.add_argument("--modes", nargs="+", type=_names(MODES, {"infer": "inference", "train": "training"}),
                   help="inference (forward, training=False) and/or training (forward + backward)")
    p.add_argument("--threads", nargs="+", type=int, help="thread counts (default: 1 2)")
    p.add_argument("--shapes", nargs="+", type=_shape, metavar="T,B,I,H",
                   help="shapes (default: the grid in rnnkern.bench.DEFAULT_SHAPES)")
    p.add_argument("--quick", action="store_true",
                   help=f"a small grid that runs in about a minute: {' '.join(map(fmt_shape, QUICK_SHAPES))},"
                        " 3 repetitions, --budget 1")
    p.add_argument("--reps", type=int, help="repetitions per row, taken in turns (default: 5; --quick 3)")
    p.add_argument("--budget", type=float, metavar="SECONDS",
                   help="time allowed per row: fewer repetitions (never under 1) where --reps would take "
                        "longer; 0 = always --reps (default: 10; --quick 1)")
    p.add_argument("--ref-max-s", type=float, default=2.0, metavar="SECONDS",
                   help="skip the reference where one call would take longer (estimated; default: 2)")
    p.add_argument("--no-torch", action="store_true", help="leave torch out")
    p.add_argument("--torch-module", action="store_true",
                   help="instead: one training step through autograd of the drop-in rnnkern.torch.X vs "
                        "torch.nn.X, one layer, two layers and bidirectional, and the drop-in's overhead over "
                        "the functional calls (--modes, --no-torch and --no-reference do not apply)")
    p.add_argument("--no-reference", action="store_true", help="leave rnnkern.reference out")
    p.add_argument("--peak", choices=("probe", "estimate"), default="probe",
                   help="FMA peak: measured by rnnkern's probe (estimated where it has none), or estimated "
                        "from the clock without probing (default: %(default)s)")
    p.add_argument("--isa", choices=("all",) + tuple(_compiled_isas()),
                   help="the rnnkern path timed: one by name, or all that this CPU can run, side by side, each in "
                        "its own process (RNNKERN_ISA), flagging a wider one slower than a narrower one "
                        "(default: the best this CPU has)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default="rnnkern-bench.json", metavar="PATH", help="results (default: %(default)s)")
    p.add_argument("--no-plot", action="store_true", help="no PNG chart (written beside the JSON otherwise)")
    p.add_argument("--serving", action="store_true",
                   help="instead of the grid: the fixed cost per call of a packed handle, the functional call and "
                        "torch.nn.LSTM (T = 1, 10, 100; B = 1, 8) and the steps per second of LSTMStream.step and "
                        "torch.nn.LSTMCell, on one thread (I, H from the first --shapes; default 64, 64)")
    p.add_argument("--batch-s", type=float, default=0.05, metavar="SECONDS",
                   help="--serving: the length of one sample's batch of calls (default: %(default)s)")
    p.add_argument("--subnormal", action="store_true",
                   help="instead of the grid: each cell's forward on states held subnormal vs normal ones, "
                        "one thread (rnnkern/bench/subnormal.py)")
    return p


def _options(argv):
    args = parser().parse_args(argv)
    flat = lambda xs: [x for group in xs for x in group] if xs else None  # noqa: E731
    args.cells = list(dict.fromkeys(flat(args.cells) or DEFAULT_CELLS))
    args.modes = list(dict.fromkeys(flat(args.modes) or MODES))
    args.threads = list(dict.fromkeys(args.threads or [1, 2]))
    args.shapes_given = bool(args.shapes)
    args.shapes = list(dict.fromkeys(args.shapes or (QUICK_SHAPES if args.quick else DEFAULT_SHAPES)))
    if args.reps is None:
        args.reps = 3 if args.quick else 5
    if args.budget is None:
        args.budget = 1.0 if args.quick else 10.0
    if args.reps < 1 or min(args.threads) < 1:
        raise SystemExit("python -m rnnkern bench: --reps and --threads must be at least 1")
    return args


def _compiled_isas():
    import rnnkern
    return rnnkern.ISAS


def _isas(args):
    """-> (the ISA paths timed, narrowest first; the one the rnnkern column and the targets are about:
    the best this CPU has, or the one --isa names)."""
    import rnnkern

    available, best = rnnkern.available_isas(), rnnkern.isa_info()["best"]
    if args.isa == "all":
        return available, best
    if args.isa and args.isa not in available:
        raise SystemExit(f"python -m rnnkern bench: --isa {args.isa}: this CPU has only {', '.join(available)}")
    return [args.isa or best], args.isa or best


def _result(times, T, f):
    med = median(times)
    return {"median_s": med, "times_s": times, "us_per_step": med / T * 1e6, "gflops": f / med * 1e-9}


def _measure(lineup, cell, mode, shape, n, args, peak):
    """One row: every contender prepares it, then they take turns (timing.measure_row)."""
    T = shape[0]
    row = dict(cell=cell, mode=mode, T=T, B=shape[1], I=shape[2], H=shape[3], threads=n, dtype=args.dtype,
               flops=flops(cell, mode, *shape))
    task = dict(cell=cell, mode=mode, shape=shape, dtype=args.dtype, seed=args.seed, threads=n)
    turns, skipped = [], {}
    for name, w in lineup.turns(n):
        why = w.call("prepare", **task)
        if why:
            skipped[w.kind] = {"skipped": why}
        else:
            turns.append((name, w))
    kinds = {name: w.kind for name, w in turns}
    ref = next((name for name, k in kinds.items() if k == "reference"), None)
    ticks = machine.cpu_ticks()
    times, row["reps"], too_slow, row["settle_max_s"] = measure_row(turns, T, args.reps, args.budget,
                                                                   args.ref_max_s, ref)
    row["steal"] = machine.steal_fraction(ticks, machine.cpu_ticks())
    skipped.update({kinds[name]: v for name, v in too_slow.items()})
    row["isas"] = {}
    for name, ts in times.items():
        w = dict(turns)[name]
        if w.kind == RNNKERN:
            row["isas"][w.isa] = _result(ts, T, row["flops"])
        else:
            row[w.kind] = _result(ts, T, row["flops"])
    row["rnnkern"] = dict(row["isas"][lineup.main_isa], isa=lineup.main_isa)
    for kind in CONTENDERS[1:]:
        if kind not in row:
            row[kind] = skipped.get(kind) or {"skipped": "left out (--no-reference)" if kind == "reference"
                                              else lineup.torch_why or "torch absent"}
    rk = row["rnnkern"]["median_s"]
    for kind in CONTENDERS[1:]:
        row[f"x_{kind}"] = row[kind]["median_s"] / rk if "median_s" in row[kind] else None
    row["peak_fraction"] = row["rnnkern"]["gflops"] / peak if peak else None
    row["loadavg"] = machine.loadavg()
    return row


def _agreement(lineup, cell, shape, args):
    """Largest |y_rnnkern - y_torch| over the first steps: the two really run the same weights."""
    import numpy as np

    if lineup.torch is None:
        return None
    task = dict(cell=cell, shape=shape, dtype=args.dtype, seed=args.seed, steps=PROBE_STEPS)
    y_torch = lineup.torch.call("output", **task)
    if y_torch is None:
        return None
    return float(np.max(np.abs(lineup.main.call("output", **task) - y_torch)))


def _meta(lineup, args, argv, started):
    hello = lineup.hello[lineup.main]
    versions = dict(hello["versions"])
    if lineup.torch is not None:
        versions["torch"] = lineup.hello[lineup.torch]["versions"]["torch"]
    peaks = lineup.main.call("peak", threads=args.threads, dtype=args.dtype, how=args.peak)
    cpu = machine.cpu_facts()
    meta = {"versions": versions, "isa": hello["isa"], "cpu": cpu, "peak": {str(n): v for n, v in peaks.items()},
            "peak_estimate_1_thread": machine.peak_estimate(args.dtype),
            "peak_scaled": machine.probe_scaled(peaks, cpu["cores"]),
            "method": {"processes": "one per contender", "order": [name for name, _ in lineup.turns(args.threads[0])],
                       "settle_max_s": SETTLE_MAX_S, "seed": args.seed},
            "contenders": lineup.describe(), "torch_skipped": lineup.torch_why,
            "loadavg_start": machine.loadavg(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)), "argv": list(argv),
            "options": dict(vars(args))}
    return meta, {n: v["gflops"] for n, v in peaks.items()}


def main(argv=None):
    """`python -m rnnkern bench [options]` (argv: the options, without "bench"). Returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _options(argv)
    started = time.time()
    isas, main_isa = _isas(args)
    if args.serving:
        return _serving(args, main_isa)
    if args.subnormal:
        from . import subnormal
        return subnormal.run(args, main_isa)
    if args.torch_module:
        from . import dropin
        return dropin.run(args, argv, main_isa)
    lineup = Lineup(isas, main_isa, args.threads, torch=not args.no_torch, reference=not args.no_reference)
    try:
        return _run(lineup, args, argv, started)
    finally:
        lineup.close()


def _serving(args, isa):
    from . import serving

    args.serving_size = args.shapes[0][2:] if args.shapes_given else (64, 64)
    lineup = Lineup([isa], isa, [1], torch=not args.no_torch, reference=False)
    try:
        workers = {RNNKERN: lineup.rnnkern[isa][1]}
        if lineup.torch is not None:
            workers[TORCH] = lineup.torch
        else:
            print(f"torch: {lineup.torch_why}")
        return serving.main(args, workers)
    finally:
        lineup.close()


def _run(lineup, args, argv, started):
    meta, peaks = _meta(lineup, args, argv, started)
    isas = list(lineup.rnnkern)
    for line in report.header(meta, lineup.torch_why, args) + [""] + report.table_header(isas):
        print(line)
    rows, rk_time = [], {}
    ticks_start = machine.cpu_ticks()
    json_path = Path(args.json)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    complete = False
    try:
        for shape in args.shapes:
            for cell in args.cells:
                agree = _agreement(lineup, cell, shape, args)
                for mode in args.modes:
                    for n in args.threads:
                        row = _measure(lineup, cell, mode, shape, n, args, peaks[n])
                        row["max_abs_diff_vs_torch"] = agree
                        key = (cell, mode, shape)
                        rk_time[(key, n)] = row["rnnkern"]["median_s"]
                        row["scaling"] = (rk_time[(key, 1)] / row["rnnkern"]["median_s"]
                                          if n != 1 and (key, 1) in rk_time else None)
                        row["target"] = targets.evaluate_target(row, peaks[n], row["scaling"] if n == 2 else None)
                        rows.append(row)
                        print(report.row_line(row, isas), flush=True)
                        output.write_json(json_path, meta, rows, complete=False)
                if agree is not None and agree > (1e-3 if args.dtype == "float32" else 1e-9):
                    print(f"  warning: {cell} {fmt_shape(shape)}: rnnkern and torch outputs differ by up to "
                          f"{agree:.2e}", flush=True)
            if len(args.shapes) > 1:
                print()
        complete = True
    except KeyboardInterrupt:
        print("\ninterrupted: writing the rows measured so far")
    finally:
        meta["duration_s"] = time.time() - started
        meta["loadavg_end"] = machine.loadavg()
        meta["steal"] = machine.steal_fraction(ticks_start, machine.cpu_ticks())
        output.write_json(json_path, meta, rows, complete)

    if complete and next(iter(meta["peak"].values()))["source"] == "measured":
        # the peak again: a probe that shared the cores at the start makes %peak too high
        end = lineup.main.call("peak", threads=args.threads, dtype=args.dtype, how=args.peak)
        meta["peak_end"] = {str(n): v for n, v in end.items()}
        output.write_json(json_path, meta, rows, complete)
        print("FMA peak at the end: " + ", ".join(f"{n} thr {p['gflops']:.1f}" for n, p in end.items())
              + " GFLOP/s (%peak and the targets above use the start's: "
              + ", ".join(f"{n} thr {p:.1f}" for n, p in peaks.items()) + ")")
    over = sum((r.get("peak_fraction") or 0) > 1 for r in rows)
    if over:
        print(f"{over} row{'s' if over > 1 else ''} above 100% of the FMA peak: the probe ran while other "
              "processes held the cores, so its peak is too low")
    line = report.steal_line(meta["steal"], rows)
    if line:
        print(line)
    met = sum(r["target"]["met"] is True for r in rows)
    missed = sum(r["target"]["met"] is False for r in rows)
    print(f"targets: {met} met, {missed} missed, {len(rows) - met - missed} unknown, of {len(rows)} rows")
    for line in report.notes(args, meta):
        print(line)
    print(f"wrote {json_path}")
    if rows and not args.no_plot:
        png = json_path.with_suffix(".png")
        if output.plot(rows, png, peaks):
            print(f"wrote {png}")
        else:
            print("no chart: matplotlib is not installed (pip install matplotlib)")
    minutes, seconds = divmod(meta["duration_s"], 60)
    print(f"total time {int(minutes)} min {seconds:.0f} s")
    return 0 if complete else 130


if __name__ == "__main__":
    sys.exit(main())
