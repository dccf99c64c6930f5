"""Layer objects: parameters and their gradients, so a whole network trains without a hand-written
backward pass.

Every layer has `forward(...)` and a `backward(...)` that takes the gradient of the loss w.r.t.
forward's output, *adds* the parameter gradients into the layer's gradient arrays and returns the
gradient w.r.t. forward's input. Between optimiser steps call `zero_grad()`. Beside them,
`jvp(dx, tangents)` is the forward-mode product through the last training forward (run it before
that forward's backward): the tangent of the output along a tangent of the input and tangents of
the parameters, a dict by parameter name whose missing entries are zero (rnnkern.train.curvature
builds Gauss-Newton products from it).

- `LSTM`, `GRU`, `RNN(activation=...)`: stacked recurrent layers over the functional kernels, with
  PyTorch's parameter names and layouts (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`,
  `weight_ih_l1`, ...), so `state_dict()`s move between the two unchanged. With
  `learn_initial_state=True` they also own `h0_l{k}` (and `c0_l{k}`) of shape (H,), shared by every
  sequence in a batch and learned like the weights (lecture slide 15). `bidirectional=True` adds a
  reversed direction to every layer (`weight_ih_l0_reverse`, ...; each sequence from its last valid
  step back to 0), as PyTorch: outputs (T, B, 2H), the forward direction's units first, states
  (2 * num_layers, B, H); both directions of a layer run in one C call, at once.
- `Linear`, `Activation` and `Sequential`: feed-forward layers applied to the last axis, at every time
  step of a sequence (readouts, delay-tap nets).
- `SequenceModel(recurrent, readout)`: input units -> recurrent units -> output units.

Parameters are plain NumPy arrays updated in place (optimisers hold references to them).
`parameters()` yields `Parameter(name, value, grad)`; names are dotted through containers
("recurrent.weight_hh_l0", "readout.weight"). One dtype per network, float32 (the fast path) or
float64; inputs are converted to it.
"""
from collections import namedtuple

import numpy as np

from . import _validate, cells, functional as F

Parameter = namedtuple("Parameter", "name value grad")

_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _dtype(dtype):
    dt = np.dtype(dtype)
    if dt not in _DTYPES:
        raise TypeError(f"dtype: expected float32 or float64, got {dt}")
    return dt


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _one_of(names):
    names = [repr(n) for n in names]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _within(tangents, prefix):
    # {dotted name: tangent} -> the entries under `prefix.`, the prefix removed
    return {k[len(prefix) + 1:]: v for k, v in (tangents or {}).items() if k.startswith(prefix + ".")}


class Module:
    """Owns named parameters with same-shaped gradient arrays, and child modules. dtype None: a
    module without parameters that keeps its input's dtype."""

    def __init__(self, dtype):
        self.dtype = None if dtype is None else _dtype(dtype)
        self._values, self._grads, self._children = {}, {}, {}

    def _add_parameter(self, name, value):
        value = np.ascontiguousarray(value, dtype=self.dtype)
        self._values[name] = value
        self._grads[name] = np.zeros_like(value)

    def _add_child(self, name, module):
        if module.dtype is not None and module.dtype != self.dtype:
            raise TypeError(f"{name}: expected a module of dtype {self.dtype}, got {module.dtype}")
        self._children[name] = module

    def __getattr__(self, name):
        # only called when normal lookup fails: parameters and children read as attributes
        d = self.__dict__
        if name in d.get("_values", {}):
            return d["_values"][name]
        if name in d.get("_children", {}):
            return d["_children"][name]
        raise AttributeError(f"{type(self).__name__} has no attribute or parameter {name!r}")

    def parameters(self):
        """Every parameter of this module and its children: Parameter(name, value, grad)."""
        for name, value in self._values.items():
            yield Parameter(name, value, self._grads[name])
        for prefix, child in self._children.items():
            for p in child.parameters():
                yield Parameter(f"{prefix}.{p.name}", p.value, p.grad)

    def num_parameters(self):
        return sum(p.value.size for p in self.parameters())

    def zero_grad(self):
        for p in self.parameters():
            p.grad.fill(0)

    def state_dict(self):
        """{name: copy of the parameter}, PyTorch's names."""
        return {p.name: p.value.copy() for p in self.parameters()}

    def load_state_dict(self, state):
        """Copy every parameter in from `state` (same names and shapes; converted to this dtype).

        Values are written in place, so optimisers built on this module keep working."""
        params = {p.name: p.value for p in self.parameters()}
        missing, unexpected = sorted(set(params) - set(state)), sorted(set(state) - set(params))
        if missing or unexpected:
            raise KeyError(f"state: missing {missing}, unexpected {unexpected}")
        for name, value in params.items():
            new = np.asarray(state[name])
            if new.shape != value.shape:
                raise ValueError(f"state[{name!r}]: expected shape {value.shape}, got {new.shape}")
            value[...] = new

    def _input(self, x, name="x"):
        return _validate.convertible(name, x, self.dtype)


