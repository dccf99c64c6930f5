"""rnnkern.torch.LSTM / GRU / RNN: torch.nn.RNNBase subclasses with torch.nn's contract (constructor,
parameters, initialisation, state_dict, forward) whose every layer runs through the custom ops
rnnkern::forward / rnnkern::backward, or rnnkern::forward_pair / backward_pair for both directions
of a bidirectional layer at once. RNNBase, not nn.LSTM: torch.compile refuses to
trace nn.LSTM / GRU / RNN and their subclasses, and compiles an RNNBase subclass whole.

What the kernels cannot run falls back to torch.nn's own forward on the same parameters: LSTM
proj_size > 0 (one warning), dtypes other than float32/float64, devices other than the CPU, and
torch.func transforms. Double backward raises (rnnkern/torch/_ops.py).
"""
import warnings

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence

from .. import cells
from . import _ops

# torch.nn's mode -> (rnnkern cell, activation)
_MODES = {"LSTM": (cells.LSTM, "tanh"), "GRU": (cells.GRU, "tanh"), "RNN_TANH": (cells.RNN, "tanh"),
          "RNN_RELU": (cells.RNN, "relu")}
_warned = set()


def _warn_once(key, msg):
    if key not in _warned:
        _warned.add(key)
        warnings.warn(msg, stacklevel=3)


def _unpack(packed):
    """A PackedSequence as time-major padded data (T, B, F) in the batch's own order, zero past each
    sequence's end, its lengths (B,) int64 and the padded row (t * B + b) of every packed row."""
    data, batch_sizes, sorted_indices, _ = packed
    T, B = batch_sizes.numel(), int(batch_sizes[0])
    valid = torch.arange(B)[None, :] < batch_sizes[:, None]           # (T, sorted position)
    t, i = valid.nonzero(as_tuple=True)                                # packed order: t, then i
    b = sorted_indices[i] if sorted_indices is not None else i
    rows = t * B + b
    lengths = torch.empty(B, dtype=torch.int64)
    lengths[b[t == 0]] = valid.sum(0)[i[t == 0]]
    x = data.new_zeros((T * B, data.shape[1])).index_copy(0, rows.to(data.device), data)
    return x.view(T, B, -1), lengths, rows


