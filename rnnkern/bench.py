"""`python -m rnnkern bench`: rnnkern against torch.nn.LSTM/GRU/RNN and rnnkern.reference.

For every cell x mode x shape x thread count it times rnnkern, torch (when importable) and the NumPy
reference in the same process, interleaving their repetitions (A, B, C, A, B, C, ...) so that drift in
the machine's speed hits all of them alike, and reports medians, microseconds per step, GFLOP/s, the
fraction of the machine's FMA peak, the ratios, and whether the row meets its target (TARGETS below).
It prints a fixed-width table and writes JSON (and a PNG chart when matplotlib is installed).

FLOPs count the matrix products only: forward 2*T*B*G*H*(I+H) with G = 4 (LSTM), 3 (GRU), 1 (RNN);
a training step (forward with training=True, then backward) counts 3x forward.

The measuring process must start with a clean environment: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset
(they can put numpy's OpenBLAS, which the reference runs on, on slower kernels) and OMP_WAIT_POLICY=PASSIVE
(rnnkern and torch both run OpenMP; where they load two runtimes, active waiting makes each spin on the
cores the other needs). Both are read when the libraries load, before any code of this module runs, so
`main` runs the benchmark in a child process with that environment unless its own environment already is so.
"""
import argparse
import gc
import json
import math
import os
import platform
import subprocess
import sys
import textwrap
import time
from pathlib import Path

CELLS = ("lstm", "gru", "rnn-tanh", "rnn-relu", "rnn-logistic")
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
MODES = ("inference", "training")
DEFAULT_CELLS = ("lstm", "gru", "rnn-tanh")
DEFAULT_SHAPES = ((100, 1, 64, 64), (100, 1, 128, 128), (100, 1, 256, 256), (100, 8, 256, 256),
                  (100, 32, 512, 512), (100, 64, 1024, 1024), (50, 128, 512, 512), (1000, 1, 32, 32))
QUICK_SHAPES = ((100, 1, 64, 64), (100, 1, 256, 256), (100, 8, 256, 256))
CONTENDERS = ("rnnkern", "torch", "reference")

# Targets, float32. The ratio is torch's time over rnnkern's; where reaching it would take more than
# PEAK_FRACTION of the FMA peak, PEAK_FRACTION of the peak is the target instead. Never slower than torch.
TARGET_RATIO = {("lstm", "inference"): 1.5, ("lstm", "training"): 2.0}
TARGET_RATIO_DEFAULT = 3.0  # GRU and RNN, both modes
PEAK_FRACTION = 0.85
SCALING = 1.85              # 2 threads over 1 ...
SCALING_MIN_BH = 8192       # ... on shapes with B*H at least this
LATENCY_US = 3.0            # LSTM, B = 1, H = 256, 2 threads, inference: microseconds per step at most

_CHILD = "RNNKERN_BENCH_CHILD"        # set in the child's environment; its value lists what was unset
_BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_PROBE_STEPS = 10


# ---- the process environment ---------------------------------------------------------------------

def needs_clean_process(env):
    """Whether a process started with `env` must run the benchmark in a child process instead."""
    if _CHILD in env:
        return False
    return any(k in env for k in _BLAS_ENV) or env.get("OMP_WAIT_POLICY", "").upper() != "PASSIVE"


def clean_env(env):
    """`env` for the benchmark's process: OpenBLAS overrides unset, OMP_WAIT_POLICY=PASSIVE, and
    OpenBLAS's threads sleeping right after each call (they spin for ~0.1 s by default, which
    steals the cores from the contender timed next)."""
    env = dict(env)
    removed = [f"{k}={env.pop(k)}" for k in _BLAS_ENV if k in env]
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    env["OPENBLAS_THREAD_TIMEOUT"] = "4"
    env[_CHILD] = ";".join(removed) or "-"
    return env


