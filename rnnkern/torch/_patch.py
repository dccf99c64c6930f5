"""rnnkern.torch.patch(): torch.nn.LSTM / GRU / RNN resolve to the drop-ins, so that unmodified
code switches with one line. A function call patches until undo(); a `with` block until its end."""
from torch import nn

from ._modules import GRU, LSTM, RNN

_NAMES = {"LSTM": LSTM, "GRU": GRU, "RNN": RNN}


class patch:
    """Makes torch.nn.LSTM, torch.nn.GRU and torch.nn.RNN the rnnkern drop-ins, now:
    `rnnkern.torch.patch()` for the rest of the process (or until `.undo()`), or
    `with rnnkern.torch.patch(): ...` for a block. Code that bound the classes before
    (`from torch.nn import LSTM` at its import) keeps torch's."""

    def __init__(self):
        import torch._dynamo.config as dynamo

        self._saved = {name: getattr(nn, name) for name in _NAMES}
        # Dynamo refuses to trace instances of torch.nn.LSTM/GRU/RNN as it finds them now, which
        # while patched are the drop-ins; allow_rnn lets it trace them whole, as it does unpatched
        self._dynamo, self._allow_rnn = dynamo, dynamo.allow_rnn
        dynamo.allow_rnn = True
        for name, cls in _NAMES.items():
            setattr(nn, name, cls)

    def undo(self):
        """Puts back the classes torch.nn had before this patch."""
        for name, cls in self._saved.items():
            setattr(nn, name, cls)
        self._dynamo.allow_rnn = self._allow_rnn

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.undo()
