"""Predicting the next term (lecture slides 2-3) of the embedded Reber grammar: memory against delay taps.

The teaching signal is the input advanced by one step (slide 2): after each symbol of a string the net
gives a probability to each of the 7 symbols (softmax output units, cross-entropy loss). Strings are
B c <Reber string> c E with c in {T, P}: every symbol but one can be predicted from the last few, but
the second-to-last one repeats the second, which may lie 20 or more symbols back.

- LSTM: HIDDEN memory cells read the one-hot symbols.
- delay taps (slide 3): a memoryless net that sees only the last WINDOW symbols (one-hot, side by
  side), HIDDEN logistic hidden units, the same softmax outputs. It can learn everything except the
  long-range repeat.

A string counts as predicted correctly when, after every symbol, the set of symbols given probability
above THRESHOLD is exactly the set of symbols the grammar allows next (Hochreiter & Schmidhuber's
criterion). Both nets are trained with Adam on minibatches from the same pool of strings and tested
on 1000 fresh ones.
"""
import numpy as np

from ... import nn
from .. import losses, optim, targets, tasks
from ._common import Stopwatch, one_thread, pyplot, save, silent

HIDDEN, WINDOW, THRESHOLD, BATCH, TRAIN_STRINGS = 24, 3, 0.25, 32, 4000
K = len(tasks.REBER_SYMBOLS)


def strings(n, rng):
    """n embedded Reber strings -> one-hot x (T, n, K), symbol ids (T, n), lengths, legal next (T, n, K)."""
    drawn = [tasks.embedded_reber(rng) for _ in range(n)]
    return tasks.encode_strings([s for s, _ in drawn], [legal for _, legal in drawn])


def delay_taps(x, window=WINDOW):
    """x (T, B, K) -> (T, B, window*K): at step t the symbols t-window+1 .. t side by side (zeros
    before the start): what a memoryless model of slide 3 sees."""
    T = x.shape[0]
    padded = np.concatenate([np.zeros((window - 1,) + x.shape[1:]), x], axis=0)
    return np.concatenate([padded[k:k + T] for k in range(window)], axis=2)


class DelayTapNet(nn.Sequential):
    """Delay taps -> logistic hidden units -> softmax output units; called like a recurrent net."""

    def __init__(self, rng):
        super().__init__(nn.Linear(WINDOW * K, HIDDEN, rng=rng), nn.Activation("logistic"),
                         nn.Linear(HIDDEN, K, rng=rng))

    def forward(self, x, lengths=None, *, training=True):
        return super().forward(delay_taps(x), training=training), None


def lstm_net(rng):
    cell = nn.LSTM(K, HIDDEN, rng=rng)
    cell.bias_ih_l0[HIDDEN:2 * HIDDEN] += 1.0  # gate order i, f, g, o: keep gates start open
    return nn.SequenceModel(cell, nn.Linear(HIDDEN, K, rng=rng))


def score(model, data):
    """-> (fraction of strings right at every step, fraction right at the long-range step,
    fraction of all steps right), by the threshold criterion."""
    x, _, lengths, legal = data
    out, _ = model.forward(x, lengths=lengths, training=False)
    predicted = losses.softmax(out.astype(np.float64)) > THRESHOLD
    T, B = x.shape[:2]
    valid = targets.valid_steps_mask(T, B, lengths - 1)[..., 0].astype(bool)  # steps with a next symbol
    step_ok = np.all(predicted == legal, axis=2) | ~valid
    long_range = step_ok[lengths - 3, np.arange(B)]  # after the inner E: predicting the repeated c
    return (float(np.mean(np.all(step_ok, axis=0))), float(np.mean(long_range)),
            float(step_ok[valid].mean()))


def train(model, pool, rng, *, steps, lr=0.01, log=silent, name=""):
    """Adam on minibatches drawn from a pool of training strings, softmax cross-entropy after every
    symbol but the last."""
    opt = optim.Adam(model, lr=lr)
    pool_x, pool_idx, pool_lengths, _ = pool
    for step in range(1, steps + 1):
        pick = rng.integers(0, pool_x.shape[1], BATCH)
        lengths = pool_lengths[pick]
        x, idx = pool_x[:lengths.max(), pick], pool_idx[:lengths.max(), pick]
        # the target after symbol t is symbol t+1: the input sequence advanced by one step
        _, goal, in_lengths = targets.next_step(idx, lengths)
        out, _ = model.forward(x[:-1], lengths=in_lengths)
        mask = targets.valid_steps_mask(out.shape[0], BATCH, in_lengths)[..., 0]
        loss, dout = losses.softmax_cross_entropy(out, goal, mask)
        model.zero_grad()
        model.backward(dout)
        optim.clip_grad_norm(model, 1.0)
        opt.step()
        if step % 250 == 0:
            log(f"    {name} step {step}  cross-entropy {loss:.3f} nats per symbol")


@one_thread
def run(seed=0, quick=False, plot=True, out=".", log=print):
    clock = Stopwatch()
    rng = np.random.default_rng(seed)
    steps = 300 if quick else 1000
    pool, test = strings(TRAIN_STRINGS, rng), strings(1000, rng)
    log(f"next-step prediction (slides 2-3): embedded Reber grammar, {steps} minibatches of {BATCH} from "
        f"{TRAIN_STRINGS} training strings; seed {seed}")
    log(f"  a string is right when after every symbol the symbols with probability > {THRESHOLD} are exactly "
        f"the legal next ones")
    models = {f"LSTM ({HIDDEN} cells)": lstm_net(rng),
              f"delay taps ({WINDOW} symbols, {HIDDEN} hidden)": DelayTapNet(rng)}
    results = {}
    for name, model in models.items():
        train(model, pool, rng, steps=steps, log=log, name=name)
        strings_ok, long_ok, steps_ok = score(model, test)
        results[name] = dict(strings=strings_ok, long_range=long_ok, steps=steps_ok)
        log(f"  {name}: trained  [{clock}]")
    log("  on 1000 test strings:" + " " * 26 + "strings right   long-range step right   all steps right")
    for name, r in results.items():
        log(f"    {name:42s}{r['strings']:10.1%}{r['long_range']:19.1%}{r['steps']:21.1%}")
    lstm, taps = results[f"LSTM ({HIDDEN} cells)"], results[f"delay taps ({WINDOW} symbols, {HIDDEN} hidden)"]
    log("  " + ("the LSTM carries the second symbol to the end; the delay-tap net, which cannot see that far "
                "back, can only guess it" if lstm["strings"] > taps["strings"] else
                "the LSTM did NOT beat the delay-tap net in this budget"))

    plt = pyplot(plot, log)
    figure = None
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        names = list(results)
        w = 0.27
        kinds = (("strings", "whole strings"), ("long_range", "long-range step"), ("steps", "all steps"))
        for i, (key, label) in enumerate(kinds):
            ax.bar(np.arange(len(names)) + (i - 1) * w, [results[n][key] for n in names], w, label=label)
        ax.set(xticks=range(len(names)), xticklabels=names, ylabel="fraction predicted right", ylim=(0, 1.3),
               title="embedded Reber grammar, next-symbol prediction")
        ax.legend(loc="upper center", ncol=3, fontsize=8)
        figure = save(fig, out, "next_step", log)
    log(f"  done in {clock}")
    return dict(results=results, figure=figure)
