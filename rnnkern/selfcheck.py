"""Self-check: each cell's forward and backward on the active ISA against reference.py."""
import numpy as np

from . import cells, functional, reference

# float64 kernels differ from the reference only by summation order
TOLERANCE = 1e-10


def _run(module, cell, activation, p, g):
    kw = dict(p, activation=activation) if cell.takes_activation else dict(p)
    gk = dict(g)
    if not cell.has_cell:
        kw.pop("c0")
        gk.pop("dcT")
    out = getattr(module, f"{cell.name}_forward")(**kw)
    return out[:-1] + tuple(getattr(module, f"{cell.name}_backward")(out[-1], **gk))


def self_check(T=7, B=3, I=5, H=9, seed=0):
    """-> list of (name, max relative error, passed) over every cell and activation."""
    rng = np.random.default_rng(seed)
    results = []
    for cell, activation in cells.variants():
        gates = cell.G
        p = dict(x=rng.standard_normal((T, B, I)), w_ih=rng.uniform(-0.5, 0.5, (gates * H, I)),
                 w_hh=rng.uniform(-0.5, 0.5, (gates * H, H)), b_ih=rng.uniform(-0.5, 0.5, gates * H),
                 b_hh=rng.uniform(-0.5, 0.5, gates * H), h0=rng.standard_normal((B, H)),
                 c0=rng.standard_normal((B, H)), lengths=np.array([T, 0, T // 2])[:B])
        g = dict(dy=rng.standard_normal((T, B, H)), dhT=rng.standard_normal((B, H)),
                 dcT=rng.standard_normal((B, H)))
        got = _run(functional, cell, activation, p, g)
        want = _run(reference, cell, activation, p, g)
        err = max(float(np.max(np.abs(a - b), initial=0.0) / max(1.0, np.max(np.abs(b), initial=0.0)))
                  for a, b in zip(got, want) if a is not None)
        name = f"{cell.name}-{activation}" if cell.takes_activation else cell.name
        results.append((name, err, bool(err <= TOLERANCE)))
    return results
