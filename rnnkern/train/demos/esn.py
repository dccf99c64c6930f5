"""Echo state networks (lecture slide 28) on a chaotic series, against the same RNN trained by BPTT.

The series is Mackey-Glass (tau = 17), integrated by the demo. The task: from the series up to time
t, predict its value HORIZON steps later. Three nets of the same shape (1 input, UNITS tanh units,
1 linear output unit):

- echo state network: input->hidden and hidden->hidden weights fixed at random, the recurrent ones
  sparse and rescaled to spectral radius RADIUS (a reservoir of weakly coupled oscillators driven by
  the input); only hidden->output is learned, by ridge regression on the reservoir's states.
- "good initialisation with momentum": the same reservoir as the starting point, then every
  connection learned by BPTT with Nesterov momentum.
- BPTT with momentum from PyTorch's default initialisation, for reference.

NRMSE = RMS error / standard deviation of the target (1.0 = no better than predicting the mean).
"""
import numpy as np

from ... import functional as F, nn
from .. import init, losses, optim, targets, tasks
from ._common import Stopwatch, one_thread, pyplot, save, silent

UNITS, RADIUS, DENSITY, INPUT_SCALE = 100, 0.95, 0.1, 0.5
HORIZON = 10
TRAIN, TEST, WASHOUT = 2000, 1000, 100
RIDGE = 1e-6


def series(rng):
    """Standardised Mackey-Glass samples, one per time unit: (TRAIN + TEST + HORIZON,)."""
    s = tasks.mackey_glass(TRAIN + TEST + HORIZON, rng=rng)
    return (s - s.mean()) / s.std()


def reservoir(rng):
    """Fixed weights of the echo state network: w_ih (H, 1), w_hh (H, H), b (H,)."""
    w_ih = rng.uniform(-INPUT_SCALE, INPUT_SCALE, (UNITS, 1))
    w_hh = init.echo_state(UNITS, RADIUS, density=DENSITY, rng=rng)
    b = rng.uniform(-0.2, 0.2, UNITS)
    return w_ih, w_hh, b


def states(w_ih, w_hh, b, u):
    """Hidden states (T, H) of the tanh RNN driven by the series u (T,), from a zero state; inference
    mode, one kernel call."""
    y, _, _ = F.rnn_forward(u[:, None, None], w_ih, w_hh, b, activation="tanh", training=False)
    return y[:, 0, :]


def ridge_readout(h, target, ridge=RIDGE):
    """Least squares with a small ridge penalty: (weight (1, H), bias (1,)) minimising
    |h W^T + bias - target|^2 + ridge |W|^2."""
    X = np.hstack([h, np.ones((h.shape[0], 1))])
    reg = ridge * np.eye(X.shape[1])
    reg[-1, -1] = 0
    coef = np.linalg.solve(X.T @ X + reg, X.T @ target)
    return coef[None, :-1], coef[-1:]


def nrmse(pred, target):
    return float(np.sqrt(np.mean((pred - target) ** 2)) / np.std(target))


def evaluate(net, inputs, goal):
    """Run `net` over the whole series from a zero state; NRMSE over the test stretch."""
    out, _ = net.forward(inputs[:, None, None], training=False)
    return nrmse(out[TRAIN:, 0, 0], goal[TRAIN:]), out[:, 0, 0]


def train_bptt(net, inputs, goal, rng, *, steps, window=50, washout=10, batch=32, lr=0.01,
               momentum=0.9, log=silent, name=""):
    """BPTT on random windows of the training stretch, every connection learned; each window starts
    from a zero state, so its first `washout` steps carry no target (a last-k-steps teaching signal).
    -> curve of training NRMSE-like losses."""
    opt = optim.SGD(net, lr=lr, momentum=momentum, nesterov=True)
    mask = targets.last_steps_mask(window, batch, window - washout)
    curve = []
    for step in range(1, steps + 1):
        starts = rng.integers(0, TRAIN - window, batch)
        idx = starts[None, :] + np.arange(window)[:, None]
        out, _ = net.forward(inputs[idx][:, :, None])
        loss, dout = losses.mse(out, goal[idx][:, :, None], mask)
        net.zero_grad()
        net.backward(dout)
        optim.clip_grad_norm(net, 1.0)
        opt.step()
        curve.append(np.sqrt(2 * loss))
        if step % 100 == 0:
            log(f"    {name} step {step}  training RMS error (last 100, in standard deviations) "
                f"{np.mean(curve[-100:]):.4f}")
    return curve


