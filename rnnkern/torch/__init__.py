"""rnnkern.torch: drop-in torch.nn.LSTM / GRU / RNN on rnnkern's CPU kernels (needs torch >= 2.4;
imported only when asked for, never by `import rnnkern`).

    rnnkern.torch.patch()          # torch.nn.LSTM / GRU / RNN are now the drop-ins
    m = rnnkern.torch.LSTM(10, 20, num_layers=2, batch_first=True)
    m = rnnkern.torch.from_torch(torch_lstm); m.to_torch()

The modules subclass torch.nn.RNNBase with torch.nn's constructor, parameters, state_dict and
forward contract; autograd runs through the torch.library ops rnnkern::forward / rnnkern::backward.
"""
import torch as _torch

from ._modules import GRU, LSTM, RNN, from_torch
from ._patch import patch

# torch.load(weights_only=True) of a whole saved module
_torch.serialization.add_safe_globals([LSTM, GRU, RNN])

__all__ = ["LSTM", "GRU", "RNN", "from_torch", "patch"]
