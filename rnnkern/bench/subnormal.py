"""`python -m rnnkern bench --subnormal`: the cost of subnormal states (docs/reliability.md, Subnormals).

rnnkern keeps IEEE arithmetic (no flush to zero), so x86 cores may take a micro-code assist on each
subnormal operand. Each row times one cell's forward (training=False, one thread, this process, the
ISA asked for) on two problems that differ only in the initial state: zero input, weights 0.999 * I
on the recurrent diagonal and gate biases that hold the state (LSTM: forget gate open, input gate
shut; GRU: update gate open), so it decays by at most 0.1 % a step and stays where h0 (and c0) put
it for the whole sequence: 0.5 (normal) or tiny / 2 (subnormal at every step: 0.999 ** T > 0.1).
The two take turns call by call, so a load that changes hits both alike. The ratio
subnormal/normal is the slowdown; about 1 means no cliff. Each row shows the share of y that is
subnormal in both problems: 0 % and 100 % when they are what they say.
"""
import json
import time

import numpy as np

CELLS = (("lstm", None, 4), ("gru", None, 3), ("rnn", "tanh", 1))
T, B, H = 2000, 8, 64
DECAY = 0.999


# Gate biases that hold the state (gate order as in docs/architecture.md): without them an LSTM's or
# GRU's state decays geometrically, into subnormals within a few hundred steps from 0.5 as well.
HOLD = {"lstm": {0: -20.0, 1: 7.0}, "gru": {1: 7.0}, "rnn": {}}  # gate index -> bias


def _problem(kind, activation, gates, dtype, state):
    x = np.zeros((T, B, H), dtype)
    bias = np.zeros((gates, H))
    for gate, value in HOLD[kind].items():
        bias[gate] = value
    args = dict(w_ih=np.zeros((gates * H, H), dtype),
                w_hh=(np.eye(H)[None].repeat(gates, 0).reshape(gates * H, H) * DECAY).astype(dtype),
                b_ih=bias.reshape(-1).astype(dtype), h0=np.full((B, H), state, dtype), training=False)
    if kind == "lstm":
        args["c0"] = np.full((B, H), state, dtype)
    if activation:
        args["activation"] = activation
    return x, args


def _medians_s(calls, reps):
    """Median seconds of each call, the calls taking turns."""
    times = [[] for _ in calls]
    for call in calls:
        call()  # warm: workspace and panels
    for _ in range(reps):
        for call, ts in zip(calls, times):
            t0 = time.perf_counter()
            call()
            ts.append(time.perf_counter() - t0)
    return [float(np.median(ts)) for ts in times]


def run(args, isa):
    import rnnkern

    rnnkern.set_isa(isa)
    rnnkern.set_num_threads(1)
    dtype = np.dtype(args.dtype)
    tiny = np.finfo(dtype).tiny
    rows = []
    print(f"subnormal states vs normal ones: forward, T={T} B={B} I=H={H}, {dtype.name}, isa {isa}, 1 thread")
    print(f"{'cell':<6} {'normal ms':>10} {'subnormal ms':>13} {'ratio':>6}  subnormal share of y (normal, subnormal)")
    for kind, activation, gates in CELLS:
        fn = getattr(rnnkern, f"{kind}_forward")
        row, calls = {"cell": kind}, []
        for name, state in (("normal", 0.5), ("subnormal", tiny / 2)):
            x, kw = _problem(kind, activation, gates, dtype, state)
            y = fn(x, **kw)[0]
            row[name] = {"subnormal_share": float(np.mean((np.abs(y) < tiny) & (y != 0)))}
            calls.append(lambda x=x, kw=kw: fn(x, **kw))
        row["normal"]["s"], row["subnormal"]["s"] = _medians_s(calls, args.reps)
        row["ratio"] = row["subnormal"]["s"] / row["normal"]["s"]
        rows.append(row)
        print(f"{kind:<6} {row['normal']['s'] * 1e3:>10.2f} {row['subnormal']['s'] * 1e3:>13.2f} "
              f"{row['ratio']:>6.2f}  {row['normal']['subnormal_share']:.0%}, {row['subnormal']['subnormal_share']:.0%}")
    with open(args.json, "w") as f:
        json.dump({"subnormal": rows, "T": T, "B": B, "H": H, "dtype": dtype.name, "isa": isa}, f, indent=1)
    print(f"wrote {args.json}")
    return 0
