"""The printed report: the header (versions, CPU, peak, how the comparison ran and each contender's
environment), the fixed-width table and the notes under it."""
import textwrap

from . import targets
from .env import describe_changes

_INDENT = " " * 16


def _wrap(label, text):
    return textwrap.wrap(text, 118, initial_indent=f"{label:<16}", subsequent_indent=_INDENT)


def _policy(env):
    """What OpenMP wait policy a process ran under, in words."""
    value = env.get("OMP_WAIT_POLICY")
    return "its default OpenMP wait policy" if value is None else f"OMP_WAIT_POLICY={value} from your environment"


def _omp(pools):
    omp = [p["filepath"] for p in pools or [] if p["user_api"] == "openmp"]
    return f"; OpenMP {', '.join(omp)}" if omp else ""


def _blas(pools):
    blas = [f"{p['internal_api']} {p['version']} ({p.get('architecture') or '?'} kernels)"
            for p in pools or [] if p["user_api"] == "blas"]
    return ", ".join(blas) or ("?" if pools is not None else "? (threadpoolctl not installed)")


def method_lines(meta):
    """How the comparison ran, in words: own processes, taking turns, the same inputs."""
    order = ", ".join(meta["method"]["order"])
    return _wrap("method", f"each contender in its own process, started once with the environment its users "
                           f"would give it (below); they take turns row by row and repetition by repetition "
                           f"({order}, then again), one call at a time, never two at once; each next call waits "
                           f"until the idle threads of the last one's process sleep (at most "
                           f"{meta['method']['settle_max_s'] * 1e3:g} ms); the same inputs (seed "
                           f"{meta['method']['seed']}) in every process")


def contender_lines(meta, torch_why):
    lines = []
    for name, c in meta["contenders"].items():
        hello, changes = c["hello"], describe_changes(c["env_changes"])
        if c["kind"] == "rnnkern":
            text = (f"pid {hello['pid']}, ISA {hello['isa']['active']}, {_policy(hello['env'])}, "
                    f"rnnkern.set_num_threads(n) per row{_omp(hello['threadpools'])}; environment changes: {changes}")
        elif c["kind"] == "torch":
            libs = [ln.strip() for ln in (hello.get("torch_parallel_info") or "").splitlines()
                    if "Math Kernel" in ln or "MKL-DNN" in ln or "oneDNN" in ln]
            libs = "; ".join(s.split(" for ")[0].split(" (Git")[0] for s in libs)
            text = (f"pid {hello['pid']}, torch {hello['versions']['torch']}, {_policy(hello['env'])}, "
                    f"torch.set_num_threads(n) per row{'; ' + libs if libs else ''}; environment changes: {changes}")
        else:
            pids = ", ".join(f"n={n} pid {p['pid']}" for n, p in c["processes"].items())
            blas_threads = {"OPENBLAS_NUM_THREADS": (c["env_changes"].get("OPENBLAS_NUM_THREADS", [None])[0], "n")}
            changes = describe_changes(dict(c["env_changes"], **blas_threads))
            text = (f"one process per thread count n ({pids}), numpy BLAS {_blas(hello['threadpools'])}; "
                    f"environment changes: {changes}")
        lines += _wrap(name, text)
    if torch_why:
        lines += _wrap("torch", f"{torch_why}: its column is skipped")
    return lines


def header(meta, torch_why, args):
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
        if not meta["peak_scaled"]:
            detail += ("; THE PROBE DID NOT SCALE WITH THREADS: other processes hold cores, and %peak is "
                       "relative to what the probe got")
    lines += textwrap.wrap(detail, 118, initial_indent=_INDENT, subsequent_indent=_INDENT)
    lines += method_lines(meta) + contender_lines(meta, torch_why)
    load = meta["loadavg_start"]
    if load is not None:
        lines.append(f"load            1-minute load average {load:.2f} at start"
                     + (" -- other processes share the cores: timings are noisy" if load > 0.5 else ""))
    return lines


_COLUMNS = (("cell", 12, "<"), ("mode", 5, "<"), ("T", 5, ">"), ("B", 4, ">"), ("I", 5, ">"), ("H", 5, ">"),
            ("thr", 3, ">"), ("n", 2, ">"), ("ms", 10, ">"), ("us/step", 9, ">"), ("GFLOP/s", 8, ">"),
            ("%peak", 6, ">"), ("torch ms", 10, ">"), ("x torch", 8, ">"), ("ref ms", 9, ">"),
            ("x ref", 7, ">"), ("2T/1T", 6, ">"))
