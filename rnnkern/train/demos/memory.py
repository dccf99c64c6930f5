"""Long-range memory (lecture slide 30): the adding problem, vanilla RNN against LSTM.

Each sequence holds T random values and marks two of them, one in each half; the net must output their
sum at the last step (a teaching signal on the final step only, slide 17). Predicting the mean (1.0)
scores the trivial MSE of 1/6; doing better means carrying a value across up to T steps. Both nets get
the same budget: one layer of HIDDEN units, a linear output unit, Adam with gradient clipping, the same
number of minibatches. The tanh RNN starts from orthogonal recurrent weights (careful initialisation,
slide 26); the LSTM from PyTorch's initialisation with its keep (forget) gates biased open by +1.

The lengths form a curriculum: each net starts at T = 100 from where it ended at T = 50, and at 200 from
where it ended at 100 (the same weights run on any length). Before that training the report tests the
net on the new length as it is: an LSTM that has learned to hold two values for 50 steps often holds
them for 100 already.
"""
import numpy as np

from ... import nn
from .. import init, losses, optim, targets, tasks
from ._common import Stopwatch, one_thread, pyplot, save, silent

LENGTHS = (50, 100, 200)
HIDDEN = 32
BASELINE_MSE = 1 / 6  # variance of the sum of two U(0, 1) values: the error of always answering 1.0


def make_net(kind, rng):
    if kind == "LSTM":
        cell = nn.LSTM(2, HIDDEN, rng=rng)
        cell.bias_ih_l0[HIDDEN:2 * HIDDEN] += 1.0  # gate order i, f, g, o: keep gates start open
    else:
        cell = nn.RNN(2, HIDDEN, activation="tanh", rng=rng)
        cell.weight_hh_l0[...] = init.orthogonal((HIDDEN, HIDDEN), rng=rng)
    return nn.SequenceModel(cell, nn.Linear(HIDDEN, 1, rng=rng))


def test_mse(net, x, target):
    out, _ = net.forward(x.astype(np.float32), training=False)
    return float(np.mean((out[-1, :, 0] - target) ** 2))


def train(net, kind, T, rng, *, steps, batch=32, lr=0.01, clip=1.0, solved=0.01, log=silent):
    """Adam on fresh random minibatches, squared error on the final step only; stops early once the
    training MSE over the last 50 minibatches is below `solved`. -> curve of training MSEs"""
    opt = optim.Adam(net, lr=lr)
    mask = targets.final_step_mask(T, batch)
    curve = []
    for step in range(1, steps + 1):
        x, y = tasks.adding_problem(batch, T, rng)
        out, _ = net.forward(x.astype(np.float32))
        goal = np.broadcast_to(y[None, :, None], out.shape)  # read only where the mask is 1
        loss, dout = losses.mse(out, goal, mask)
        net.zero_grad()
        net.backward(dout)
        optim.clip_grad_norm(net, clip)
        opt.step()
        curve.append(2 * loss)  # losses.mse is half the squared error
        if step % 200 == 0:
            log(f"    {kind:4s} T={T:3d} step {step:4d}  training MSE (last 100) {np.mean(curve[-100:]):.4f}")
        if step >= 50 and np.mean(curve[-50:]) < solved:
            log(f"    {kind:4s} T={T:3d} step {step:4d}  solved (training MSE {np.mean(curve[-50:]):.4f} < {solved})")
            break
    return curve


@one_thread
def run(seed=0, quick=False, plot=True, out=".", log=print):
    clock = Stopwatch()
    rng = np.random.default_rng(seed)
    lengths = (20,) if quick else LENGTHS
    # minibatch budgets: from scratch the LSTM needs ~800 at T = 50 to leave the plateau at the
    # baseline; the longer lengths start from the previous length's net (see the docstring)
    steps = {20: 600} if quick else {50: 1000, 100: 600, 200: 600}
    log(f"memory (slide 30): the adding problem, tanh RNN vs LSTM, {HIDDEN} units each, batch 32, Adam lr "
        f"0.01, clip 1, squared error on the last step; trivial baseline MSE {BASELINE_MSE:.4f}; seed {seed}")
    log((f"  lengths {', '.join(map(str, lengths))} in turn, each net continuing from the previous length; "
         if len(lengths) > 1 else "  ") + "training stops early once its MSE over 50 minibatches is < 0.01")
    results, nets = {}, {}
    for T in lengths:
        x_test, y_test = tasks.adding_problem(1000, T, rng)
        for kind in ("RNN", "LSTM"):
            if kind in nets:
                before = test_mse(nets[kind], x_test, y_test)
                log(f"  {kind:4s} T={T:3d}: the net trained at T={T // 2} scores test MSE {before:.4f} "
                    f"here before any training at T={T}")
            else:
                nets[kind] = make_net(kind, rng)
            curve = train(nets[kind], kind, T, rng, steps=steps[T], log=log)
            mse = test_mse(nets[kind], x_test, y_test)
            results[(kind, T)] = dict(mse=mse, curve=curve, steps=len(curve))
            log(f"  {kind:4s} T={T:3d}: test MSE {mse:.4f} after {len(curve)} minibatches "
                f"({mse / BASELINE_MSE:.0%} of the baseline's)  [{clock}]")
    log("  test MSE on 1000 fresh sequences (baseline: always answer 1.0):")
    log("    T      " + "".join(f"{T:>10d}" for T in lengths))
    for kind in ("RNN", "LSTM"):
        log(f"    {kind:7s}" + "".join(f"{results[(kind, T)]['mse']:10.4f}" for T in lengths))
    log(f"    {'baseline':7s}" + "".join(f"{BASELINE_MSE:10.4f}" for T in lengths))
    for T in lengths:
        r, l = results[("RNN", T)]["mse"], results[("LSTM", T)]["mse"]
        verdict = ("LSTM clearly beats the baseline" if l < 0.5 * BASELINE_MSE else
                   "LSTM does NOT clearly beat the baseline in this budget")
        log(f"  T={T}: {verdict}; the RNN is {'at' if r > 0.8 * BASELINE_MSE else 'below'} baseline level "
            f"({r / BASELINE_MSE:.0%}), the LSTM at {l / BASELINE_MSE:.0%}")

    plt = pyplot(plot, log)
    figure = None
    if plt is not None:
        fig, axes = plt.subplots(1, len(lengths), figsize=(4 * len(lengths), 3.5), squeeze=False)
        for ax, T in zip(axes[0], lengths):
            for kind in ("RNN", "LSTM"):
                c = results[(kind, T)]["curve"]
                ax.plot(np.convolve(c, np.ones(20) / 20, mode="valid"), label=kind)
            ax.axhline(BASELINE_MSE, color="gray", ls="--", label="predict the mean")
            ax.set(title=f"adding problem, T = {T}" + (f" (from T = {T // 2})" if T != lengths[0] else ""),
                   xlabel="minibatch", ylabel="training MSE", ylim=(0, 0.3))
            ax.legend()
        figure = save(fig, out, "memory", log)
    log(f"  done in {clock}")
    return dict(results={f"{k}@{T}": v["mse"] for (k, T), v in results.items()}, baseline=BASELINE_MSE,
                figure=figure)
