"""Writes lstm_expected.h: rnnkern.reference's float64 LSTM forward and backward on the inputs that
test_lstm_core.c makes (lstm_value, the same formula in both: exact binary fractions). Run it
again after a change to the shapes or the formula: python tests/c/make_lstm_expected.py"""
import os

import numpy as np

from rnnkern import reference as ref

T, B, I, H = 5, 3, 7, 19  # H past one 16-unit panel; the last sequence ends early, one is empty
LENGTHS = (5, 2, 0)


def lstm_value(seed, n):
    i = np.arange(n, dtype=np.int64)
    return ((i * 37 + seed * 101) % 199 - 99) / 256.0


def inputs():
    x = lstm_value(1, T * B * I).reshape(T, B, I)
    w_ih = lstm_value(2, 4 * H * I).reshape(4 * H, I)
    w_hh = lstm_value(3, 4 * H * H).reshape(4 * H, H)
    b_ih, b_hh = lstm_value(4, 4 * H), lstm_value(5, 4 * H)
    h0, c0 = lstm_value(6, B * H).reshape(B, H), lstm_value(7, B * H).reshape(B, H)
    dy = lstm_value(8, T * B * H).reshape(T, B, H)
    dhT, dcT = lstm_value(9, B * H).reshape(B, H), lstm_value(10, B * H).reshape(B, H)
    return x, w_ih, w_hh, b_ih, b_hh, h0, c0, dy, dhT, dcT


def main():
    x, w_ih, w_hh, b_ih, b_hh, h0, c0, dy, dhT, dcT = inputs()
    lengths = np.array(LENGTHS, dtype=np.int64)
    y, hT, cT, cache = ref.lstm_forward(x, w_ih, w_hh, b_ih, b_hh, h0=h0, c0=c0, lengths=lengths)
    g = ref.lstm_backward(cache, dy, dhT=dhT, dcT=dcT)
    arrays = {"y": y, "hT": hT, "cT": cT, "dx": g.dx, "dw_ih": g.dw_ih, "dw_hh": g.dw_hh,
              "db_ih": g.db_ih, "db_hh": g.db_hh, "dh0": g.dh0, "dc0": g.dc0}
    out = ["/* Written by make_lstm_expected.py from rnnkern.reference (float64): do not edit. */",
           f"#define LSTM_T {T}", f"#define LSTM_B {B}", f"#define LSTM_I {I}", f"#define LSTM_H {H}",
           f"static const int64_t lstm_lengths[LSTM_B] = {{{', '.join(map(str, LENGTHS))}}};"]
    for name, a in arrays.items():
        flat = a.ravel()
        vals = ",\n    ".join(", ".join(f"{v:.17g}" for v in flat[i:i + 4]) for i in range(0, a.size, 4))
        out.append(f"static const double expected_{name}[{a.size}] = {{\n    {vals}}};")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lstm_expected.h")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