@one_thread
def run(seed=0, quick=False, plot=True, out=".", log=print):
    clock = Stopwatch()
    rng = np.random.default_rng(seed)
    u = series(rng)
    inputs, goal = u[:-HORIZON], u[HORIZON:]  # at step t the input is u[t], the target u[t + HORIZON]
    log(f"echo state network (slide 28): Mackey-Glass (tau 17), predict {HORIZON} steps ahead; "
        f"{UNITS} tanh units, train on {TRAIN} steps, test on the next {TEST}; seed {seed}")
    log(f"  persistence (predict no change) test NRMSE {nrmse(inputs[TRAIN:], goal[TRAIN:]):.4f}; "
        f"predicting the mean: 1.0")

    w_ih, w_hh, b = reservoir(rng)
    h = states(w_ih, w_hh, b, inputs)
    weight, bias = ridge_readout(h[WASHOUT:TRAIN], goal[WASHOUT:TRAIN])
    esn_pred = h @ weight[0] + bias[0]
    esn = nrmse(esn_pred[TRAIN:], goal[TRAIN:])
    log(f"  echo state network (spectral radius {RADIUS}, {DENSITY:.0%} of recurrent weights nonzero, "
        f"ridge readout, {1 + UNITS} weights learned): test NRMSE {esn:.4f}  [{clock}]")

    steps = 100 if quick else 400
    nets = {}
    for name in ("reservoir init + momentum", "default init + momentum"):
        cell = nn.RNN(1, UNITS, activation="tanh", dtype=np.float64, rng=rng)
        if name.startswith("reservoir"):
            cell.weight_ih_l0[...], cell.weight_hh_l0[...] = w_ih, w_hh
            cell.bias_ih_l0[...], cell.bias_hh_l0[...] = b, 0
        net = nn.SequenceModel(cell, nn.Linear(UNITS, 1, dtype=np.float64, rng=rng))
        log(f"  BPTT, {name}: {steps} minibatches of 32 windows of 50 steps, every weight learned")
        curve = train_bptt(net, inputs, goal, rng, steps=steps, log=log, name=name)
        score, pred = evaluate(net, inputs, goal)
        nets[name] = dict(nrmse=score, curve=curve, pred=pred)
        log(f"  BPTT, {name}: test NRMSE {score:.4f}  [{clock}]")
    better = min(nets, key=lambda k: nets[k]["nrmse"])
    log(f"  summary, test NRMSE: echo state network {esn:.4f}; "
        + "; ".join(f"BPTT {k} {v['nrmse']:.4f}" for k, v in nets.items()))
    log("  " + ("the echo state network, which learns only its readout, is the most accurate here"
                if esn < nets[better]["nrmse"] else
                f"BPTT with {better} beats the echo state network here"))

    plt = pyplot(plot, log)
    figure = None
    if plt is not None:
        fig, ax = plt.subplots(figsize=(9, 3.5))
        t = np.arange(TRAIN, TRAIN + 300)
        ax.plot(t, goal[t], "k", lw=2, label="Mackey-Glass, 10 steps ahead")
        ax.plot(t, esn_pred[t], label=f"echo state network (NRMSE {esn:.3f})")
        for k, v in nets.items():
            ax.plot(t, v["pred"][t], label=f"BPTT, {k} ({v['nrmse']:.3f})", alpha=0.8)
        ax.set(xlabel="time step (test stretch)", ylabel="standardised value", ylim=(-3.2, 2.2))
        ax.legend(fontsize=8, loc="lower center", ncol=2)
        figure = save(fig, out, "esn", log)
    log(f"  done in {clock}")
    return dict(esn=esn, bptt={k: v["nrmse"] for k, v in nets.items()},
                persistence=nrmse(inputs[TRAIN:], goal[TRAIN:]), figure=figure)
