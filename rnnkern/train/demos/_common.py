"""What every demo shares: quiet logging, a stopwatch, the optional figure, the thread count."""
import functools
import os
import time

import rnnkern


def silent(*args, **kwargs):
    """A `log` that prints nothing (tests)."""


class Stopwatch:
    def __init__(self):
        self.start = time.perf_counter()

    def __str__(self):
        return f"{time.perf_counter() - self.start:.1f} s"


def pyplot(plot, log):
    """matplotlib.pyplot on a file-only backend, or None (saying why) when plot is off or missing.
    Imported here, lazily: NumPy is the package's only run-time dependency."""
    if not plot:
        return None
    try:
        import matplotlib
    except ImportError:
        log("figure: skipped, matplotlib is not installed (pip install 'rnnkern[plot]')")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(fig, out, name, log):
    """Save fig as out/name.png, close it, say where; -> the path."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, f"{name}.png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)
    log(f"figure: {path}")
    return path


def one_thread(run):
    """Decorator: the kernels run on one thread during `run`, then the count is restored. The demos'
    nets are small (a few dozen units): one thread never waits at the per-step barrier for another,
    which on a busy 2-core machine costs more than the second core gives back."""
    @functools.wraps(run)
    def wrapper(*args, **kwargs):
        before = rnnkern.get_num_threads()
        rnnkern.set_num_threads(1)
        try:
            return run(*args, **kwargs)
        finally:
            rnnkern.set_num_threads(before)
    return wrapper