def _spawn(argv):
    import rnnkern

    env = clean_env(os.environ)
    # the child imports the same rnnkern as this process, wherever that came from
    root = str(Path(rnnkern.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    return subprocess.run([sys.executable, "-m", "rnnkern.bench", *argv], env=env).returncode


# ---- arguments -----------------------------------------------------------------------------------

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
        description="Time rnnkern's cells against torch.nn.LSTM/GRU/RNN and rnnkern.reference, "
                    "interleaved in one process, and check each row against its target.")
    p.add_argument("--cells", nargs="+", type=_names(CELLS, {"rnn": "rnn-tanh"}),
                   help=f"cells (default: {' '.join(DEFAULT_CELLS)}; also {', '.join(CELLS[3:])})")
    p.add_argument("--modes", nargs="+", type=_names(MODES, {"infer": "inference", "train": "training"}),
                   help="inference (forward, training=False) and/or training (forward + backward)")
    p.add_argument("--threads", nargs="+", type=int, help="thread counts (default: 1 2)")
    p.add_argument("--shapes", nargs="+", type=_shape, metavar="T,B,I,H",
                   help="shapes (default: the grid in rnnkern.bench.DEFAULT_SHAPES)")
    p.add_argument("--quick", action="store_true",
                   help=f"a small grid that runs in under a minute: {' '.join(map(_fmt_shape, QUICK_SHAPES))},"
                        " 3 repetitions, --budget 1")
    p.add_argument("--reps", type=int, help="interleaved repetitions per row (default: 5; --quick 3)")
    p.add_argument("--budget", type=float, metavar="SECONDS",
                   help="time allowed per row: fewer repetitions (never under 1) where --reps would take "
                        "longer; 0 = always --reps (default: 10; --quick 1)")
    p.add_argument("--ref-max-s", type=float, default=2.0, metavar="SECONDS",
                   help="skip the reference where one call would take longer (estimated; default: 2)")
    p.add_argument("--no-torch", action="store_true", help="leave torch out")
    p.add_argument("--no-reference", action="store_true", help="leave rnnkern.reference out")
    p.add_argument("--peak", choices=("probe", "estimate"), default="probe",
                   help="FMA peak: measured by rnnkern's probe (estimated where it has none), or estimated "
                        "from the clock without probing (default: %(default)s)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default="rnnkern-bench.json", metavar="PATH", help="results (default: %(default)s)")
    p.add_argument("--no-plot", action="store_true", help="no PNG chart (written beside the JSON otherwise)")
    return p


def _options(argv):
    args = parser().parse_args(argv)
    flat = lambda xs: [x for group in xs for x in group] if xs else None  # noqa: E731
    args.cells = list(dict.fromkeys(flat(args.cells) or DEFAULT_CELLS))
    args.modes = list(dict.fromkeys(flat(args.modes) or MODES))
    args.threads = list(dict.fromkeys(args.threads or [1, 2]))
    args.shapes = list(dict.fromkeys(args.shapes or (QUICK_SHAPES if args.quick else DEFAULT_SHAPES)))
    if args.reps is None:
        args.reps = 3 if args.quick else 5
    if args.budget is None:
        args.budget = 1.0 if args.quick else 10.0
    if args.reps < 1 or min(args.threads) < 1:
        raise SystemExit("python -m rnnkern bench: --reps and --threads must be at least 1")
    return args


# ---- FLOPs and targets ---------------------------------------------------------------------------

def _kind(cell):
    kind, _, act = cell.partition("-")
    return kind, act or "tanh"


def flops(cell, mode, T, B, I, H):
    """Matrix-product FLOPs of one call: forward 2*T*B*G*H*(I+H); training = forward + backward = 3x."""
    forward = 2 * T * B * GATES[_kind(cell)[0]] * H * (I + H)
    return forward * (3 if mode == "training" else 1)


def target_ratio(cell, mode):
    return TARGET_RATIO.get((_kind(cell)[0], mode), TARGET_RATIO_DEFAULT)


def evaluate_target(row, peak_gflops, scaling=None):
    """Checks of one row -> {"met": True | False | None (unknown), "text", "checks": [...]}.

    row: dict with cell, mode, B, I, H, threads, flops and rnnkern / torch results ({"median_s"} or
    {"skipped"}); peak_gflops: the FMA peak at row["threads"] (None if unknown); scaling: rnnkern's
    1-thread time over this row's time when this is a 2-thread row whose 1-thread row was measured.
    """
    checks = []

    def check(name, met, goal, got, why=""):
        checks.append({"name": name, "met": met, "goal": goal, "got": got, "why": why})

    rk_gf = row["rnnkern"]["gflops"]
    torch = row["torch"]
    ratio = target_ratio(row["cell"], row["mode"])
    if "median_s" not in torch:
        check("ratio", None, f">= {ratio}x torch", None, "no torch")
    else:
        speedup = torch["median_s"] / row["rnnkern"]["median_s"]
        need = ratio * torch["gflops"]
        if peak_gflops and need > PEAK_FRACTION * peak_gflops:
            frac = rk_gf / peak_gflops
            check("peak", frac >= PEAK_FRACTION, f">= {PEAK_FRACTION:.0%} peak", frac,
                  f"{frac:.0%} peak < {PEAK_FRACTION:.0%} ({ratio:g}x torch needs {need / peak_gflops:.0%})")
            check("not slower", speedup >= 1.0, ">= 1x torch", speedup, f"{speedup:.2f}x torch < 1x")
        else:
            check("ratio", speedup >= ratio, f">= {ratio:g}x torch", speedup,
                  f"{speedup:.2f}x torch < {ratio:g}x")
    if row["threads"] == 2 and row["B"] * row["H"] >= SCALING_MIN_BH:
        if scaling is None:
            check("scaling", None, f">= {SCALING}x 1 thread", None, "no 1-thread row")
        else:
            check("scaling", scaling >= SCALING, f">= {SCALING}x 1 thread", scaling,
                  f"2T/1T {scaling:.2f}x < {SCALING}x")
    if (_kind(row["cell"])[0], row["mode"], row["B"], row["H"], row["threads"]) == ("lstm", "inference", 1, 256, 2):
        us = row["rnnkern"]["us_per_step"]
        why = f"{us:.1f} us/step > {LATENCY_US:g}"
        if peak_gflops:
            floor = row["flops"] / row["T"] / peak_gflops * 1e-3
            if floor > LATENCY_US:
                why += f" (>= {floor:.1f} even at 100% peak here)"
        check("latency", us <= LATENCY_US, f"<= {LATENCY_US:g} us/step", us, why)

    failed = [c for c in checks if c["met"] is False]
    if failed:
        met, text = False, "MISSED: " + "; ".join(c["why"] for c in failed)
    elif any(c["met"] is None for c in checks):
        met, text = None, "unknown: " + "; ".join(c["why"] for c in checks if c["met"] is None)
    else:
        met, text = True, "met"
    return {"met": met, "text": text, "checks": checks}


# ---- problems and contenders ---------------------------------------------------------------------

def make_problem(cell, T, B, I, H, dtype="float32", seed=0):
    """Random inputs of one cell and shape: x, w_ih, w_hh, b_ih, b_hh and the backward's dy."""
    import numpy as np

    rng = np.random.default_rng(seed)
    G, s = GATES[_kind(cell)[0]] * H, 1 / math.sqrt(H)
    p = dict(x=rng.standard_normal((T, B, I)), w_ih=rng.uniform(-s, s, (G, I)), w_hh=rng.uniform(-s, s, (G, H)),
             b_ih=rng.uniform(-s, s, G), b_hh=rng.uniform(-s, s, G), dy=rng.standard_normal((T, B, H)))
    return {k: v.astype(dtype) for k, v in p.items()}


def numpy_call(module, cell, mode, p, steps=None):
    """(setup, run) of one call of rnnkern's functional API, or of `module` with the same API
    (rnnkern.reference), over the first `steps` steps of problem `p`."""
    kind, act = _kind(cell)
    fwd, bwd = getattr(module, f"{kind}_forward"), getattr(module, f"{kind}_backward")
    kw = {"activation": act} if kind == "rnn" else {}
    x, dy = p["x"][:steps], p["dy"][:steps]
    args = (x, p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    if mode == "inference":
        def run():
            return fwd(*args, training=False, **kw)[0]
    else:
        def run():
            bwd(fwd(*args, training=True, **kw)[-1], dy)
    return (lambda: None), run


def torch_module(torch, cell, p):
    """torch.nn.LSTM / GRU / RNN holding problem `p`'s weights, in its dtype; None for a cell that torch
    lacks (rnn-logistic)."""
    kind, act = _kind(cell)
    G, I = p["w_ih"].shape
    H = G // GATES[kind]
    dtype = {"float32": torch.float32, "float64": torch.float64}[str(p["x"].dtype)]
    if kind == "lstm":
        m = torch.nn.LSTM(I, H)
    elif kind == "gru":
        m = torch.nn.GRU(I, H)
    elif act in ("tanh", "relu"):
        m = torch.nn.RNN(I, H, nonlinearity=act)
    else:
        return None
    m = m.to(dtype)
    with torch.no_grad():
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            kind_, part = name.split("_")
            attr = ("weight_" if kind_ == "w" else "bias_") + part + "_l0"
            getattr(m, attr).copy_(torch.from_numpy(p[name]))
    return m


def torch_call(torch, module, mode, p, steps=None):
    """(setup, run) of one torch call over the first `steps` steps: no_grad forward for inference;
    forward and backward of sum(y * dy), with gradients for the input and every parameter, for training."""
    x, dy = torch.from_numpy(p["x"][:steps]), torch.from_numpy(p["dy"][:steps])
    if mode == "inference":
        def run():
            with torch.no_grad():
                return module(x)[0]
        return (lambda: None), run
    x = x.clone().requires_grad_(True)

    def setup():
        module.zero_grad(set_to_none=True)
        x.grad = None

    def run():
        (module(x)[0] * dy).sum().backward()
    return setup, run


def _interleaved(calls, reps):
    """calls {name: (setup, run)} -> {name: [seconds] * reps}, repetitions interleaved A, B, C, A, B, C."""
    times = {name: [] for name in calls}
    gc.disable()
    try:
        for _ in range(reps):
            for name, (setup, run) in calls.items():
                setup()
                t0 = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - t0)
    finally:
        gc.enable()
    return times


def _median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


# ---- the run -------------------------------------------------------------------------------------

class ContenderThreads:
    """Sets one thread count on every contender: rnnkern, torch, and numpy's BLAS (the reference's);
    restore() puts back what was there before."""

    def __init__(self, torch):
        import rnnkern

        self.torch = torch
        self.before = (rnnkern.get_num_threads(), torch.get_num_threads() if torch is not None else None)
        try:
            from threadpoolctl import ThreadpoolController
            self.blas = ThreadpoolController().select(user_api="blas")
        except ImportError:
            self.blas = None
        self.limiter = None

    def set(self, n):
        import rnnkern

        rnnkern.set_num_threads(n)
        if self.torch is not None:
            self.torch.set_num_threads(n)
        if self.blas is not None:
            self.restore_blas()
            self.limiter = self.blas.limit(limits=n)

    def restore_blas(self):
        if self.limiter is not None:
            self.limiter.restore_original_limits()
            self.limiter = None

    def restore(self):
        import rnnkern

        rnnkern.set_num_threads(self.before[0])
        if self.torch is not None:
            self.torch.set_num_threads(self.before[1])
        self.restore_blas()


def _import_torch(wanted):
    if not wanted:
        return None, "left out (--no-torch)"
    try:
        import torch
    except ImportError as e:
        return None, f"not importable ({e}); pip install torch==2.13.0"
    return torch, None


def _probe_peaks(threads, dtype, how="probe"):
    import rnnkern
    from rnnkern import _ext, _peak

    best = rnnkern.isa_info()["best"]
    return {n: _peak.fma_peak(best, dtype, n, ext=_ext if how == "probe" else None) for n in threads}


def _machine(torch, threads, dtype, how):
    import numpy as np
    import rnnkern
    from rnnkern import _peak

    facts = _peak.cpu_facts()
    isa = rnnkern.isa_info()
    peaks = _probe_peaks(threads, dtype, how)
    estimate = _peak.fma_peak(isa["best"], dtype, 1, facts=facts)
    try:
        from threadpoolctl import threadpool_info
        pools = threadpool_info()
    except ImportError:
        pools = None
    removed = os.environ.get(_CHILD, "-")
    meta = {
        "versions": {"rnnkern": rnnkern.__version__, "numpy": np.__version__, "python": platform.python_version(),
                     "torch": torch.__version__ if torch is not None else None},
        "isa": isa, "cpu": facts, "peak": {str(n): v for n, v in peaks.items()}, "peak_estimate_1_thread": estimate,
        "env": {"OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
                "unset": [] if removed in ("-", "") else removed.split(";"),
                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")},
        "threadpools": pools,
        "torch_parallel_info": torch.__config__.parallel_info() if torch is not None else None,
        "loadavg_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    return meta, {n: v["gflops"] for n, v in peaks.items()}


def _header(meta, torch_why, args):
    v, isa, cpu = meta["versions"], meta["isa"], meta["cpu"]
    lines = [f"rnnkern bench   rnnkern {v['rnnkern']} (ISA {isa['active']}), numpy {v['numpy']}, "
             f"torch {v['torch'] or '-'}, python {v['python']}, {args.dtype}",
             f"CPU             {cpu['model_name']} ({cpu['vendor']}, family {cpu['family']} model {cpu['model']}), "
             f"{cpu['cores']} cores available"]
    peaks = meta["peak"]
    first = next(iter(peaks.values()))
    lines.append(f"FMA peak        {first['source'].upper()}: "
                 + ", ".join(f"{n} thr {p['gflops']:.1f}" if p["gflops"] else f"{n} thr ?" for n, p in peaks.items())
                 + " GFLOP/s")
    detail = first["detail"]
    est = meta["peak_estimate_1_thread"]
    if first["source"] == "measured" and est["gflops"]:
        detail += f"; for comparison, estimated from the clock: {est['gflops']:.1f} per core"
        gf = {int(n): p["gflops"] for n, p in peaks.items()}
        if 1 in gf and any(n > 1 and g < 0.9 * min(n, meta["cpu"]["cores"] or n) * gf[1] for n, g in gf.items()):
            detail += ("; THE PROBE DID NOT SCALE WITH THREADS: other processes hold cores, and %peak is "
                       "relative to what this process got")
    lines += textwrap.wrap(detail, 118, initial_indent=" " * 16, subsequent_indent=" " * 16)
    pools = meta["threadpools"]
    if pools is not None:
        blas = [f"{p['internal_api']} {p['version']} ({p.get('architecture') or '?'} kernels)"
                for p in pools if p["user_api"] == "blas"]
        omp = [p["filepath"] for p in pools if p["user_api"] == "openmp"]
        if len(omp) == 1 and meta["versions"]["torch"]:
            omp = [f"{omp[0]} (one runtime, shared by rnnkern and torch)"]
        lines.append(f"numpy BLAS      {', '.join(blas) or '?'}; "
                     + ("unset here: " + ", ".join(meta["env"]["unset"]) if meta["env"]["unset"]
                        else "OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE not set"))
        lines.append(f"OpenMP          {'; '.join(omp) or '?'}")
        lines.append(f"                OMP_WAIT_POLICY={meta['env']['OMP_WAIT_POLICY']} in this process: idle OpenMP "
                     "threads sleep instead of spinning on cores others need")
    else:
        lines.append("numpy BLAS      ? (threadpoolctl not installed)")
    if torch_why:
        lines.append(f"torch           {torch_why}: its column is skipped")
    elif meta["torch_parallel_info"]:
        libs = [ln.strip() for ln in meta["torch_parallel_info"].splitlines()
                if "Math Kernel" in ln or "MKL-DNN" in ln or "oneDNN" in ln]
        lines.append(f"torch           {v['torch']}: "
                     + "; ".join(s.split(" for ")[0].split(" (Git")[0] for s in libs))
    load = meta["loadavg_start"]
    if load is not None:
        busy = load > 0.5
        lines.append(f"load            1-minute load average {load:.2f} at start"
                     + (" -- other processes share the cores: timings are noisy" if busy else ""))
    return lines


_COLUMNS = (("cell", 12, "<"), ("mode", 5, "<"), ("T", 5, ">"), ("B", 4, ">"), ("I", 5, ">"), ("H", 5, ">"),
            ("thr", 3, ">"), ("n", 2, ">"), ("ms", 10, ">"), ("us/step", 9, ">"), ("GFLOP/s", 8, ">"),
            ("%peak", 6, ">"), ("torch ms", 10, ">"), ("x torch", 8, ">"), ("ref ms", 9, ">"),
            ("x ref", 7, ">"), ("2T/1T", 6, ">"), ("target", 0, "<"))


def _table_line(values):
    return " ".join(f"{v:{align}{width}}" if width else str(v)
                    for v, (_, width, align) in zip(values, _COLUMNS)).rstrip()


def _table_header():
    top = _table_line([c[0] for c in _COLUMNS])
    return [_table_line(["", "", "", "", "", "", "", "", "rnnkern", "rnnkern", "rnnkern", "rnnkern", "", "speedup",
                         "", "speedup", "speedup", ""]), top, "-" * max(len(top), 150)]


def _fmt_ms(res):
    if "median_s" in res:
        return f"{res['median_s'] * 1e3:.3f}"
    return "skip" if res.get("too_slow") else "-"


def _row_line(row):
    rk = row["rnnkern"]
    speed = lambda k: f"{row[k]:.2f}x" if row.get(k) is not None else "-"  # noqa: E731
    frac = row.get("peak_fraction")
    return _table_line([row["cell"], row["mode"][:5], row["T"], row["B"], row["I"], row["H"], row["threads"],
                        row["reps"], f"{rk['median_s'] * 1e3:.3f}", f"{rk['us_per_step']:.2f}",
                        f"{rk['gflops']:.2f}", f"{frac:.1%}" if frac is not None else "?",
                        _fmt_ms(row["torch"]), speed("x_torch"), _fmt_ms(row["reference"]), speed("x_reference"),
                        speed("scaling"), row["target"]["text"]])


def _fmt_shape(s):
    return ",".join(map(str, s))


def _measure_row(cell, mode, shape, n, p, module, torch, args, peak):
    """One row: probe each contender on the first few steps, pick repetitions, measure interleaved."""
    import rnnkern
    from rnnkern import reference

    T = shape[0]
    row = dict(cell=cell, mode=mode, T=shape[0], B=shape[1], I=shape[2], H=shape[3], threads=n,
               flops=flops(cell, mode, *shape))
    skipped = {}

    def builders(steps):
        out = {"rnnkern": numpy_call(rnnkern, cell, mode, p, steps)}
        if "torch" not in skipped:
            out["torch"] = torch_call(torch, module, mode, p, steps)
        if "reference" not in skipped:
            out["reference"] = numpy_call(reference, cell, mode, p, steps)
        return out

    if torch is None or module is None:
        skipped["torch"] = {"skipped": "torch absent" if torch is None else f"torch has no {cell}"}
    if args.no_reference:
        skipped["reference"] = {"skipped": "left out (--no-reference)"}

    # a 2-step call warms every contender (one-time set-up, thread pools); a 10-step one estimates a
    # full call, to skip a slow reference and fit the repetitions into the budget
    _interleaved(builders(min(T, 2)), 1)
    steps = min(T, _PROBE_STEPS)
    est = {name: ts[0] * T / steps for name, ts in _interleaved(builders(steps), 1).items()}
    if "reference" in est and est["reference"] > args.ref_max_s:
        # a second look before skipping: one probe may have shared the cores with another process
        _, ref_probe = numpy_call(reference, cell, mode, p, steps)
        t0 = time.perf_counter()
        ref_probe()
        est["reference"] = min(est["reference"], (time.perf_counter() - t0) * T / steps)
    if "reference" in est and est["reference"] > args.ref_max_s:
        skipped["reference"] = {"skipped": f"estimated {est.pop('reference'):.1f} s per call > "
                                           f"--ref-max-s {args.ref_max_s:g}", "too_slow": True}
    total = sum(v for k, v in est.items() if k not in skipped)
    reps = args.reps if args.budget <= 0 else max(1, min(args.reps, int(args.budget // max(total, 1e-9))))
    calls = builders(None)
    if args.budget <= 0 or total * (reps + 1) <= args.budget:
        _interleaved(calls, 1)  # a full-length warm-up where it is cheap
    times = _interleaved(calls, reps)

    row["reps"] = reps
    for name in CONTENDERS:
        if name in skipped:
            row[name] = skipped[name]
            continue
        med = _median(times[name])
        row[name] = {"median_s": med, "times_s": times[name], "us_per_step": med / T * 1e6,
                     "gflops": row["flops"] / med * 1e-9}
    rk = row["rnnkern"]["median_s"]
    for name in ("torch", "reference"):
        row[f"x_{name}"] = row[name]["median_s"] / rk if "median_s" in row[name] else None
    row["peak_fraction"] = row["rnnkern"]["gflops"] / peak if peak else None
    row["loadavg"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return row


def _agreement(cell, p, module, torch):
    """Largest |y_rnnkern - y_torch| over the first steps: the two really run the same weights."""
    import numpy as np
    import rnnkern

    if torch is None or module is None:
        return None
    _, run = numpy_call(rnnkern, cell, "inference", p, _PROBE_STEPS)
    _, trun = torch_call(torch, module, "inference", p, _PROBE_STEPS)
    return float(np.max(np.abs(run() - trun().numpy())))


def _write_json(path, meta, rows, complete):
    doc = {"meta": dict(meta, complete=complete), "rows": rows}
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps(doc, indent=1, default=str))
    tmp.replace(path)


def plot(rows, path, peaks):
    """A PNG: one panel per cell and mode; rnnkern's speedup over torch per shape and thread count, with
    the target ratio (or GFLOP/s and the peak when torch was not measured). False without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels = list(dict.fromkeys((r["cell"], r["mode"]) for r in rows))
    threads = sorted({r["threads"] for r in rows})
    fig, axes = plt.subplots(len(panels), 1, figsize=(12, 2.8 * len(panels)), squeeze=False)
    width = 0.8 / len(threads)
    for ax, (cell, mode) in zip(axes[:, 0], panels):
        sel = [r for r in rows if (r["cell"], r["mode"]) == (cell, mode)]
        shapes = list(dict.fromkeys((r["T"], r["B"], r["I"], r["H"]) for r in sel))
        use_torch = all(r.get("x_torch") for r in sel)
        for j, n in enumerate(threads):
            ys = []
            for s in shapes:
                r = next((r for r in sel if (r["T"], r["B"], r["I"], r["H"]) == s and r["threads"] == n), None)
                ys.append((r["x_torch"] if use_torch else r["rnnkern"]["gflops"]) if r else 0)
            ax.bar([i + (j - (len(threads) - 1) / 2) * width for i in range(len(shapes))], ys, width,
                   label=f"{n} thread{'s' if n > 1 else ''}")
        if use_torch:
            ax.axhline(target_ratio(cell, mode), color="green", ls="--", lw=1, label="target ratio")
            ax.axhline(1.0, color="black", lw=0.8)
            ax.set_yscale("log")
            ax.set_ylabel("x torch")
        else:
            for n in threads:
                if peaks.get(n):
                    ax.axhline(peaks[n], ls=":", lw=1, color="grey")
            ax.set_ylabel("GFLOP/s")
        ax.set_title(f"{cell} {mode}", fontsize=10)
        ax.set_xticks(range(len(shapes)))
        ax.set_xticklabels([f"T{t} B{b}\nI{i} H{h}" for t, b, i, h in shapes], fontsize=8)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def run(argv=None):
    """The benchmark in this process, as it is (see main). Returns the exit status."""
    args = _options(argv)
    started = time.time()
    torch, torch_why = _import_torch(not args.no_torch)

    gc.collect()
    gc.freeze()  # torch's many objects would make every later collection slow
    threads = ContenderThreads(torch)
    meta, peaks = _machine(torch, args.threads, args.dtype, args.peak)
    meta.update(started=time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
                argv=list(sys.argv[1:] if argv is None else argv), torch_skipped=torch_why,
                options={k: v for k, v in vars(args).items()})
    for line in _header(meta, torch_why, args):
        print(line)
    print()
    for line in _table_header():
        print(line)

    rows, rk_time = [], {}
    json_path = Path(args.json)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    complete = False
    try:
        for shape in args.shapes:
            for cell in args.cells:
                p = make_problem(cell, *shape, dtype=args.dtype, seed=args.seed)
                module = torch_module(torch, cell, p) if torch is not None else None
                agree = _agreement(cell, p, module, torch)
                for mode in args.modes:
                    for n in args.threads:
                        threads.set(n)
                        gc.collect()
                        row = _measure_row(cell, mode, shape, n, p, module, torch, args, peaks[n])
                        row["max_abs_diff_vs_torch"] = agree
                        key = (cell, mode, shape)
                        rk_time[(key, n)] = row["rnnkern"]["median_s"]
                        row["scaling"] = (rk_time[(key, 1)] / row["rnnkern"]["median_s"]
                                          if n != 1 and (key, 1) in rk_time else None)
                        row["target"] = evaluate_target(row, peaks[n], row["scaling"] if n == 2 else None)
                        rows.append(row)
                        print(_row_line(row), flush=True)
                        _write_json(json_path, meta, rows, complete=False)
                if agree is not None and agree > (1e-3 if args.dtype == "float32" else 1e-9):
                    print(f"  warning: {cell} {_fmt_shape(shape)}: rnnkern and torch outputs differ by up to "
                          f"{agree:.2e}", flush=True)
            if len(args.shapes) > 1:
                print()
        complete = True
    except KeyboardInterrupt:
        print("\ninterrupted: writing the rows measured so far")
    finally:
        threads.restore()
        gc.unfreeze()
        meta["duration_s"] = time.time() - started
        meta["loadavg_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        _write_json(json_path, meta, rows, complete)

    if next(iter(meta["peak"].values()))["source"] == "measured":
        # the peak again: a probe that shared the cores at the start makes %peak too high
        end = _probe_peaks(args.threads, args.dtype)
        meta["peak_end"] = {str(n): v for n, v in end.items()}
        _write_json(json_path, meta, rows, complete)
        print("FMA peak at the end: " + ", ".join(f"{n} thr {p['gflops']:.1f}" for n, p in end.items())
              + " GFLOP/s (%peak and the targets above use the start's: "
              + ", ".join(f"{n} thr {p:.1f}" for n, p in peaks.items()) + ")")
    over = sum((r.get("peak_fraction") or 0) > 1 for r in rows)
    if over:
        print(f"{over} row{'s' if over > 1 else ''} above 100% of the FMA peak: the probe ran while other "
              "processes held the cores, so its peak is too low")
    met = sum(r["target"]["met"] is True for r in rows)
    missed = sum(r["target"]["met"] is False for r in rows)
    print(f"targets: {met} met, {missed} missed, {len(rows) - met - missed} unknown, of {len(rows)} rows")
    print("notes: ms = median of n interleaved repetitions (rnnkern, torch, reference, rnnkern, ...); "
          "x torch / x ref = their time over rnnkern's (> 1: rnnkern faster);")
    print("       FLOPs = matrix products only: forward 2*T*B*G*H*(I+H), G = 4 LSTM, 3 GRU, 1 RNN; training "
          "(forward + backward) = 3x forward; %peak = rnnkern GFLOP/s over the FMA peak at that thread count;")
    print(f"       ref skip = estimated over --ref-max-s {args.ref_max_s:g} s per call; n < --reps where the "
          f"row would exceed --budget {args.budget:g} s; 2T/1T = rnnkern 1-thread time over 2-thread time.")
    print(f"       targets (float32): x torch >= 1.5 LSTM inference, 2 LSTM training, 3 GRU/RNN, or >= "
          f"{PEAK_FRACTION:.0%} peak where that ratio would need more, never slower than torch;")
    print(f"       2T/1T >= {SCALING} where B*H >= {SCALING_MIN_BH}; LSTM B=1 H=256 inference on 2 threads "
          f"<= {LATENCY_US:g} us/step.")
    print(f"wrote {json_path}")
    if rows and not args.no_plot:
        png = json_path.with_suffix(".png")
        if plot(rows, png, peaks):
            print(f"wrote {png}")
        else:
            print("no chart: matplotlib is not installed (pip install matplotlib)")
    minutes, seconds = divmod(meta["duration_s"], 60)
    print(f"total time {int(minutes)} min {seconds:.0f} s")
    return 0 if complete else 130


def main(argv=None):
    """`python -m rnnkern bench [options]` (argv: the options, without "bench"). Runs the benchmark in a
    child process with a clean environment (module docstring) unless this process already has one."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if needs_clean_process(os.environ):
        if "-h" in argv or "--help" in argv:
            parser().parse_args(argv)
        return _spawn(argv)
    return run(argv)


if __name__ == "__main__":
    sys.exit(main())
