"""What the benchmark leaves behind: the JSON of every row (rewritten after each, so an interrupted run
keeps what it measured) and, when matplotlib is installed, a PNG chart beside it."""
import json
from pathlib import Path

from .problems import cell_kind
from .targets import RATIO_MIN_B, target_ratio


def write_json(path, meta, rows, complete):
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
            min_b = RATIO_MIN_B[cell_kind(cell)[0]]
            ax.axhline(target_ratio(cell, mode), color="green", ls="--", lw=1,
                       label="target ratio" + (f" (B >= {min_b})" if min_b > 1 else ""))
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
