"""The targets every row is checked against, in one place: their numbers, the verdict of one row, and
the words the notes under the table print. Float32. Ratios are torch's time over rnnkern's."""
from .problems import cell_kind

# The ratio is torch's time over rnnkern's; where reaching it would take more than PEAK_FRACTION of the
# FMA peak, PEAK_FRACTION of the peak is the target instead. Never slower than torch.
TARGET_RATIO = {("lstm", "inference"): 1.5, ("lstm", "training"): 2.0}
TARGET_RATIO_DEFAULT = 3.0  # GRU and RNN, both modes
PEAK_FRACTION = 0.85
SCALING = 1.85              # 2 threads over 1 ...
SCALING_MIN_BH = 8192       # ... on shapes with B*H at least this
LATENCY_US = 3.0            # LSTM, B = 1, H = 256, 2 threads, inference: microseconds per step at most


def target_ratio(cell, mode):
    return TARGET_RATIO.get((cell_kind(cell)[0], mode), TARGET_RATIO_DEFAULT)


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
    if (cell_kind(row["cell"])[0], row["mode"], row["B"], row["H"], row["threads"]) == ("lstm", "inference", 1, 256, 2):
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


def describe():
    """The targets in words, for the notes under the table."""
    return [f"targets (float32): x torch >= 1.5 LSTM inference, 2 LSTM training, 3 GRU/RNN, or >= "
            f"{PEAK_FRACTION:.0%} peak where that ratio would need more, never slower than torch;",
            f"2T/1T >= {SCALING} where B*H >= {SCALING_MIN_BH}; LSTM B=1 H=256 inference on 2 threads "
            f"<= {LATENCY_US:g} us/step."]
