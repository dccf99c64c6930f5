"""Gradient containers returned by every backward (functional API and reference alike)."""
from collections import namedtuple

LSTMGrads = namedtuple("LSTMGrads", "dx dw_ih dw_hh db_ih db_hh dh0 dc0")
GRUGrads = namedtuple("GRUGrads", "dx dw_ih dw_hh db_ih db_hh dh0")
RNNGrads = namedtuple("RNNGrads", "dx dw_ih dw_hh db_ih db_hh dh0")
