"""rnnkern.gemm against numpy.matmul (OpenBLAS) and torch.matmul, in one run:

    python benchmarks/bench_gemm.py [--quick] [--json PATH] [--threads 1 2] [--reps N] [--no-torch]
                                    [--match REGEX]

Products: square 512 / 1024 / 2048 (NN); the recurrence h @ W_hh^T, M = B in {1, 4, 16, 64} rows,
W_hh (4H, H) with trans_b, for H in {256, 512, 1024}; the input projection x @ W_ih^T with M = T*B in
{1600, 6400}, K = I = H, N = 4H for H in {256, 512}. float32 everywhere, float64 for a few. Each product
runs at every thread count (rnnkern.set_num_threads, threadpoolctl for numpy's OpenBLAS,
torch.set_num_threads).

Every contender writes into a preallocated out (no allocation is timed). Repetitions are interleaved
(rnnkern, numpy, torch, rnnkern, ...), each one untimed call, then a timed batch of calls long enough for
the clock (>= ~2 ms). The table shows the median time of one call, GFLOP/s (2 M N K / time) and the
fraction of the FMA peak that rnnkern._ext.fma_peak_gflops measures in this run for the active ISA, dtype
and thread count (the higher of its measurements before and after the products). M = 1 products stream
B once per call and are bound by bandwidth, not FMAs: a second table gives the bytes of B per second
against one-thread NumPy read probes (np.add.reduce and np.dot(x, x) over a buffer as large as B, best of
several runs).

OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE can put numpy's OpenBLAS on slower kernels, and two OpenMP runtimes
(rnnkern's and torch's) spin on each other's cores unless OMP_WAIT_POLICY=PASSIVE; all three are read
when the libraries load, so the script re-executes itself in a child process with the first two unset
and the third set, and does all its measuring there.
"""
import os
import subprocess
import sys

_CHILD = "RNNKERN_BENCH_GEMM_CHILD"  # set in the child; its value lists what was unset ("-": nothing)


def _reexec():
    """Runs this script again in a clean child process; returns its exit status."""
    from rnnkern.bench import clean_env  # the same clean environment as the cell suite's

    env = clean_env(os.environ)
    env[_CHILD] = env["RNNKERN_BENCH_CHILD"]
    return subprocess.run([sys.executable, os.path.abspath(__file__), *sys.argv[1:]], env=env).returncode


if __name__ == "__main__" and _CHILD not in os.environ:
    sys.exit(_reexec())  # before numpy, rnnkern or torch is imported: they read the environment at load

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import rnnkern  # noqa: E402
from rnnkern import _ext  # noqa: E402
from rnnkern.bench import ContenderThreads, _import_torch  # noqa: E402

CONTENDERS = ("rnnkern", "numpy", "torch")
SAMPLE_S = 2e-3  # one timed sample: a batch of calls at least this long


# ---- products ------------------------------------------------------------------------------------

def _product(label, m, n, k, trans_b, dtype):
    return {"label": label, "M": m, "N": n, "K": k, "trans_b": trans_b, "dtype": dtype}


def products(quick):
    """The grid: (label, M, N, K, trans_b, dtype) dicts, float32 first."""
    f32, f64 = "float32", "float64"
    if quick:
        squares, hs, ms, projs = (512,), (256, 512), (1, 16), ((1600, 256),)
        f64s = [_product("square 512", 512, 512, 512, False, f64),
                _product("h@W_hh^T H=512", 1, 2048, 512, True, f64)]
    else:
        squares, hs, ms, projs = (512, 1024, 2048), (256, 512, 1024), (1, 4, 16, 64), (
            (1600, 256), (6400, 256), (1600, 512), (6400, 512))
        f64s = [_product("square 1024", 1024, 1024, 1024, False, f64),
                _product("h@W_hh^T H=512", 1, 2048, 512, True, f64),
                _product("h@W_hh^T H=512", 16, 2048, 512, True, f64),
                _product("x@W_ih^T H=256", 1600, 1024, 256, True, f64)]
    out = [_product(f"square {s}", s, s, s, False, f32) for s in squares]
    out += [_product(f"h@W_hh^T H={h}", m, 4 * h, h, True, f32) for h in hs for m in ms]
    out += [_product(f"x@W_ih^T H={h}", tb, 4 * h, h, True, f32) for tb, h in projs]
    return out + f64s


