"""Self-check: each cell's forward and backward on the active ISA against reference.py."""
import numpy as np

from . import functional, reference

# float64 kernels differ from the reference only by summation order
TOLERANCE = 1e-10
CELLS = (("lstm", 4, "tanh"), ("gru", 3, "tanh"), ("rnn", 1, "tanh"), ("rnn", 1, "relu"),
         ("rnn", 1, "logistic"))


def _run(module, kind, activation, p, g):
    kw = dict(p, activation=activation) if kind == "rnn" else dict(p)
    if kind != "lstm":
        kw.pop("c0")
    out = getattr(module, f"{kind}_forward")(**kw)
    gk = dict(g) if kind == "lstm" else {"dy": g["dy"], "dhT": g["dhT"]}
    return out[:-1] + tuple(getattr(module, f"{kind}_backward")(out[-1], **gk))


def self_check(T=7, B=3, I=5, H=9, seed=0):
    """-> list of (name, max relative error, passed) over every cell and activation."""
    rng = np.random.default_rng(seed)
    results = []
    for kind, gates, activation in CELLS:
        p = dict(x=rng.standard_normal((T, B, I)), w_ih=rng.uniform(-0.5, 0.5, (gates * H, I)),
                 w_hh=rng.uniform(-0.5, 0.5, (gates * H, H)), b_ih=rng.uniform(-0.5, 0.5, gates * H),
                 b_hh=rng.uniform(-0.5, 0.5, gates * H), h0=rng.standard_normal((B, H)),
                 c0=rng.standard_normal((B, H)), lengths=np.array([T, 0, T // 2])[:B])
        g = dict(dy=rng.standard_normal((T, B, H)), dhT=rng.standard_normal((B, H)),
                 dcT=rng.standard_normal((B, H)))
        got = _run(functional, kind, activation, p, g)
        want = _run(reference, kind, activation, p, g)
        err = max(float(np.max(np.abs(a - b), initial=0.0) / max(1.0, np.max(np.abs(b), initial=0.0)))
                  for a, b in zip(got, want) if a is not None)
        name = kind if kind != "rnn" else f"rnn-{activation}"
        results.append((name, err, bool(err <= TOLERANCE)))
    return results
