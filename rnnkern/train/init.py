"""Initialisers: each returns a fresh array; assign it into a parameter in place,
    net.recurrent.weight_hh_l0[...] = init.orthogonal(net.recurrent.weight_hh_l0.shape, blocks=4)

`blocks` splits the rows of a stacked gate matrix (G*H, H) into G square blocks, one per gate, each
initialised on its own (an orthogonal or identity matrix per gate, not one tall one).
"""
import numpy as np


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _blocks(shape, blocks, make):
    rows, cols = shape
    if rows % blocks:
        raise ValueError(f"blocks: {blocks} does not divide the {rows} rows of shape {shape}")
    return np.concatenate([make((rows // blocks, cols)) for _ in range(blocks)], axis=0)


def pytorch_uniform(shape, hidden_size, rng=None, dtype=np.float64):
    """U(-1/sqrt(H), 1/sqrt(H)): PyTorch's default for every recurrent parameter (and for Linear with
    H = in_features)."""
    k = 1.0 / np.sqrt(hidden_size)
    return _rng(rng).uniform(-k, k, shape).astype(dtype)


def orthogonal(shape, gain=1.0, *, blocks=1, rng=None, dtype=np.float64):
    """A (semi-)orthogonal matrix times gain, per block: all singular values equal gain, so at the
    start the linear part of the recurrence neither shrinks nor grows the gradient."""
    rng = _rng(rng)

    def make(s):
        a = rng.standard_normal((max(s), min(s)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # makes the distribution uniform (Haar), not biased by QR's signs
        return gain * (q if s[0] >= s[1] else q.T)

    return _blocks(shape, blocks, make).astype(dtype)


def identity(shape, scale=1.0, *, blocks=1, dtype=np.float64):
    """scale * I per block (Le, Jaitly & Hinton's IRNN: relu units that start by copying their state)."""
    return _blocks(shape, blocks, lambda s: scale * np.eye(*s)).astype(dtype)


def spectral_radius(w):
    """Largest |eigenvalue| of a square matrix."""
    return float(np.max(np.abs(np.linalg.eigvals(w))))


def echo_state(size, radius=0.9, *, density=1.0, rng=None, dtype=np.float64):
    """An echo-state reservoir (H, H): random normal weights, a fraction `density` of them nonzero,
    rescaled so the largest |eigenvalue| is `radius` — below about 1 the state forgets its
    start (the echo-state property) while a radius near 1 keeps a long fading memory."""
    if not 0 < density <= 1:
        raise ValueError(f"density: expected a fraction in (0, 1], got {density}")
    rng = _rng(rng)
    w = rng.standard_normal((size, size))
    if density < 1:
        w *= rng.random((size, size)) < density
    current = spectral_radius(w)
    if current == 0:
        raise ValueError("density: too sparse, the reservoir has no cycles (spectral radius 0)")
    return (w * (radius / current)).astype(dtype)