def _operands(p, seed=0):
    rng = np.random.default_rng(seed)
    m, n, k = p["M"], p["N"], p["K"]
    a = rng.standard_normal((m, k)).astype(p["dtype"])
    b = rng.standard_normal((n, k) if p["trans_b"] else (k, n)).astype(p["dtype"])
    return a, b


def _calls(p, a, b, torch):
    """{contender: (run, out)}: one product into a preallocated out, op(b) transposed as stored."""
    tb = p["trans_b"]
    outs = {name: np.empty((p["M"], p["N"]), a.dtype) for name in CONTENDERS}
    calls = {"rnnkern": (lambda: rnnkern.gemm(a, b, trans_b=tb, out=outs["rnnkern"]), outs["rnnkern"])}
    bop = b.T if tb else b  # a view: OpenBLAS and torch get the transpose flag, not a copy
    calls["numpy"] = (lambda: np.matmul(a, bop, out=outs["numpy"]), outs["numpy"])
    if torch is not None:
        ta_, tb_, to = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(outs["torch"])
        tbop = tb_.t() if tb else tb_
        calls["torch"] = (lambda: torch.matmul(ta_, tbop, out=to), outs["torch"])
    return calls


# ---- timing --------------------------------------------------------------------------------------

def _batch(run, sample_s):
    """Calls per timed sample so that one sample lasts about sample_s (at least one)."""
    run()  # warm: first touch, lazy initialisation, caches
    t0 = time.perf_counter()
    run()
    one = max(time.perf_counter() - t0, 1e-7)
    return max(1, min(10_000, int(math.ceil(sample_s / one)))), one


def _interleaved(runs, reps, sample_s, budget_s):
    """runs {name: run} -> {name: {"per_call_s": [...], "batch": n}}, samples interleaved A, B, C, A, ...

    Fewer repetitions (never under 3, unless `reps` is) where `reps` would take longer than budget_s."""
    batches = {name: _batch(run, sample_s) for name, run in runs.items()}
    round_s = sum((n + 1) * one for n, one in batches.values())
    if budget_s > 0:
        reps = min(reps, max(3, int(budget_s / max(round_s, 1e-9))))
    times = {name: [] for name in runs}
    gc.collect()
    gc.disable()
    try:
        for _ in range(reps):
            for name, run in runs.items():
                n = batches[name][0]
                run()  # untimed: the switch from the previous contender (its threads winding down) lands here
                t0 = time.perf_counter()
                for _ in range(n):
                    run()
                times[name].append((time.perf_counter() - t0) / n)
    finally:
        gc.enable()
    return {name: {"per_call_s": ts, "batch": batches[name][0]} for name, ts in times.items()}


def _median(xs):
    return float(np.median(xs))


# ---- machine: peaks, bandwidth, libraries ---------------------------------------------------------

def fma_peaks(threads, seconds, tries=2):
    """{isa: {"float32"|"float64": {threads: GFLOP/s or None (unsupported)}}} for every ISA compiled in,
    each the best of `tries` probes (a busy machine only ever lowers a probe)."""
    peaks = {}
    for isa in rnnkern.ISAS:
        peaks[isa] = {}
        for dtype, nbytes in (("float32", 4), ("float64", 8)):
            peaks[isa][dtype] = {}
            for n in threads:
                g = max(_ext.fma_peak_gflops(isa, nbytes, n, seconds) for _ in range(tries))
                peaks[isa][dtype][n] = g if g > 0 else None
    return peaks


