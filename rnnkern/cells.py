"""The kinds of cell and of unit, described once: every layer above the kernels (functional, nn,
rnnkern.torch, bench, selfcheck, the bridge) reads them here instead of switching on names.
reference.py keeps its own copy on purpose: it is the oracle the kernels are tested against.

A Cell says what a kind needs from its callers: its gates in PyTorch's order (G = len(gates)),
its state (("h", "c") for LSTM: an initial c0 and a final cT beside h), which units it can run,
its row in the C tables (`index`, rk_cell in csrc/include/rnnkern.h: _ext's entry points and
workspace sizes are indexed by it) and the name of its torch.nn class.
"""
from dataclasses import dataclass

import numpy as np


def logistic(a):
    """The logistic sigmoid 1 / (1 + exp(-a)); exp only ever sees -|a|, so nothing overflows."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1, e) / (1 + e)


# unit name -> (f(a), f'(a) written in y = f(a), as backward uses it); order = rk_activation
UNITS = {
    "tanh": (np.tanh, lambda y: 1 - y * y),
    "relu": (lambda a: np.maximum(a, 0), lambda y: (y > 0).astype(y.dtype)),
    "logistic": (logistic, lambda y: y * (1 - y)),
}
ACTIVATIONS = tuple(UNITS)
TORCH_UNITS = ("tanh", "relu")  # those torch.nn.RNN has (its nonlinearity)


@dataclass(frozen=True)
class Cell:
    name: str
    index: int          # rk_cell: the row of the C entry points (rnnkern.h)
    gates: tuple        # gate names in PyTorch's row order
    states: tuple       # ("h",) or ("h", "c")
    activations: tuple  # the units it runs; the first is the default
    torch_name: str     # its torch.nn class

    @property
    def G(self):
        return len(self.gates)

    @property
    def has_cell(self):
        """LSTM: a cell state c beside h (c0, cT, dcT, dc0)"""
        return "c" in self.states

    @property
    def takes_activation(self):
        """the vanilla RNN: its unit is an argument"""
        return len(self.activations) > 1

    @property
    def gate_names(self):
        return ", ".join(self.gates)

    def rows(self, n="H"):
        """how its weights' row count reads in a message: "4*H", or "H" for one gate"""
        return f"{self.G}*{n}" if self.G > 1 else n


LSTM = Cell("lstm", 0, ("i", "f", "g", "o"), ("h", "c"), ("tanh",), "LSTM")
GRU = Cell("gru", 1, ("r", "z", "n"), ("h",), ("tanh",), "GRU")
RNN = Cell("rnn", 2, ("h",), ("h",), ACTIVATIONS, "RNN")
CELLS = {c.name: c for c in (LSTM, GRU, RNN)}  # in rk_cell order


def get(name):
    """The Cell of a kind's name ("lstm", "gru", "rnn"), or a Cell itself."""
    if isinstance(name, Cell):
        return name
    try:
        return CELLS[name]
    except (KeyError, TypeError):
        raise ValueError(f"cell: expected one of {', '.join(map(repr, CELLS))}, got {name!r}") from None


def variants():
    """Every (cell, unit) the kernels run: lstm-tanh, gru-tanh, rnn-tanh, rnn-relu, rnn-logistic."""
    return [(c, a) for c in CELLS.values() for a in c.activations]
