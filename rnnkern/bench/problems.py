"""What the benchmark times: the cells, modes and shapes of its grid, the FLOPs of one call, and the
random inputs, which every contender's process builds alike from one seed."""
import math

from .. import cells

# "lstm", "gru", "rnn-tanh", "rnn-relu", "rnn-logistic": a unit is named where the cell takes one
CELLS = tuple(f"{c.name}-{a}" if c.takes_activation else c.name for c, a in cells.variants())
MODES = ("inference", "training")
DEFAULT_CELLS = ("lstm", "gru", "rnn-tanh")
DEFAULT_SHAPES = ((100, 1, 64, 64), (100, 1, 128, 128), (100, 1, 256, 256), (100, 8, 256, 256),
                  (100, 32, 512, 512), (100, 64, 1024, 1024), (50, 128, 512, 512), (1000, 1, 32, 32))
QUICK_SHAPES = ((100, 1, 64, 64), (100, 1, 256, 256), (100, 8, 256, 256))


def cell_kind(cell):
    """"rnn-relu" -> ("rnn", "relu"); "lstm" -> ("lstm", "tanh")."""
    kind, _, act = cell.partition("-")
    return kind, act or "tanh"


def flops(cell, mode, T, B, I, H):
    """Matrix-product FLOPs of one call: forward 2*T*B*G*H*(I+H); training = forward + backward = 3x."""
    forward = 2 * T * B * cells.get(cell_kind(cell)[0]).G * H * (I + H)
    return forward * (3 if mode == "training" else 1)


def make_problem(cell, T, B, I, H, dtype="float32", seed=0):
    """Random inputs of one cell and shape: x, w_ih, w_hh, b_ih, b_hh and the backward's dy."""
    import numpy as np

    rng = np.random.default_rng(seed)
    G, s = cells.get(cell_kind(cell)[0]).G * H, 1 / math.sqrt(H)
    p = dict(x=rng.standard_normal((T, B, I)), w_ih=rng.uniform(-s, s, (G, I)), w_hh=rng.uniform(-s, s, (G, H)),
             b_ih=rng.uniform(-s, s, G), b_hh=rng.uniform(-s, s, G), dy=rng.standard_normal((T, B, H)))
    return {k: v.astype(dtype) for k, v in p.items()}


def fmt_shape(shape):
    return ",".join(map(str, shape))
