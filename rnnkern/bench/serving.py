"""`python -m rnnkern bench --serving`: what a serving caller pays per call, on one thread (LSTM,
float32, I = H = 64 unless --shapes says otherwise).

- forward rows: one call at T = 1, 10 and 100 steps, B = 1 and 8, through a packed handle
  (rnnkern.pack_lstm), the functional call (rnnkern.lstm_forward) and torch.nn.LSTM; the fixed cost
  per call is the intercept a of a least-squares fit time = a + b * T over the three lengths.
- step rows: one step of rnnkern.LSTMStream.step against torch.nn.LSTMCell called step by step.

Each contender runs in its own process (worker.py, with its users' environment: env.py) and the
contenders take turns, one batch of calls at a time; a batch lasts about --batch-s seconds and its
time per call is one sample; rows report medians of --reps samples.
"""
import functools
import time

from .contenders import RNNKERN, TORCH, numpy_call, torch_call, torch_module
from .problems import make_problem

TS, BS = (1, 10, 100), (1, 8)
# (row kind, contender process, way): the contenders of each kind of row, in the order they print
WAYS = {"forward": ((RNNKERN, "packed"), (RNNKERN, "functional"), (TORCH, "nn.LSTM")),
        "step": ((RNNKERN, "LSTMStream.step"), (TORCH, "nn.LSTMCell"))}
FIXED_COST_TARGET = 10.0  # torch's fixed cost per call over rnnkern's packed one, at T = 1, B = 1
STEP_TARGET_S = 2e-6      # LSTMStream.step at B = 1, H = 64, Python included


def build(torch, way, mode, T, B, I, H, seed):
    """run() of one call of `way` in this process (rnnkern's or torch's)."""
    p = make_problem("lstm", T, B, I, H, seed=seed)
    if way == "functional":
        import rnnkern
        return numpy_call(rnnkern, "lstm", mode, p)[1]
    if way == "nn.LSTM":
        return torch_call(torch, torch_module(torch, "lstm", p), mode, p)[1]
    if way in ("packed", "LSTMStream.step"):
        import rnnkern
        handle = rnnkern.pack_lstm(p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
        if way == "LSTMStream.step":
            # the bound step itself, as a caller's loop calls it: no extra Python frame
            return functools.partial(rnnkern.LSTMStream(handle, B).step, p["x"][0])
        x, dy = p["x"], p["dy"]
        if mode == "inference":
            return lambda: handle.forward(x)
        return lambda: rnnkern.lstm_backward(handle.forward(x, training=True)[-1], dy)
    if way == "nn.LSTMCell":
        cell = torch_module(torch, "lstm", p)
        c = torch.nn.LSTMCell(I, H)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(c, name).copy_(getattr(cell, name + "_l0"))
        x_t, state = torch.from_numpy(p["x"][0]), [(torch.zeros(B, H), torch.zeros(B, H))]

        def run():
            with torch.no_grad():
                state[0] = c(x_t, state[0])
        return run
    raise ValueError(f"way: unknown contender {way!r}")


def batch_time(run, batch_s):
    """Seconds per call of run(), over a batch of calls lasting about batch_s."""
    t0, n = time.perf_counter(), 0
    while True:  # calibrate: double until a batch takes a tenth of batch_s
        n = max(1, 2 * n)
        t0 = time.perf_counter()
        for _ in range(n):
            run()
        dt = time.perf_counter() - t0
        if dt > batch_s / 10:
            break
    n = max(1, int(n * batch_s / dt))
    t0 = time.perf_counter()
    for _ in range(n):
        run()
    return (time.perf_counter() - t0) / n


def fit_fixed_cost(ts, seconds):
    """a of the least-squares line seconds = a + b * T."""
    n = len(ts)
    mt, ms = sum(ts) / n, sum(seconds) / n
    b = sum((t - mt) * (s - ms) for t, s in zip(ts, seconds)) / sum((t - mt) ** 2 for t in ts)
    return ms - b * mt


def rows(modes):
    """(kind, mode, T, B) of every row, in order."""
    out = [("forward", mode, T, B) for mode in modes for B in BS for T in TS]
    return out + [("step", "inference", 1, B) for B in BS]


def main(args, workers):
    """The --serving run: workers {kind: Worker} (torch's missing when unavailable); -> exit status."""
    from statistics import median

    I, H = args.serving_size
    results = {}
    print(f"serving: LSTM float32, I = {I}, H = {H}, one thread, {args.reps} samples per row of "
          f"batches of about {args.batch_s} s, contenders taking turns, each in its own process")
    print(f"{'row':24s} " + " ".join(f"{w:>16s}" for w in ("rnnkern packed", "functional", "torch")))
    for kind, mode, T, B in rows(args.modes):
        ways = [w for w in WAYS[kind] if w[0] in workers]
        samples = {w: [] for w in ways}
        for w in ways:
            workers[w[0]].call("serving_prepare", way=w[1], mode=mode, T=T, B=B, I=I, H=H,
                               seed=args.seed)
        for _ in range(args.reps):
            for w in ways:
                samples[w].append(workers[w[0]].call("serving_time", way=w[1], batch_s=args.batch_s))
        med = {w[1]: median(s) for w, s in samples.items()}
        results[(kind, mode, T, B)] = med
        label = f"{kind} {mode[:5]} T={T} B={B}"
        cols = ([med.get(w) for _, w in WAYS[kind]] if kind == "forward" else
                [med.get("LSTMStream.step"), None, med.get("nn.LSTMCell")])
        print(f"{label:24s} " + " ".join(f"{c * 1e6:13.2f} us" if c else f"{'-':>16s}" for c in cols),
              flush=True)
    return summary(results, args.modes)


def summary(results, modes):
    """Prints the fixed costs, the steps per second and the targets' verdicts; -> 0."""
    print()
    for mode in modes:
        for B in BS:
            fixed = {}
            for way in ("packed", "functional", "nn.LSTM"):
                ts = [results[("forward", mode, T, B)].get(way) for T in TS]
                if None not in ts:
                    fixed[way] = fit_fixed_cost(TS, ts)
            print(f"fixed cost per call, {mode}, B={B}: " +
                  ", ".join(f"{w} {a * 1e6:.1f} us" for w, a in fixed.items()))
        t1 = results[("forward", mode, 1, 1)]
        if "nn.LSTM" in t1:
            ratio = t1["nn.LSTM"] / t1["packed"]
            print(f"target ({mode}): torch's call at T=1, B=1 over the packed handle's >= "
                  f"{FIXED_COST_TARGET:.0f}x: {ratio:.1f}x, {'met' if ratio >= FIXED_COST_TARGET else 'missed'}")
    for B in BS:
        s = results[("step", "inference", 1, B)]
        print(f"steps per second, B={B}: " + ", ".join(f"{w} {1 / t:,.0f}" for w, t in s.items()))
    step = results[("step", "inference", 1, 1)]["LSTMStream.step"]
    print(f"target: LSTMStream.step at B=1 <= {STEP_TARGET_S * 1e6:.0f} us: {step * 1e6:.2f} us, "
          f"{'met' if step <= STEP_TARGET_S else 'missed'}")
    return 0