class _RNNBase(nn.RNNBase):
    """The forward shared by the three drop-ins; subclasses set the mode and hx's form."""

    def _rnnkern_cell(self):
        return _MODES[self.mode]

    def _torch_class(self):
        return getattr(nn, _MODES[self.mode][0].torch_name)

    def _torch_forward(self, input, hx):
        if self._rnnkern_cell()[1] not in cells.TORCH_UNITS:
            raise NotImplementedError("rnnkern.torch.RNN(nonlinearity='logistic') has no torch.nn "
                                      f"counterpart to fall back to for this input")
        return self._torch_class().forward(self, input, hx)

    def _fallback_reason(self, input):
        data = input.data if isinstance(input, PackedSequence) else input
        w = getattr(self, self._flat_weights_names[0])
        if self.proj_size > 0:
            return "proj_size > 0"
        if w.dtype not in (torch.float32, torch.float64):
            return f"dtype {w.dtype}"
        if w.device.type != "cpu" or data.device.type != "cpu":
            return f"device {data.device.type}"
        if not torch.compiler.is_compiling() and torch._C._are_functorch_transforms_active():
            return "a torch.func transform"
        return None

    def forward(self, input, hx=None):
        # no _update_flat_weights(): _stack reads every parameter by name, and torch.nn's forward,
        # the fallback, refreshes _flat_weights itself
        reason = self._fallback_reason(input)
        if reason is not None:
            if isinstance(input, PackedSequence) and hx is not None:  # torch.nn reads past a wrong-sized hx here
                self.check_forward_args(input.data, self.permute_hidden(hx, input.sorted_indices),
                                        input.batch_sizes)
            _warn_once(reason, f"rnnkern.torch.{type(self).__name__}: {reason} runs on torch.nn's "
                               "own implementation (rnnkern's kernels do not cover it)")
            return self._torch_forward(input, hx)
        lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        if packed:
            checked, batch_sizes, is_batched = input.data, input.batch_sizes, True
            B = int(batch_sizes[0])
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got "
                                 f"{input.dim()}D {'instead' if lstm else 'tensor instead'}")
            batch_sizes, is_batched = None, input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(0 if self.batch_first else 1)
            checked, B = input, input.size(0 if self.batch_first else 1)
        if hx is None:
            zeros = checked.new_zeros((self.num_layers * (2 if self.bidirectional else 1), B,
                                       self.hidden_size))
            hx = (zeros, zeros) if lstm else zeros
        elif packed:  # torch.nn's packed path permutes hx first, and its kernel checks the type
            self.permute_hidden(hx, input.sorted_indices)
            self._check_hx_type(hx)
        else:
            hx = self._hx_dims(hx, is_batched)
        self.check_forward_args(checked, hx, batch_sizes)
        if not packed:  # after torch.nn's shape checks, as its kernel's
            self._check_hx_type(hx)
        # what torch.nn's own kernels refuse after these checks, with the same exception type
        if not packed and input.size(1 if self.batch_first else 0) == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        for h in (hx if lstm else (hx,)):
            if h.dtype != checked.dtype:
                raise RuntimeError(f"hx: expected dtype {checked.dtype} (the input's), got {h.dtype}")
        if packed:
            x, lengths, rows = _unpack(input)
        else:
            x, lengths, rows = input.transpose(0, 1) if self.batch_first else input, None, None
        h0, c0 = hx if lstm else (hx, None)
        y, h, c = self._stack(x.contiguous(), h0, c0, lengths, rows)
        hidden = (h, c) if lstm else h
        if packed:
            return PackedSequence(y.reshape(-1, y.shape[2]).index_select(0, rows), input.batch_sizes,
                                  input.sorted_indices, input.unsorted_indices), hidden
        if self.batch_first:
            y = y.transpose(0, 1)
        if not is_batched:
            y = y.squeeze(0 if self.batch_first else 1)
            hidden = (h.squeeze(1), c.squeeze(1)) if lstm else h.squeeze(1)
        return y, hidden

    def _check_hx_type(self, hx):
        """What torch.nn's LSTM kernel raises for an hx that is not a pair (h_0, c_0)"""
        if self.mode == "LSTM" and not isinstance(hx, (tuple, list)):
            raise TypeError(f"lstm(): hx must be a tuple of tensors (h_0, c_0), got "
                            f"{type(hx).__name__}")

    def _hx_dims(self, hx, is_batched):
        want = 3 if is_batched else 2
        kind = "batched 3-D" if is_batched else "unbatched 2-D"
        if self.mode == "LSTM":
            if hx[0].dim() != want or hx[1].dim() != want:
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                   f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
            return hx if is_batched else (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
        if hx.dim() != want:
            raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                               f"{hx.dim()}-D tensor")
        return hx if is_batched else hx.unsqueeze(1)

    def _stack(self, x, h0, c0, lengths, rows):
        """Every layer and direction over time-major x (T,B,I) -> y (T,B,D*H), h_n, c_n (L*D,B,H).
        Dropout between layers draws with torch's RNG through F.dropout, on the layout torch.nn
        draws it on (the packed rows for packed input), so the masks equal torch.nn's."""
        cell, activation = self._rnnkern_cell()
        cell = cell.name
        D = 2 if self.bidirectional else 1
        params = [[getattr(self, n) for n in names] for names in self._all_weights]
        need_ws = torch.is_grad_enabled() and (
            x.requires_grad or h0.requires_grad or (c0 is not None and c0.requires_grad)
            or any(p.requires_grad for ps in params for p in ps))
        hs, cs = [], []
        for layer in range(self.num_layers):
            k = layer * D
            w = [params[j] if self.bias else params[j] + [None, None] for j in range(k, k + D)]
            c = [c0[j] if c0 is not None else None for j in range(k, k + D)]
            if D == 1:
                y, hT, cT, _ = _ops.layer_forward(x, *w[0], h0[k], c[0], lengths, cell,
                                                  activation, False, need_ws, lengths is not None)
                x = y
                hs.append(hT)
                cs.append(cT)
            else:  # both directions in one call, their loops at once
                y, hT, cT, _, y_r, hT_r, cT_r, _ = _ops.layer_forward_pair(
                    x, *w[0], *w[1], h0[k], h0[k + 1], c[0], c[1], lengths, cell, activation,
                    need_ws, lengths is not None)
                x = torch.cat((y, y_r), 2)
                hs += [hT, hT_r]
                cs += [cT, cT_r]
            if self.dropout and self.training and layer < self.num_layers - 1:
                if rows is None:
                    x = F.dropout(x, self.dropout, True)
                else:
                    flat = F.dropout(x.reshape(-1, x.shape[2]).index_select(0, rows), self.dropout, True)
                    x = x.new_zeros(x.shape).view(-1, x.shape[2]).index_copy(0, rows, flat).view(x.shape)
        return x, torch.stack(hs), (torch.stack(cs) if c0 is not None else None)

    def to_torch(self):
        """The torch.nn module with this one's configuration and a copy of its parameters."""
        kind = self._torch_class()
        if self._rnnkern_cell()[1] not in cells.TORCH_UNITS:
            raise ValueError("nonlinearity: torch.nn.RNN has no 'logistic' unit, so this module has "
                             "no torch.nn counterpart")
        m = kind(**_config(self))
        m.load_state_dict(self.state_dict())
        return m.train(self.training)


