"""The targets every row is checked against (issue 9), in one place: their numbers, the verdict of one
row, and the words the notes under the table print. Float32 only. "x torch" is torch's time over
rnnkern's, both measured side by side in the same run."""
from .problems import cell_kind

NEVER_SLOWER = 1.0  # x torch, on every row
RATIO = {("lstm", "inference"): 1.5, ("lstm", "training"): 2.0,
         ("gru", "inference"): 2.0, ("gru", "training"): 2.0,
         ("rnn", "inference"): 2.0, ("rnn", "training"): 2.0}
RATIO_MIN_B = {"lstm": 1, "gru": 8, "rnn": 8}  # below it, only NEVER_SLOWER: torch runs GRU/RNN unfused
PEAK_FRACTION = 0.85   # replaces the ratio where the ratio would need more of the FMA peak ...
PEAK_CELLS = ("lstm",)  # ... for these cells
SCALING = 1.85          # rnnkern's 2-thread speed over its 1-thread speed ...
SCALING_MIN_BH = 8192   # ... on shapes with B*H at least this
LATENCY_US = 6.0        # microseconds per step at most, on the row LATENCY_ROW describes
LATENCY_ROW = {"kind": "lstm", "mode": "inference", "B": 1, "H": 256, "threads": 2}


def target_ratio(cell, mode, B=None):
    """The x torch a row needs (B None: at any B where there is one), or None below RATIO_MIN_B."""
    kind = cell_kind(cell)[0]
    if B is not None and B < RATIO_MIN_B[kind]:
        return None
    return RATIO[(kind, mode)]


def _is_latency_row(row):
    got = {"kind": cell_kind(row["cell"])[0], "mode": row["mode"], "B": row["B"], "H": row["H"],
           "threads": row["threads"]}
    return got == LATENCY_ROW


def evaluate_target(row, peak_gflops, scaling=None):
    """Checks of one row -> {"met": True | False | None (unknown), "text", "checks": [...]}.

    row: dict with cell, mode, B, I, H, threads, flops and rnnkern / torch results ({"median_s"} or
    {"skipped"}); optional "dtype" (float64 rows get only the ISA check) and "isas" ({isa: result},
    narrowest first, from --isa all); peak_gflops: the FMA peak at row["threads"]
    (None if unknown); scaling: rnnkern's 1-thread time over this row's, for a 2-thread row whose 1-thread
    row was measured.
    """
    checks = []

    def check(name, met, goal, got, why=""):
        checks.append({"name": name, "met": met, "goal": goal, "got": got, "why": why})

    if row.get("dtype", "float32") != "float32":
        _isa_checks(row, check)
        return _verdict(checks) if checks else {"met": None, "text": "no target (float32 only)", "checks": []}

    kind = cell_kind(row["cell"])[0]
    torch = row["torch"]
    ratio = target_ratio(row["cell"], row["mode"], row["B"])
    if "median_s" not in torch:
        check("torch", None, f">= {ratio or NEVER_SLOWER:g}x torch", None, "no torch")
    else:
        speedup = torch["median_s"] / row["rnnkern"]["median_s"]
        need = (ratio or 0) * torch["gflops"]
        peak_rule = bool(ratio and kind in PEAK_CELLS and peak_gflops and need > PEAK_FRACTION * peak_gflops)
        if peak_rule:
            frac = row["rnnkern"]["gflops"] / peak_gflops
            check("peak", frac >= PEAK_FRACTION, f">= {PEAK_FRACTION:.0%} peak", frac,
                  f"{frac:.0%} peak < {PEAK_FRACTION:.0%} ({ratio:g}x torch needs {need / peak_gflops:.0%})")
        if ratio and not peak_rule:
            check("ratio", speedup >= ratio, f">= {ratio:g}x torch", speedup, f"{speedup:.2f}x torch < {ratio:g}x")
        else:
            check("never slower", speedup >= NEVER_SLOWER, f">= {NEVER_SLOWER:g}x torch", speedup,
                  f"{speedup:.2f}x torch < {NEVER_SLOWER:g}x")
    if row["threads"] == 2 and row["B"] * row["H"] >= SCALING_MIN_BH:
        if scaling is None:
            check("scaling", None, f">= {SCALING}x 1 thread", None, "no 1-thread row")
        else:
            check("scaling", scaling >= SCALING, f">= {SCALING}x 1 thread", scaling,
                  f"2T/1T {scaling:.2f}x < {SCALING}x")
    if _is_latency_row(row):
        us = row["rnnkern"]["us_per_step"]
        why = f"{us:.1f} us/step > {LATENCY_US:g}"
        if peak_gflops:
            floor = row["flops"] / row["T"] / peak_gflops * 1e-3
            if floor > LATENCY_US:
                why += f" (>= {floor:.1f} even at 100% peak here)"
        check("latency", us <= LATENCY_US, f"<= {LATENCY_US:g} us/step", us, why)
    _isa_checks(row, check)
    return _verdict(checks)


def _isa_checks(row, check):
    for narrow, wide, ratio in wider_isa_slower(row.get("isas", {})):
        check("isa", False, f"{wide} <= {narrow} time", ratio, f"{wide} slower than {narrow} ({ratio:.2f}x its time)")


def wider_isa_slower(isas):
    """[(narrower, wider, wider's time over narrower's)] for every pair of paths where the wider one was
    slower; isas: {isa: result}, narrowest first (rnnkern.available_isas()'s order)."""
    timed = [(isa, r["median_s"]) for isa, r in isas.items() if "median_s" in r]
    return [(a, b, tb / ta) for i, (a, ta) in enumerate(timed) for b, tb in timed[i + 1:] if tb > ta]


def _verdict(checks):
    failed = [c for c in checks if c["met"] is False]
    if failed:
        met, text = False, "MISSED: " + "; ".join(c["why"] for c in failed)
    elif any(c["met"] is None for c in checks):
        met, text = None, "unknown: " + "; ".join(c["why"] for c in checks if c["met"] is None)
    else:
        met, text = True, "met"
    return {"met": met, "text": text, "checks": checks}


def describe():
    """The targets in words, for the notes under the table."""
    lat = LATENCY_ROW
    gru_b = RATIO_MIN_B["gru"]
    return ["targets (float32):",
            f"  never slower than torch (x torch >= {NEVER_SLOWER:g}) on any row;",
            f"  LSTM x torch >= {RATIO[('lstm', 'inference')]:g} inference, >= {RATIO[('lstm', 'training')]:g} "
            f"training, or >= {PEAK_FRACTION:.0%} of the FMA peak where that ratio would need more;",
            f"  GRU and RNN x torch >= {RATIO[('gru', 'inference')]:g} at B >= {gru_b} (below: never slower);",
            f"  {lat['kind'].upper()} B={lat['B']} H={lat['H']} {lat['mode']} on {lat['threads']} threads "
            f"<= {LATENCY_US:g} us/step;",
            f"  2T/1T >= {SCALING} where B*H >= {SCALING_MIN_BH};",
            "  --isa all: a wider ISA path never slower than a narrower one (any dtype)."]