# ---- recurrent layers -----------------------------------------------------------------------------

class _Recurrent(Module):
    """Stacked recurrent layers over the kernels. Subclasses set _cell (a cells.Cell)."""

    _cell, activation = None, "tanh"

    def __init__(self, input_size, hidden_size, num_layers=1, *, bias=True, learn_initial_state=False,
                 bidirectional=False, dtype=np.float32, rng=None):
        super().__init__(dtype)
        for name, n in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"{name}: expected a positive integer, got {n!r}")
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.bias, self.learn_initial_state = bool(bias), bool(learn_initial_state)
        self.bidirectional = bool(bidirectional)
        self._workspaces, self._used_learned_state = None, False
        rng = _rng(rng)
        H, G, D = self.hidden_size, self._cell.G, self._directions
        # PyTorch's default: every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), in its order
        k = 1.0 / np.sqrt(H)
        for layer, sfx in self._layer_directions():
            fan_in = self.input_size if layer == 0 else D * H
            self._add_parameter(f"weight_ih_l{layer}{sfx}", rng.uniform(-k, k, (G * H, fan_in)))
            self._add_parameter(f"weight_hh_l{layer}{sfx}", rng.uniform(-k, k, (G * H, H)))
            if self.bias:
                self._add_parameter(f"bias_ih_l{layer}{sfx}", rng.uniform(-k, k, G * H))
                self._add_parameter(f"bias_hh_l{layer}{sfx}", rng.uniform(-k, k, G * H))
        if self.learn_initial_state:
            # the lecture's "initial random guess" (slide 15), refined by the gradient like a weight
            for layer, sfx in self._layer_directions():
                for s in self._state_names:
                    self._add_parameter(f"{s}_l{layer}{sfx}", rng.uniform(-k, k, H))

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    def _layer_directions(self):
        """(layer, parameter-name suffix) of every direction in state order: index layer * D + d"""
        return [(layer, sfx) for layer in range(self.num_layers)
                for sfx in ("", "_reverse")[:self._directions]]

    @property
    def _state_names(self):
        return tuple(f"{s}0" for s in self._cell.states)

    def _state_value(self, parts):
        # one array per state name -> the state as users pass it: (h, c) for LSTM, else h
        return tuple(parts) if self._cell.has_cell else parts[0]

    def _layer_params(self, layer, sfx=""):
        p = self._values
        b_ih = p.get(f"bias_ih_l{layer}{sfx}")
        b_hh = p.get(f"bias_hh_l{layer}{sfx}")
        return p[f"weight_ih_l{layer}{sfx}"], p[f"weight_hh_l{layer}{sfx}"], b_ih, b_hh

    def initial_state(self, batch_size):
        """The state a forward without `state` starts from: the learned one broadcast over the batch,
        or zeros. h (L, B, H) for GRU/RNN; (h, c) for LSTM; L = 2 * num_layers when bidirectional."""
        L, H = self.num_layers * self._directions, self.hidden_size
        states = []
        for s in self._state_names:
            if self.learn_initial_state:
                v = np.stack([self._values[f"{s}_l{k}{sfx}"] for k, sfx in self._layer_directions()])
                states.append(np.ascontiguousarray(np.broadcast_to(v[:, None, :], (L, batch_size, H))))
            else:
                states.append(np.zeros((L, batch_size, H), self.dtype))
        return self._state_value(states)

    def _split_state(self, state, B):
        # state as the user passes it -> list over names of (L, B, H) arrays, checked
        L, H = self.num_layers * self._directions, self.hidden_size
        names = self._state_names
        parts = tuple(state) if self._cell.has_cell else (state,)
        if len(parts) != len(names):
            raise ValueError(f"state: expected {' and '.join(names)} for {self._cell.name}, got {len(parts)} arrays")
        out = []
        for name, s in zip(names, parts):
            s = _validate.convertible(f"state ({name[0]})", s, self.dtype)
            if s.shape != (L, B, H):
                raise ValueError(f"state ({name[0]}): expected shape ({'2 * ' if self.bidirectional else ''}"
                                 f"num_layers, B, H) = {(L, B, H)}, got {s.shape}")
            out.append(s)
        return out

    def forward(self, x, state=None, lengths=None, *, training=True):
        """x (T, B, I) -> (y (T, B, H) of the top layer, final state).

        state, and the final state returned: h (num_layers, B, H) for GRU/RNN, (h, c) for LSTM.
        Bidirectional: y (T, B, 2H), the forward direction's units first, and states
        (2 * num_layers, B, H), layer k's forward direction at 2k and its reversed one at 2k + 1.
        Without `state` the network starts from initial_state(B). lengths (B,) as in the functional API.
        training=False keeps nothing for backward (inference)."""
        x = self._input(x)
        if x.ndim != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"x: expected shape (T, B, input_size) with input_size = {self.input_size}, "
                             f"got {x.shape}")
        B = x.shape[1]
        self._used_learned_state = state is None and self.learn_initial_state
        starts = self._split_state(self.initial_state(B) if state is None else state, B)
        finals = [[] for _ in starts]
        workspaces = []
        D = self._directions
        for layer in range(self.num_layers):
            ks = range(layer * D, layer * D + D)
            h0 = [starts[0][k] for k in ks]
            c0 = [starts[1][k] if self._cell.has_cell else None for k in ks]
            if D == 1:
                outs = [F._forward(self._cell.name, self.activation, x, *self._layer_params(layer),
                                   h0[0], c0[0], lengths, training, False)]
            else:  # both directions in one C call, their loops at once
                outs = F._forward_pair(self._cell.name, self.activation, x,
                                       [self._layer_params(layer, sfx) for sfx in ("", "_reverse")],
                                       h0, c0, lengths, training)
            x = outs[0][0] if D == 1 else np.concatenate([o[0] for o in outs], axis=2)
            for _, *ends, ws in outs:
                for f, end in zip(finals, ends):
                    f.append(end)
                workspaces.append(ws)
        self._workspaces = workspaces if training else None
        return x, self._state_value([np.stack(f) for f in finals])

    def backward(self, dy=None, dstate=None, *, return_dh_norms=False):
        """BPTT through the last training forward; adds into every parameter's gradient.

        dy (T, B, H): dL/dy of the top layer (zeros where no target: any subset of steps and units);
        dstate: dL/d(final state), shaped like forward's final state, or None.
        -> (dx (T, B, I), dstate0) where dstate0 is dL/d(initial state), shaped like the state; with
        return_dh_norms=True also dh_norms (num_layers, T, B): ||dL/dh_t|| for every layer, step and
        sequence (how the gradient vanishes or explodes going back in time; lecture slides 25-28);
        bidirectional, dh_norms is (2 * num_layers, T, B) in the states' order."""
        if self._workspaces is None:
            raise RuntimeError("backward: call forward(..., training=True) first (each forward allows one backward)")
        workspaces, self._workspaces = self._workspaces, None
        T, B = workspaces[0].x.shape[:2]
        D, H = self._directions, self.hidden_size
        L = self.num_layers * D
        dfinal = [None] * len(self._state_names) if dstate is None else self._split_state(dstate, B)
        dstarts = [np.empty((L, B, H), self.dtype) for _ in self._state_names]
        norms = np.empty((L, T, B), self.dtype) if return_dh_norms else None
        if dy is not None:
            dy = self._input(dy, "dy")
            if dy.shape != (T, B, D * H):  # checked whole: a slice per direction is taken below
                raise ValueError(f"dy: expected shape (T, B, {'2 * ' if D == 2 else ''}H) = "
                                 f"{(T, B, D * H)}, got {dy.shape}")
        directions = self._layer_directions()
        for layer in reversed(range(self.num_layers)):
            ks = range(layer * D, layer * D + D)
            ends = [[None if d is None else d[k] for d in dfinal] + [None] for k in ks]
            dys = [None if dy is None else dy[:, :, d * H:(d + 1) * H] for d in range(D)]
            out = [None if norms is None else norms[k] for k in ks]
            if D == 1:
                gs = [F._backward(self._cell.name, workspaces[layer], dys[0], ends[0][0], ends[0][1],
                                  out[0], None)]
            else:
                gs = F._backward_pair(self._cell.name, [workspaces[k] for k in ks], dys,
                                      [e[0] for e in ends], [e[1] for e in ends], out)
            grads = self._grads
            for k, g in zip(ks, gs):
                sfx = directions[k][1]
                for d, s in zip(dstarts, self._state_names):
                    d[k] = g["d" + s]
                grads[f"weight_ih_l{layer}{sfx}"] += g["dw_ih"]
                grads[f"weight_hh_l{layer}{sfx}"] += g["dw_hh"]
                if self.bias:
                    grads[f"bias_ih_l{layer}{sfx}"] += g["db_ih"]
                    grads[f"bias_hh_l{layer}{sfx}"] += g["db_hh"]
            dy = gs[0]["dx"] if D == 1 else gs[0]["dx"] + gs[1]["dx"]
        if self._used_learned_state:
            # one initial state shared by the batch: its gradient is the sum over sequences
            for s, d in zip(self._state_names, dstarts):
                for k, (layer, sfx) in enumerate(directions):
                    self._grads[f"{s}_l{layer}{sfx}"] += d[k].sum(axis=0)
        dstate0 = self._state_value(dstarts)
        return (dy, dstate0, norms) if return_dh_norms else (dy, dstate0)

    def jvp(self, dx=None, tangents=None, dstate=None):
        """Forward-mode product through the last training forward, before its backward: the
        tangents of (y (T, B, H), final state) along dx (T, B, I), the parameters' `tangents`
        ({name: array shaped like the parameter}, missing ones zero) and dstate, a tangent of
        the initial state shaped like it (a learned initial state takes its tangent from
        `tangents`). One C call per layer (rnnkern.lstm_jvp / gru_jvp / rnn_jvp)."""
        if self.bidirectional:
            raise NotImplementedError("jvp: not implemented for bidirectional=True (the reversed "
                                      "direction has no forward-mode kernel yet)")
        if self._workspaces is None:
            raise RuntimeError("jvp: call forward(..., training=True) first, and jvp before backward")
        tangents = {k: self._input(v) for k, v in (tangents or {}).items()}
        B, H = self._workspaces[0].x.shape[1], self.hidden_size
        starts = [None] * len(self._state_names) if dstate is None else self._split_state(dstate, B)
        finals = [[] for _ in self._state_names]
        for layer, ws in enumerate(self._workspaces):
            kw = {arg: tangents.get(f"{name}_l{layer}") for arg, name in
                  (("dw_ih", "weight_ih"), ("dw_hh", "weight_hh"), ("db_ih", "bias_ih"), ("db_hh", "bias_hh"))}
            for s, start in zip(self._state_names, starts):
                d = None if start is None else start[layer]
                learned = tangents.get(f"{s}_l{layer}") if self._used_learned_state else None
                if learned is not None:  # one initial state for the batch: its tangent in every row
                    d = np.broadcast_to(learned, (B, H)) + (0 if d is None else d)
                kw["d" + s] = d
            dx, *ends = F._jvp(self._cell.name, ws, None if dx is None else self._input(dx),
                               kw["dw_ih"], kw["dw_hh"], kw["db_ih"], kw["db_hh"], kw["dh0"], kw.get("dc0"))
            for f, end in zip(finals, ends):
                f.append(end)
        return dx, self._state_value([np.stack(f) for f in finals])

    def __repr__(self):
        extra = f", activation={self.activation!r}" if self._cell.takes_activation else ""
        return (f"{type(self).__name__}({self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
                f"{extra}{', bidirectional=True' if self.bidirectional else ''}, "
                f"learn_initial_state={self.learn_initial_state}, dtype={self.dtype})")


