"""Hessian-free optimisation (lecture slide 28's fourth way to learn an RNN; Martens 2010, Martens &
Sutskever 2011) against momentum, on a pathological long-range problem.

The task is the adding problem (rnnkern.train.tasks.adding_problem, one of Martens & Sutskever's
pathological problems): T random values, two of them marked, one in each half; the net must output
their sum at the last step. Always answering the mean scores the trivial MSE of 1/6; a run counts
as solved when its test MSE falls below 0.01 (our threshold). Every net is the same tanh RNN of
HIDDEN units with a linear output unit, trained three ways with the same budget of sequence passes
(a forward or a backward pass over one sequence: a gradient costs 2 per sequence, a Gauss-Newton
product 3, a loss value 1):

- HF: rnnkern.train.optim.HessianFree from PyTorch's initialisation, the gradient on a minibatch and
  the curvature (G v through the jvp kernels) on a minibatch five times smaller;
- momentum: SGD with momentum 0.9 and gradient clipping from PyTorch's initialisation;
- momentum + ESN: the same, from an echo-state reservoir of spectral radius 1.1 (Sutskever et al.
  2013's careful initialisation, slide 28).

Each run stops early once solved. The report gives the success rate over seeds, the final test MSE
and the passes each solved run needed. `full=True` (`python -m rnnkern demo hf --full`) runs
T = 50, 100 and 200 over FULL_SEEDS seeds with larger budgets (about 30 minutes of one core).
"""
import numpy as np

from ... import nn
from .. import curvature, init, losses, optim, targets, tasks
from ._common import Stopwatch, one_thread, pyplot, save, silent

METHODS = ("HF", "momentum", "momentum+ESN")
HIDDEN = 32
SOLVED = 0.01
BASELINE_MSE = 1 / 6
# per length: budget in sequence passes, HF gradient / curvature minibatch, momentum minibatch
SETTINGS = {20: dict(budget=200_000, hf_batch=200, curvature_batch=40, batch=100, hidden=16),
            50: dict(budget=800_000, hf_batch=500, curvature_batch=100, batch=100, hidden=HIDDEN),
            100: dict(budget=1_500_000, hf_batch=1000, curvature_batch=200, batch=100, hidden=HIDDEN),
            200: dict(budget=1_500_000, hf_batch=1000, curvature_batch=200, batch=100, hidden=HIDDEN)}
FULL_SEEDS = 3  # --full: T = 50, 100, 200 x 3 seeds, about 30 minutes of one core


def make_net(method, hidden, rng):
    net = nn.SequenceModel(nn.RNN(2, hidden, activation="tanh", rng=rng), nn.Linear(hidden, 1, rng=rng))
    if method == "momentum+ESN":
        net.recurrent.weight_hh_l0[...] = init.echo_state(hidden, 1.1, rng=rng)
    return net


def problem(n, T, rng):
    """n adding-problem sequences as a loss batch (x, target, mask): squared error on the last step."""
    x, y = tasks.adding_problem(n, T, rng)
    return (x.astype(np.float32), np.broadcast_to(y[None, :, None], (T, n, 1)).astype(np.float32),
            targets.final_step_mask(T, n))


def test_mse(net, test):
    return 2 * curvature.loss_value(net, losses.mse, test)  # losses.mse is half the squared error


def train_hf(net, T, rng, test, *, budget, hf_batch, curvature_batch, hf_options=None, log=silent, **_):
    """HessianFree (its defaults, or hf_options) until solved or out of budget -> curve [(passes, test MSE)]"""
    hf = optim.HessianFree(net, losses.mse, **(hf_options or {}))
    curve = [(0, test_mse(net, test))]
    while hf.passes < budget and curve[-1][1] >= SOLVED:
        r = hf.step(problem(hf_batch, T, rng), problem(curvature_batch, T, rng))
        curve.append((hf.passes, test_mse(net, test)))
        if len(curve) % 10 == 0:
            log(f"      HF           passes {hf.passes:8d}  test MSE {curve[-1][1]:.4f}  lambda "
                f"{r['damping']:.3g}  CG {r['cg_iters']} iterations")
    return curve


