"""Vanishing and exploding gradients (lecture slides 25-28), measured by the kernels themselves.

An error derivative is injected at the last step only, and backward reports ||dL/dh_t|| for every
step (`return_dh_norms=True`, filled inside the C kernels at almost no cost). Going back in time the
norm is multiplied at each step by roughly the same factor, so log ||dL/dh_t|| is close to a straight
line in the distance from the last step; its fitted slope is the per-step decay (< 0) or growth (> 0).

Four nets of 64 units on the same random inputs: a tanh RNN whose recurrent weights have a small
spectral radius (0.5) and a large one (3), an LSTM with PyTorch's default initialisation, and an LSTM
whose keep (forget) gates start open (bias +3): the memory cell of slides 30-32.
"""
import numpy as np

from ... import nn
from .. import init
from ._common import Stopwatch, one_thread, pyplot, save

T, B, INPUTS, HIDDEN = 100, 16, 8, 64
FIT_DISTANCES = 50  # fit the slope on the first 50 steps back, before float64 underflows anywhere
SHOWN = (0, 1, 5, 10, 25, 50, 99)


def _nets(rng):
    small = nn.RNN(INPUTS, HIDDEN, activation="tanh", dtype=np.float64, rng=rng)
    small.weight_hh_l0[...] = init.echo_state(HIDDEN, 0.5, rng=rng)
    large = nn.RNN(INPUTS, HIDDEN, activation="tanh", dtype=np.float64, rng=rng)
    large.weight_hh_l0[...] = init.echo_state(HIDDEN, 3.0, rng=rng)
    lstm = nn.LSTM(INPUTS, HIDDEN, dtype=np.float64, rng=rng)
    open_lstm = nn.LSTM(INPUTS, HIDDEN, dtype=np.float64, rng=rng)
    open_lstm.bias_ih_l0[HIDDEN:2 * HIDDEN] += 3.0  # gate order i, f, g, o: rows H..2H are the keep gate
    return {"tanh RNN, small weights (spectral radius 0.5)": small,
            "tanh RNN, large weights (spectral radius 3)": large,
            "LSTM, PyTorch's default initialisation": lstm,
            "LSTM, keep gates open (forget bias +3)": open_lstm}


def gradient_norms(net, x, dy_last):
    """||dL/dh_t|| (T, B) when dL/dy is dy_last at the last step and zero elsewhere."""
    net.forward(x)
    dy = np.zeros((x.shape[0], x.shape[1], net.hidden_size))
    dy[-1] = dy_last
    _, _, norms = net.backward(dy, return_dh_norms=True)
    return norms[0]


def per_step_rate(norms, fit=FIT_DISTANCES):
    """Slope of mean_b log ||dL/dh_t|| against the distance back from the last step, and that mean."""
    log_norm = np.log(norms[::-1]).mean(axis=1)  # index = distance back in time
    slope = np.polyfit(np.arange(fit), log_norm[:fit], 1)[0]
    return float(slope), log_norm


@one_thread
def run(seed=0, quick=False, plot=True, out=".", log=print):
    clock = Stopwatch()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, INPUTS))
    dy_last = rng.standard_normal((B, HIDDEN)) / np.sqrt(HIDDEN)  # ||dL/dy_T|| about 1
    log(f"gradients (slides 25-28): ||dL/dh_t|| going back from an error at the last of {T} steps; "
        f"{HIDDEN} units, batch {B}, seed {seed}")
    log(f"  per-step factor = exp(slope of mean log-norm over the first {FIT_DISTANCES} steps back)")
    log("    " + f"{'net':48s}" + "".join(f"{'d=' + str(d):>10s}" for d in SHOWN) + "   per step")
    results = {}
    for name, net in _nets(rng).items():
        norms = gradient_norms(net, x, dy_last)
        slope, log_norm = per_step_rate(norms)
        results[name] = dict(slope=slope, factor=float(np.exp(slope)), log_norm=log_norm)
        log("    " + f"{name:48s}" + "".join(f"{np.exp(log_norm[d]):10.2e}" for d in SHOWN)
            + f"   x {np.exp(slope):.3f} ({'vanishes' if slope < -0.01 else 'explodes' if slope > 0.01 else 'kept'})")

    # slide 25: the backward pass is linear, so doubling the error derivative doubles them all
    net = nn.RNN(INPUTS, HIDDEN, activation="logistic", dtype=np.float64, rng=rng)
    once, twice = gradient_norms(net, x, dy_last), gradient_norms(net, x, 2 * dy_last)
    linear_error = float(np.max(np.abs(twice - 2 * once) / (2 * once)))
    log(f"  slide 25, the backward pass is linear: doubling dL/dy_T doubles every ||dL/dh_t|| of a logistic "
        f"RNN (largest relative deviation {linear_error:.1e})")
    small, large = results["tanh RNN, small weights (spectral radius 0.5)"], results["tanh RNN, large weights (spectral radius 3)"]
    log(f"  small weights shrink the gradient {1 / small['factor']:.2f}x per step; large weights grow it "
        f"{large['factor']:.2f}x per step; an LSTM whose keep gates are open passes it back "
        f"x {results['LSTM, keep gates open (forget bias +3)']['factor']:.3f} per step")

    plt = pyplot(plot, log)
    figure = None
    if plt is not None:
        fig, ax = plt.subplots(figsize=(7, 4.2))
        for name, r in results.items():
            ax.plot(np.arange(T), r["log_norm"] / np.log(10), label=f"{name}: x{r['factor']:.2f}/step")
        ax.set(xlabel="steps back from the error", ylabel="log10 ||dL/dh_t|| (mean over batch)",
               title="Gradient norm going back in time")
        ax.legend(fontsize=8)
        figure = save(fig, out, "gradients", log)
    log(f"  done in {clock}")
    return dict(rates=results, linear_error=linear_error, figure=figure)