class LSTM(_Recurrent):
    """LSTM layers (gates i, f, g, o; PyTorch's names and layout). State (h, c), each (L, B, H)."""

    _cell = cells.LSTM


class GRU(_Recurrent):
    """GRU layers (gates r, z, n; PyTorch's names and layout). State h (L, B, H)."""

    _cell = cells.GRU


class RNN(_Recurrent):
    """Vanilla RNN layers h' = act(W_ih x + b_ih + W_hh h + b_hh), act "tanh" | "relu" | "logistic"
    (the lecture's units). State h (L, B, H)."""

    _cell = cells.RNN

    def __init__(self, input_size, hidden_size, num_layers=1, *, activation="tanh", **kw):
        if activation not in self._cell.activations:
            raise ValueError(f"activation: expected {_one_of(self._cell.activations)}, got {activation!r}")
        self.activation = activation
        super().__init__(input_size, hidden_size, num_layers, **kw)


# ---- feed-forward layers --------------------------------------------------------------------------

class Linear(Module):
    """y = x W^T + b on the last axis: x (..., in_features) -> y (..., out_features).
    weight (out_features, in_features), bias (out_features,), initialised as PyTorch's."""

    def __init__(self, in_features, out_features, *, bias=True, dtype=np.float32, rng=None):
        super().__init__(dtype)
        self.in_features, self.out_features = int(in_features), int(out_features)
        rng = _rng(rng)
        k = 1.0 / np.sqrt(self.in_features)
        self._add_parameter("weight", rng.uniform(-k, k, (self.out_features, self.in_features)))
        if bias:
            self._add_parameter("bias", rng.uniform(-k, k, self.out_features))
        self._x = None

    def forward(self, x, *, training=True):
        x = self._input(x)
        if x.shape[-1] != self.in_features:
            raise ValueError(f"x: expected last dimension in_features = {self.in_features}, got shape {x.shape}")
        self._x = x if training else None
        y = x @ self._values["weight"].T
        if "bias" in self._values:
            y += self._values["bias"]
        return y

    def backward(self, dy):
        """dy (..., out_features) -> dx (..., in_features); adds into weight and bias gradients."""
        if self._x is None:
            raise RuntimeError("backward: call forward(..., training=True) first")
        dy = self._input(dy, "dy")
        x2 = self._x.reshape(-1, self.in_features)
        dy2 = dy.reshape(-1, self.out_features)
        self._grads["weight"] += dy2.T @ x2
        if "bias" in self._grads:
            self._grads["bias"] += dy2.sum(axis=0)
        self._x = None
        return dy @ self._values["weight"]

    def jvp(self, dx=None, tangents=None):
        """Forward-mode product through the last training forward: dx W^T + x dW^T + db."""
        if self._x is None:
            raise RuntimeError("jvp: call forward(..., training=True) first, and jvp before backward")
        tangents = tangents or {}
        dy = np.zeros(self._x.shape[:-1] + (self.out_features,), self.dtype)
        if dx is not None:
            dy += self._input(dx) @ self._values["weight"].T
        if tangents.get("weight") is not None:
            dy += self._x @ self._input(tangents["weight"]).T
        if tangents.get("bias") is not None and "bias" in self._values:
            dy += self._input(tangents["bias"])
        return dy

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features}, dtype={self.dtype})"