_ABOVE = ("",) * 8 + ("rnnkern",) * 4 + ("", "speedup", "", "speedup", "speedup")


def columns(isas):
    """The table's columns: the rnnkern path's, torch's and the reference's, one per ISA path where
    several are timed (--isa all), then the verdict."""
    per_isa = tuple((f"{isa} ms", 10, ">") for isa in isas) if len(isas) > 1 else ()
    return _COLUMNS + per_isa + (("target", 0, "<"),)


def _table_line(values, cols):
    return " ".join(f"{v:{align}{width}}" if width else str(v)
                    for v, (_, width, align) in zip(values, cols)).rstrip()


def table_header(isas):
    cols = columns(isas)
    top = _table_line([c[0] for c in cols], cols)
    above = _ABOVE + ("path",) * (len(cols) - len(_COLUMNS) - 1) + ("",)
    return [_table_line(above, cols), top, "-" * max(len(top), 150)]


def _fmt_ms(res):
    if "median_s" in res:
        return f"{res['median_s'] * 1e3:.3f}"
    return "skip" if res.get("too_slow") else "-"


STEAL_NOTE = 0.02  # a row whose cores the hypervisor took this share of says so


def steal_note(row):
    """'; steal 6%: ...' where the hypervisor took the cores for STEAL_NOTE or more of the time the
    row's calls wanted them (a virtual machine's other guests): its times are noisy."""
    st = row.get("steal")
    return f"; steal {st:.0%}: the hypervisor ran other guests on these cores" if st and st >= STEAL_NOTE else ""


def steal_line(steal, rows):
    """The run's hypervisor steal, after the table, where the OS reports it (None: not a line)."""
    if steal is None:
        return None
    noisy = sum((r.get("steal") or 0) >= STEAL_NOTE for r in rows)
    return (f"steal           the hypervisor took {steal:.1%} of the CPU time the run wanted (/proc/stat); "
            f"{noisy} of {len(rows)} rows at {STEAL_NOTE:.0%} or more say so")


def row_line(row, isas):
    rk = row["rnnkern"]
    speed = lambda k: f"{row[k]:.2f}x" if row.get(k) is not None else "-"  # noqa: E731
    frac = row.get("peak_fraction")
    per_isa = [_fmt_ms(row["isas"][isa]) for isa in isas] if len(isas) > 1 else []
    return _table_line([row["cell"], row["mode"][:5], row["T"], row["B"], row["I"], row["H"], row["threads"],
                        row["reps"], f"{rk['median_s'] * 1e3:.3f}", f"{rk['us_per_step']:.2f}",
                        f"{rk['gflops']:.2f}", f"{frac:.1%}" if frac is not None else "?",
                        _fmt_ms(row["torch"]), speed("x_torch"), _fmt_ms(row["reference"]), speed("x_reference"),
                        speed("scaling")] + per_isa + [row["target"]["text"] + steal_note(row)],
                       columns(isas))


def notes(args, meta):
    order = ", ".join(meta["method"]["order"] + meta["method"]["order"][:1])
    lines = [f"ms = median of n repetitions taken in turns ({order}, ...), each contender in its own process; "
             "x torch / x ref = their time over rnnkern's (> 1: rnnkern faster);",
             "FLOPs = matrix products only: forward 2*T*B*G*H*(I+H), G = 4 LSTM, 3 GRU, 1 RNN; training "
             "(forward + backward) = 3x forward; %peak = rnnkern GFLOP/s over the FMA peak at that thread count;",
             f"ref skip = estimated over --ref-max-s {args.ref_max_s:g} s per call; n < --reps where the "
             f"row would exceed --budget {args.budget:g} s; 2T/1T = rnnkern 1-thread time over 2-thread time."]
    isas = [c["isa"] for c in meta["contenders"].values() if c["kind"] == "rnnkern"]
    if len(isas) > 1:
        lines.append(f"rnnkern columns = the {meta['isa']['best']} path, the best this CPU has; <isa> ms = each "
                     "path in its own process (RNNKERN_ISA), in the same turns;")
    lines += targets.describe()
    return ["notes: " + lines[0]] + ["       " + ln for ln in lines[1:]]