def read_bandwidth(nbytes, dtype, runs=15):
    """{probe: bytes per second} reading a warm buffer of nbytes on one thread, best of `runs` each:
    np.add.reduce (NumPy's pairwise sum) and np.dot(x, x) (BLAS, each element loaded once). Both are
    lower bounds on what the cache or memory delivers."""
    x = np.random.default_rng(1).standard_normal(max(1, nbytes // np.dtype(dtype).itemsize)).astype(dtype)
    probes = {"add.reduce": lambda: np.add.reduce(x), "dot": lambda: np.dot(x, x)}
    try:
        from threadpoolctl import threadpool_limits
        one_thread = threadpool_limits(limits=1, user_api="blas")
    except ImportError:
        one_thread = None
    out = {}
    try:
        for name, f in probes.items():
            n, _ = _batch(f, 1e-3)
            best = math.inf
            for _ in range(runs):
                t0 = time.perf_counter()
                for _ in range(n):
                    f()
                best = min(best, (time.perf_counter() - t0) / n)
            out[name] = x.nbytes / best
    finally:
        if one_thread is not None:
            one_thread.restore_original_limits()
    return out


def _blas_pools():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return threadpool_info()


# ---- report --------------------------------------------------------------------------------------

def _f(x, fmt, width):
    return f"{'-':>{width}}" if x is None else f"{x:{width}{fmt}}"


def header_lines(meta, torch_why):
    v, isa = meta["versions"], meta["isa"]
    lines = [f"bench_gemm   rnnkern {v['rnnkern']} (active ISA {isa['active']}), numpy {v['numpy']}, "
             f"torch {v['torch'] or '-'}, python {v['python']}",
             f"CPU          {meta['cpu']}, {meta['cores']} cores available to this process"]
    unset = meta["env"]["unset"]
    lines.append(f"environment  child process: OMP_WAIT_POLICY={meta['env']['OMP_WAIT_POLICY']}; "
                 + (f"unset {', '.join(unset)}" if unset else "OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE were not set"))
    pools = meta["threadpools"]
    if pools is None:
        lines.append("numpy BLAS   ? (threadpoolctl not installed: numpy's threads are not limited)")
    else:
        for p in pools:
            if p["user_api"] == "blas":
                lines.append(f"numpy BLAS   {p['internal_api']} {p.get('version')} ran the "
                             f"{p.get('architecture') or '?'} kernels ({p.get('threading_layer', '?')} threads)"
                             f": {p['filepath']}")
        omp = [p["filepath"] for p in pools if p["user_api"] == "openmp"]
        lines.append(f"OpenMP       {'; '.join(omp) or '?'}")
    lines.append(f"torch        {torch_why}: its columns are empty" if torch_why else
                 f"torch        {v['torch']}, {meta['torch_blas']}")
    load = meta["loadavg"]
    if load is not None:
        lines.append(f"load         1-minute load average {load[0]:.2f} at start, {load[1]:.2f} at end"
                     + (" -- other processes share the cores: timings are noisy" if max(load) > 0.5 else ""))
    lines.append("")
    lines.append(f"FMA peak, GFLOP/s (rnnkern._ext.fma_peak_gflops, best of 2 runs of {meta['peak_seconds']:g} s, "
                 "before the products / after):")
    thr = meta["threads"]
    cols = [(d, n) for d in ("float32", "float64") for n in thr]
    lines.append(f"  {'ISA':<8}" + "".join(f"{'f' + d[5:] + ' ' + str(n) + ' thr':>16}" for d, n in cols))
    for isa_name, by_dtype in meta["peak_before"].items():
        cells = []
        for d, n in cols:
            b4, af = by_dtype[d][str(n)], meta["peak_after"][isa_name][d][str(n)]
            cells.append(f"{'unsupported':>16}" if b4 is None else f"{b4:>8.1f} / {af:<5.1f}")
        lines.append(f"  {isa_name:<8}" + "".join(cells))
    pk = meta["peak_used"]
    for d in ("float32", "float64"):
        g = pk[d]
        if len(thr) > 1 and g.get("1") and any(g[str(n)] < 0.9 * min(n, meta["cores"]) * g["1"] for n in thr if n > 1):
            lines.append(f"  {d}: the probe did not scale with threads: other processes hold cores, and %peak "
                         "is relative to what this process got")
    lines.append(f"  %peak below uses the higher of the two for {isa['active']}.")
    return lines


_COLS = (("product", 17, "<"), ("M", 5, ">"), ("N", 5, ">"), ("K", 5, ">"), ("dtype", 5, ">"), ("thr", 3, ">"),
         ("reps", 4, ">"),
         ("rk ms", 9, ">"), ("rk GF/s", 7, ">"), ("rk %pk", 6, ">"),
         ("np ms", 9, ">"), ("np GF/s", 7, ">"), ("np %pk", 6, ">"),
         ("torch ms", 9, ">"), ("tch GF/s", 8, ">"), ("tch %pk", 7, ">"),
         ("np/rk", 6, ">"), ("tch/rk", 6, ">"), ("rk 2T/1T", 8, ">"))


def table_lines(rows):
    head = " ".join(f"{name:{align}{width}}" for name, width, align in _COLS)
    lines = ["", "Median time of one call (ms), GFLOP/s = 2*M*N*K / time, %pk = of the FMA peak at that dtype and "
             "thread count; np/rk and tch/rk = their time over rnnkern's (> 1: rnnkern faster); rk 2T/1T = "
             "rnnkern's 1-thread time over its 2-thread time.", head, "-" * len(head)]
    for r in rows:
        vals = [r["label"], r["M"], r["N"], r["K"], "f" + r["dtype"][5:], r["threads"], r["reps"]]
        s = []
        for name in CONTENDERS:
            c = r["results"].get(name)
            s += [_f(c and c["median_s"] * 1e3, ".3f", 9), _f(c and c["gflops"], ".1f", 7),
                  _f(c and c["peak_fraction"] and 100 * c["peak_fraction"], ".0f", 6 if name != "torch" else 7)]
        rk_s = r["results"]["rnnkern"]["median_s"]
        ratio = lambda o: r["results"][o]["median_s"] / rk_s if o in r["results"] else None  # noqa: E731
        line = " ".join(f"{v:{al}{w}}" for v, (_, w, al) in zip(vals, _COLS))
        line += " " + " ".join(s)
        line += f" {_f(ratio('numpy'), '.2f', 6)} {_f(ratio('torch'), '.2f', 6)} {_f(r.get('rk_scaling'), '.2f', 8)}"
        if r.get("mismatch"):
            line += "  !! " + r["mismatch"]
        lines.append(line)
    return lines


def bandwidth_lines(rows):
    m1 = [r for r in rows if r["M"] == 1]
    if not m1:
        return []
    head = (f"{'product':<17} {'N':>5} {'K':>5} {'dtype':>5} {'thr':>3} {'B KiB':>7} {'reduce GB/s':>11} "
            f"{'dot GB/s':>8} {'rk GB/s':>8} {'rk %bw':>6} {'np GB/s':>8} {'np %bw':>6} {'tch GB/s':>8} "
            f"{'tch %bw':>7}")
    lines = ["", "M = 1: bound by the bandwidth B streams at. GB/s = bytes of B (N*K*itemsize) / median time. "
             "Probes (one thread, warm buffer as large as B, best of 15): np.add.reduce and np.dot(x, x); "
             "%bw = of the faster probe (a lower bound on the bandwidth: above 100% is possible). "
             "L2 is 512 KiB per core and L3 8 MiB: B of 1 and 4 MiB is read from L3, 16 MiB from memory.",
             head, "-" * len(head)]
    for r in m1:
        probe = r["probe_bytes_per_s"]
        best = max(probe.values())
        line = (f"{r['label']:<17} {r['N']:>5} {r['K']:>5} {'f' + r['dtype'][5:]:>5} {r['threads']:>3} "
                f"{r['b_bytes'] / 1024:>7.0f} {probe['add.reduce'] / 1e9:>11.1f} {probe['dot'] / 1e9:>8.1f}")
        for name, w in (("rnnkern", 6), ("numpy", 6), ("torch", 7)):
            c = r["results"].get(name)
            bw = c and r["b_bytes"] / c["median_s"]
            line += f" {_f(bw and bw / 1e9, '.1f', 8)} {_f(bw and 100 * bw / best, '.0f', w)}"
        lines.append(line)
    return lines


def _str_keys(peaks):
    """fma_peaks' result with thread counts as strings (JSON object keys)."""
    return {i: {d: {str(n): g for n, g in v.items()} for d, v in x.items()} for i, x in peaks.items()}


# ---- the run -------------------------------------------------------------------------------------

def parser():
    p = argparse.ArgumentParser(prog="python benchmarks/bench_gemm.py",
                                description="rnnkern.gemm vs numpy.matmul vs torch.matmul, interleaved in one "
                                            "clean child process; medians, GFLOP/s, %% of the FMA peak.")
    p.add_argument("--quick", action="store_true", help="a small grid, 5 repetitions: under a minute")
    p.add_argument("--json", metavar="PATH", help="write every sample and the machine facts here")
    p.add_argument("--threads", nargs="+", type=int, help="thread counts (default: 1 2)")
    p.add_argument("--reps", type=int, help="interleaved repetitions per row (default 15; --quick 5)")
    p.add_argument("--budget", type=float, metavar="SECONDS",
                   help="time per row: fewer repetitions (never under 3) where --reps would take longer "
                        "(default 10; --quick 1; 0 = always --reps)")
    p.add_argument("--no-torch", action="store_true", help="leave torch out")
    p.add_argument("--match", metavar="REGEX",
                   help="only the products whose 'label M=.. dtype' matches, e.g. 'square 2048|M=16 '")
    return p


def run(argv=None):
    args = parser().parse_args(argv)
    threads = list(dict.fromkeys(args.threads or [1, 2]))
    reps = args.reps or (5 if args.quick else 15)
    budget = args.budget if args.budget is not None else (1.0 if args.quick else 10.0)
    peak_s = 0.1 if args.quick else 0.2
    if reps < 1 or min(threads) < 1:
        raise SystemExit("bench_gemm.py: --reps and --threads must be at least 1")
    torch, torch_why = _import_torch(not args.no_torch)
    t_start = time.perf_counter()
    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    peak_before = fma_peaks(threads, peak_s)
    rows, probes = [], {}
    ctl = ContenderThreads(torch)
    try:
        for p in products(args.quick):
            if args.match and not re.search(args.match, f"{p['label']} M={p['M']} {p['dtype']}"):
                continue
            a, b = _operands(p)
            calls = _calls(p, a, b, torch)
            flops = 2.0 * p["M"] * p["N"] * p["K"]
            for n in threads:
                ctl.set(n)
                res = _interleaved({k: v[0] for k, v in calls.items()}, reps, SAMPLE_S, budget)
                row = dict(p, threads=n, flops=flops, reps=len(res["rnnkern"]["per_call_s"]), results={})
                for name, r in res.items():
                    med = _median(r["per_call_s"])
                    row["results"][name] = dict(r, median_s=med, min_s=min(r["per_call_s"]), gflops=flops / med * 1e-9)
                # every contender's last out against float64, bound relative to |a| @ |op(b)|
                a64, b64 = a.astype(np.float64), (b.T if p["trans_b"] else b).astype(np.float64)
                ref, scale = a64 @ b64, np.abs(a64) @ np.abs(b64)
                tol = 1e-5 if p["dtype"] == "float32" else 1e-12
                bad = [name for name, (_, out) in calls.items() if not np.all(np.abs(out - ref) <= tol * scale)]
                if bad:
                    row["mismatch"] = "wrong result: " + ", ".join(bad)
                if p["M"] == 1:
                    row["b_bytes"] = b.nbytes
                    key = (b.nbytes, p["dtype"])
                    if key not in probes:
                        probes[key] = read_bandwidth(b.nbytes, p["dtype"])
                    row["probe_bytes_per_s"] = probes[key]  # {probe: bytes/s}
                rows.append(row)
                print(f"  {p['label']:<17} M={p['M']:<5} {p['dtype']} {n} thr: rnnkern "
                      f"{row['results']['rnnkern']['median_s'] * 1e3:.3f} ms", file=sys.stderr, flush=True)
    finally:
        ctl.restore()
    peak_after = fma_peaks(threads, peak_s)

    active = rnnkern.isa_info()["active"]
    peak_used = {d: {str(n): max(x for x in (peak_before[active][d][n], peak_after[active][d][n]) if x)
                     for n in threads} for d in ("float32", "float64")}
    for row in rows:
        pk = peak_used[row["dtype"]][str(row["threads"])]
        for c in row["results"].values():
            c["peak_fraction"] = c["gflops"] / pk if pk else None
        if row["threads"] > 1:
            one = next((r for r in rows if r["threads"] == 1 and all(r[k] == row[k] for k in ("label", "M", "dtype"))),
                       None)
            if one is not None:
                row["rk_scaling"] = one["results"]["rnnkern"]["median_s"] / row["results"]["rnnkern"]["median_s"]

    pools = _blas_pools()
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    removed = os.environ.get(_CHILD, "-")
    meta = {
        "versions": {"rnnkern": rnnkern.__version__, "numpy": np.__version__, "python": platform.python_version(),
                     "torch": torch.__version__ if torch is not None else None},
        "isa": rnnkern.isa_info(), "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "env": {"OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
                "unset": [] if removed in ("-", "") else removed.split(";")},
        "threadpools": pools, "threads": threads, "quick": args.quick, "peak_seconds": peak_s,
        "peak_before": _str_keys(peak_before), "peak_after": _str_keys(peak_after),
        "peak_used": peak_used,
        "torch_blas": (f"MKL {'available' if torch.backends.mkl.is_available() else 'absent'}, "
                       f"oneDNN {'available' if torch.backends.mkldnn.is_available() else 'absent'}")
        if torch is not None else None,
        "loadavg": (load0, os.getloadavg()[0]) if load0 is not None else None,
        "duration_s": time.perf_counter() - t_start,
    }
    lines = header_lines(meta, torch_why) + table_lines(rows) + bandwidth_lines(rows)
    lines.append(f"\n{len(rows)} rows in {meta['duration_s']:.0f} s")
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(run())