class Activation(Module):
    """Element-wise "tanh" | "relu" | "logistic" units, no parameters; float inputs keep their dtype."""

    _FUNCTIONS = cells.UNITS

    def __init__(self, name, *, dtype=None):
        super().__init__(dtype)
        if name not in self._FUNCTIONS:
            raise ValueError(f"name: expected {_one_of(self._FUNCTIONS)}, got {name!r}")
        self.name, self._y = name, None

    def forward(self, x, *, training=True):
        x = np.asarray(x) if self.dtype is None else self._input(x)
        y = self._FUNCTIONS[self.name][0](x)
        self._y = y if training else None
        return y

    def backward(self, dy):
        if self._y is None:
            raise RuntimeError("backward: call forward(..., training=True) first")
        dx = np.asarray(dy, self._y.dtype) * self._FUNCTIONS[self.name][1](self._y)
        self._y = None
        return dx

    def jvp(self, dx=None, tangents=None):
        """Forward-mode product through the last training forward: dx * f'(x)."""
        if self._y is None:
            raise RuntimeError("jvp: call forward(..., training=True) first, and jvp before backward")
        if dx is None:
            return np.zeros_like(self._y)
        return np.asarray(dx, self._y.dtype) * self._FUNCTIONS[self.name][1](self._y)

    def __repr__(self):
        return f"Activation({self.name!r})"


