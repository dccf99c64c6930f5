"""Streaming: one step at a time on packed weights, for callers that get their input as it comes
(speech, control, online handwriting).

    s = rnnkern.LSTMStream(rnnkern.pack_lstm(w_ih, w_hh, b_ih, b_hh), batch_size=1)
    for x_t in frames:                # x_t (B, I)
        h_t = s.step(x_t)             # the state's read-only view, overwritten by the next step

step() allocates nothing: the state and the kernel's arguments are kept, and the kernel's scratch
comes from its pool. run(x_chunk) advances T steps in one kernel call, reset(h0, c0) sets the
state, `state` is h (or (h, c)) as read-only views. Steps give bitwise the values of one
whole-sequence forward over the concatenated input.
"""
from . import _serving


class _CellStream(_serving.Stream):
    _cell = None

    def __init__(self, handle, batch_size):
        if not isinstance(handle, _serving.PackedWeights) or handle.cell != self._cell:
            got = handle.cell if isinstance(handle, _serving.PackedWeights) else type(handle).__name__
            raise TypeError(f"handle: expected the packed weights of a {self._cell.upper()} "
                            f"(rnnkern.pack_{self._cell}), got {got}")
        super().__init__(handle, batch_size)


class LSTMStream(_CellStream):
    """An LSTM advanced step by step: state (h, c), each (B, H)."""
    _cell = "lstm"


class GRUStream(_CellStream):
    """A GRU advanced step by step: state h (B, H)."""
    _cell = "gru"


class RNNStream(_CellStream):
    """A vanilla RNN advanced step by step: state h (B, H)."""
    _cell = "rnn"
