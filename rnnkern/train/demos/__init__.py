"""The lecture's demos, one module each; `python -m rnnkern demo NAME` runs one.

Every module has run(seed=0, quick=False, plot=True, out=".", log=print) -> dict: it prints its
progress and report through `log`, saves out/<name>.png when plot is on and matplotlib is installed,
and returns the numbers it reported (tests assert on them). quick=True is a smaller run; a demo
that has a longer study too takes full=True (`--full`).
"""
import importlib

DEMOS = {
    "binary-addition": ("binary_addition", "slides 19-23: 3 logistic hidden units learn the carry automaton"),
    "gradients": ("gradients", "slides 25-28: how ||dL/dh_t|| vanishes or explodes going back in time"),
    "memory": ("memory", "slide 30: the adding problem at T = 50, 100, 200, vanilla RNN vs LSTM"),
    "esn": ("esn", "slide 28: echo state network vs BPTT with momentum on Mackey-Glass"),
    "next-step": ("next_step", "slides 2-3: next-symbol prediction, LSTM vs delay taps, embedded Reber"),
    "hf": ("hf", "slide 28: Hessian-free optimisation vs momentum on the adding problem, tanh RNN"),
}


def get(name):
    """The module of demo `name`."""
    if name not in DEMOS:
        raise ValueError(f"name: expected one of {', '.join(DEMOS)}, got {name!r}")
    return importlib.import_module(f"{__name__}.{DEMOS[name][0]}")


def run(name, **kw):
    return get(name).run(**kw)