class Sequential(Module):
    """Feed-forward layers applied in turn (Linear, Activation, Sequential): x (..., F) -> (..., F')."""

    def __init__(self, *layers):
        dtypes = [layer.dtype for layer in layers if layer.dtype is not None]
        if not dtypes:
            raise ValueError("layers: expected at least one layer with parameters")
        super().__init__(dtypes[0])
        self.layers = list(layers)
        for i, layer in enumerate(layers):
            if isinstance(layer, (_Recurrent, SequenceModel)):
                raise TypeError(f"layers[{i}]: Sequential takes feed-forward layers; use SequenceModel "
                                f"for a recurrent network")
            self._add_child(str(i), layer)

    def forward(self, x, *, training=True):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, dy):
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def jvp(self, dx=None, tangents=None):
        for i, layer in enumerate(self.layers):
            dx = layer.jvp(dx, _within(tangents, str(i)))
        return dx

    def __repr__(self):
        return "Sequential(" + ", ".join(map(repr, self.layers)) + ")"


class SequenceModel(Module):
    """Input units -> recurrent layers -> output units: the whole network of the lecture.

    x (T, B, I) -> out (T, B, K) = readout(recurrent(x)) at every step. Parameters are named
    "recurrent.<name>" and "readout.<name>"."""

    def __init__(self, recurrent, readout):
        if not isinstance(recurrent, _Recurrent):
            raise TypeError(f"recurrent: expected an LSTM, GRU or RNN layer, got {type(recurrent).__name__}")
        super().__init__(recurrent.dtype)
        self.recurrent, self.readout = recurrent, readout
        self._add_child("recurrent", recurrent)
        self._add_child("readout", readout)

    def forward(self, x, state=None, lengths=None, *, training=True):
        """-> (out (T, B, K), final recurrent state)."""
        y, final = self.recurrent.forward(x, state, lengths, training=training)
        return self.readout.forward(y, training=training), final

    def backward(self, dout, dstate=None, *, return_dh_norms=False):
        """dout (T, B, K): dL/dout -> (dx, dstate0[, dh_norms]) as the recurrent layer's backward."""
        dy = self.readout.backward(dout)
        return self.recurrent.backward(dy, dstate, return_dh_norms=return_dh_norms)

    def jvp(self, dx=None, tangents=None, dstate=None, *, return_hidden=False):
        """-> (tangent of out (T, B, K), tangent of the final recurrent state[, tangent of the
        recurrent output (T, B, H) with return_hidden=True]); `tangents` by dotted name
        ("recurrent.weight_hh_l0"), missing ones zero."""
        dy, dfinal = self.recurrent.jvp(dx, _within(tangents, "recurrent"), dstate)
        dout = self.readout.jvp(dy, _within(tangents, "readout"))
        return (dout, dfinal, dy) if return_hidden else (dout, dfinal)

    def __repr__(self):
        return f"SequenceModel({self.recurrent!r}, {self.readout!r})"