def _config(m):
    w = getattr(m, m._flat_weights_names[0])
    cfg = dict(input_size=m.input_size, hidden_size=m.hidden_size, num_layers=m.num_layers,
               bias=m.bias, batch_first=m.batch_first, dropout=m.dropout,
               bidirectional=m.bidirectional, device=w.device, dtype=w.dtype)
    if m.mode == "LSTM":
        cfg["proj_size"] = m.proj_size
    if m.mode.startswith("RNN"):
        cfg["nonlinearity"] = m.nonlinearity
    return cfg


class LSTM(_RNNBase):
    """Drop-in torch.nn.LSTM: same arguments, parameters, state_dict and forward contract."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    get_expected_cell_size = nn.LSTM.get_expected_cell_size
    check_forward_args = nn.LSTM.check_forward_args
    permute_hidden = nn.LSTM.permute_hidden


class GRU(_RNNBase):
    """Drop-in torch.nn.GRU: same arguments, parameters, state_dict and forward contract."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNN(_RNNBase):
    """Drop-in torch.nn.RNN: nonlinearity 'tanh' or 'relu', and rnnkern's 'logistic' unit too."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in cells.RNN.activations:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or "
                             "'relu' (or rnnkern's 'logistic').")
        # RNNBase knows no logistic mode; _rnnkern_cell reads the unit from self.nonlinearity
        super().__init__("RNN_RELU" if self.nonlinearity == "relu" else "RNN_TANH", *args, **kwargs)

    def _rnnkern_cell(self):
        return cells.RNN, self.nonlinearity

    def extra_repr(self):
        s = super().extra_repr()
        return s + ", nonlinearity='logistic'" if self.nonlinearity == "logistic" else s


_DROP_INS = {nn.LSTM: LSTM, nn.GRU: GRU, nn.RNN: RNN}


def from_torch(module):
    """The drop-in for a torch.nn.LSTM / GRU / RNN: its configuration, training mode and a copy of
    its parameters (state_dict)."""
    kind = next((k for k in _DROP_INS if type(module) is k), None)
    if kind is None:
        raise TypeError("module: expected a torch.nn.LSTM, GRU or RNN, got "
                        f"{type(module).__module__}.{type(module).__name__}")
    m = _DROP_INS[kind](**_config(module))
    m.load_state_dict(module.state_dict())
    return m.train(module.training)