def train_momentum(net, T, rng, test, *, budget, batch, lr=0.01, momentum=0.9, clip=1.0, name="momentum",
                   log=silent, **_):
    """SGD with momentum and clipping until solved or out of budget -> curve [(passes, test MSE)]"""
    opt = optim.SGD(net, lr=lr, momentum=momentum)
    curve = [(0, test_mse(net, test))]
    steps = budget // (2 * batch)
    for step in range(1, steps + 1):
        x, y, mask = problem(batch, T, rng)
        out, _ = net.forward(x)
        _, dout = losses.mse(out, y, mask)
        net.zero_grad()
        net.backward(dout)
        optim.clip_grad_norm(net, clip)
        opt.step()
        if step % 50 == 0 or step == steps:
            curve.append((2 * batch * step, test_mse(net, test)))
            if step % 1000 == 0:
                log(f"      {name:12s} passes {curve[-1][0]:8d}  test MSE {curve[-1][1]:.4f}")
            if curve[-1][1] < SOLVED:
                break
    return curve


def compare(T, seed, settings, log=silent):
    """The three methods on one length and seed, same budget -> {method: curve}"""
    curves = {}
    for i, method in enumerate(METHODS):
        rng = np.random.default_rng([seed, T, i])
        test = problem(500, T, np.random.default_rng([seed, T]))  # one test set for all three
        net = make_net(method, settings["hidden"], rng)
        train = train_hf if method == "HF" else train_momentum
        curves[method] = train(net, T, rng, test, name=method, log=log, **settings)
    return curves


def summary(curves):
    """{method: dict(final test MSE, solved, passes to solve)} of one run"""
    out = {}
    for method, curve in curves.items():
        final = curve[-1][1]
        out[method] = dict(mse=final, solved=final < SOLVED, passes=curve[-1][0])
    return out


@one_thread
def run(seed=0, quick=False, full=False, plot=True, out=".", log=print):
    clock = Stopwatch()
    lengths, seeds = ((20,), (seed,)) if quick else ((50, 100, 200), range(seed, seed + FULL_SEEDS)) if full \
        else ((50,), (seed, seed + 1))
    log(f"hf (slide 28, the fourth way): the adding problem with a tanh RNN; HF vs momentum from PyTorch's "
        f"init vs momentum from an ESN init, the same budget of sequence passes; solved: test MSE < {SOLVED} "
        f"(always answering the mean: {BASELINE_MSE:.4f})")
    results, all_curves = {}, {}
    for T in lengths:
        s = SETTINGS[T]
        log(f"  T={T}: {s['hidden']} tanh units, budget {s['budget']} sequence passes; HF minibatches {s['hf_batch']} "
            f"(gradient) / {s['curvature_batch']} (curvature); momentum 0.9, lr 0.01, clip 1, minibatch {s['batch']}")
        for sd in seeds:
            curves = compare(T, sd, s, log)
            all_curves[(T, sd)] = curves
            for method, r in summary(curves).items():
                results[(T, sd, method)] = r
                log(f"    seed {sd} {method:12s} test MSE {r['mse']:.4f}  "
                    + (f"solved after {r['passes']} passes" if r["solved"] else f"not solved in {r['passes']} passes")
                    + f"  [{clock}]")
    log("  success rate over seeds, and median final test MSE:")
    log("    T      " + "".join(f"{m:>22s}" for m in METHODS))
    rates = {}
    for T in lengths:
        row = ""
        for m in METHODS:
            rs = [results[(T, sd, m)] for sd in seeds]
            rates[(T, m)] = sum(r["solved"] for r in rs) / len(rs)
            row += f"{sum(r['solved'] for r in rs):>9d}/{len(rs)}  MSE {np.median([r['mse'] for r in rs]):.4f}"
        log(f"    {T:<7d}" + row)

    plt = pyplot(plot, log)
    figure = None
    if plt is not None:
        fig, axes = plt.subplots(1, len(lengths), figsize=(4.5 * len(lengths) + 2, 3.5), squeeze=False)
        colours = dict(zip(METHODS, ("C0", "C1", "C2")))
        for ax, T in zip(axes[0], lengths):
            for sd in seeds:
                for m, c in all_curves[(T, sd)].items():
                    p, e = zip(*c)
                    ax.plot(np.divide(p, 1e6), e, color=colours[m], alpha=0.8, label=m if sd == seeds[0] else None)
            ax.axhline(BASELINE_MSE, color="gray", ls="--", label="predict the mean")
            ax.axhline(SOLVED, color="gray", ls=":", label="solved")
            ax.set(title=f"adding problem, T = {T}", xlabel="sequence passes (millions)", ylabel="test MSE",
                   yscale="log")
        # beside the last panel, not over the curves
        axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.02, 1))
        figure = save(fig, out, "hf", log)
    log(f"  done in {clock}")
    return dict(results={f"{m}@{T}/{sd}": r for (T, sd, m), r in results.items()},
                rates={f"{m}@{T}": v for (T, m), v in rates.items()}, figure=figure)
