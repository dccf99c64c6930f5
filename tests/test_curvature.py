"""Gauss-Newton products (rnnkern.train.curvature), the layers' jvp, the losses' Hessians and the
Hessian-free optimiser, on tiny nets in float64 with fixed seeds."""
import numpy as np
import pytest

from rnnkern import nn
from rnnkern.train import curvature, losses, optim

CELLS = {"lstm": lambda: nn.LSTM(2, 3, dtype=np.float64, rng=0, learn_initial_state=True),
         "gru": lambda: nn.GRU(2, 3, num_layers=2, dtype=np.float64, rng=0),
         "rnn": lambda: nn.RNN(2, 4, dtype=np.float64, rng=0)}


def tiny(cell, K=2):
    readout = nn.Sequential(nn.Linear(CELLS[cell]().hidden_size, 3, dtype=np.float64, rng=1),
                            nn.Activation("tanh"), nn.Linear(3, K, dtype=np.float64, rng=2))
    return nn.SequenceModel(CELLS[cell](), readout)


def problem(loss, T=5, B=3, K=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, B, 2))
    mask = np.zeros((T, B, 1))
    mask[-2:] = 1  # a teaching signal on the last two steps
    if loss is losses.softmax_cross_entropy:
        return x, rng.integers(0, K, (T, B)), mask
    if loss is losses.logistic:
        return x, rng.random((T, B, K)), mask
    return x, rng.standard_normal((T, B, K)), mask


def outputs_at(model, theta, x):
    saved = curvature.flat(model)
    curvature.assign(model, theta)
    out, _ = model.forward(x, training=False)
    curvature.assign(model, saved)
    return out


def dense_jacobian(model, x, eps=1e-6):
    """J (outputs, parameters), column by column by central differences: independent of the jvp"""
    theta = curvature.flat(model)
    cols = [(outputs_at(model, theta + eps * e, x) - outputs_at(model, theta - eps * e, x)).ravel() / (2 * eps)
            for e in np.eye(theta.size)]
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("loss", [losses.mse, losses.logistic, losses.softmax_cross_entropy],
                         ids=["mse", "logistic", "softmax"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_gauss_newton_product_is_the_dense_matrix_symmetric_and_psd(cell, loss):
    model = tiny(cell)
    batch = problem(loss)
    J = dense_jacobian(model, batch[0])
    out, _ = model.forward(batch[0], training=False)
    HJ = np.stack([losses.hessian_product(loss, out, batch[1], batch[2], c.reshape(out.shape)).ravel()
                   for c in J.T], axis=1)
    G = J.T @ HJ  # built column by column, no jvp involved
    n = G.shape[0]
    model.zero_grad()
    before = [p.grad.copy() for p in model.parameters()]
    Gc = np.stack([curvature.gauss_newton_product(model, loss, batch, e) for e in np.eye(n)], axis=1)
    np.testing.assert_allclose(Gc, G, rtol=1e-6, atol=1e-8 * np.abs(G).max())
    for p, b in zip(model.parameters(), before):  # the model's gradients are left as they were
        np.testing.assert_array_equal(p.grad, b)
    rng = np.random.default_rng(1)
    u, v = rng.standard_normal(n), rng.standard_normal(n)
    Gu, Gv = (curvature.gauss_newton_product(model, loss, batch, w) for w in (u, v))
    np.testing.assert_allclose(u @ Gv, v @ Gu, rtol=1e-10)
    for w in rng.standard_normal((5, n)):
        assert w @ curvature.gauss_newton_product(model, loss, batch, w) >= -1e-12
    assert np.linalg.eigvalsh((Gc + Gc.T) / 2).min() > -1e-10 * np.abs(G).max()


@pytest.mark.parametrize("loss", [losses.mse, losses.logistic, losses.softmax_cross_entropy],
                         ids=["mse", "logistic", "softmax"])
def test_loss_hessian_product_matches_differences_of_the_gradient(loss):
    x, target, mask = problem(loss)
    rng = np.random.default_rng(2)
    z, v = rng.standard_normal((5, 3, 2)), rng.standard_normal((5, 3, 2))
    eps = 1e-6
    fd = (loss(z + eps * v, target, mask)[1] - loss(z - eps * v, target, mask)[1]) / (2 * eps)
    np.testing.assert_allclose(losses.hessian_product(loss, z, target, mask, v), fd, rtol=1e-6, atol=1e-10)


def test_structural_damping_adds_the_hidden_states_gauss_newton_matrix():
    model = tiny("rnn")
    batch = problem(losses.mse)
    v = np.random.default_rng(3).standard_normal(model.num_parameters())
    plain = curvature.gauss_newton_product(model, losses.mse, batch, v)
    damped = curvature.gauss_newton_product(model, losses.mse, batch, v, structural=0.5)
    model.forward(batch[0])
    _, _, r_hidden = model.jvp(tangents=curvature.split(model, v), return_hidden=True)
    # v.S v = |J_h v|^2 / B: what the hidden states' change costs
    np.testing.assert_allclose(v @ (damped - plain), 0.5 * np.sum(r_hidden ** 2) / 3, rtol=1e-10)


def test_jvp_before_forward_or_after_backward_raises():
    model = tiny("rnn")
    with pytest.raises(RuntimeError, match="jvp: call forward"):
        model.jvp()
    out, _ = model.forward(np.zeros((2, 1, 2)))
    model.backward(np.ones_like(out))
    with pytest.raises(RuntimeError, match="jvp before backward"):
        model.recurrent.jvp()


def test_split_checks_the_length():
    with pytest.raises(ValueError, match="vec: expected"):
        curvature.split(tiny("rnn"), np.zeros(3))


def test_hessian_free_descends_and_adapts_its_damping():
    rng = np.random.default_rng(4)
    model = nn.SequenceModel(nn.RNN(2, 6, dtype=np.float64, rng=0), nn.Linear(6, 1, dtype=np.float64, rng=1))
    x = rng.standard_normal((8, 40, 2))
    y = np.cumsum(x[..., :1], axis=0) * 0.3  # a running sum: needs the recurrence
    batch, small = (x, y), (x[:, :10], y[:, :10])
    hf = optim.HessianFree(model, losses.mse, damping=10.0, structural=1 / 30)
    first = curvature.loss_value(model, losses.mse, batch)
    lambdas = []
    for _ in range(15):
        r = hf.step(batch, small)
        assert r["new_loss"] <= r["loss"] + 1e-12  # never a step uphill
        lambdas.append(r["damping"])
    assert curvature.loss_value(model, losses.mse, batch) < 0.2 * first
    assert min(lambdas) < 10.0  # good reductions lowered lambda
    assert hf.passes > 15 * (2 * 40 + 3 * 10)


@pytest.mark.parametrize("loss", [losses.mse, losses.softmax_cross_entropy], ids=["mse", "softmax"])
def test_mean_squared_case_gradients_are_each_sequences_own_gradient_squared(loss):
    model = tiny("lstm")
    x, target, mask = problem(loss)
    theta = curvature.flat(model)
    model.zero_grad()
    before = [p.grad.copy() for p in model.parameters()]

    def case_loss(i, th):
        curvature.assign(model, th)
        return curvature.loss_value(model, loss, (x[:, i:i + 1], target[:, i:i + 1], mask[:, i:i + 1]))

    eps, B = 1e-6, x.shape[1]
    # each sequence's gradient by central differences of its own loss: no backward involved
    fd = np.array([[(case_loss(i, theta + eps * e) - case_loss(i, theta - eps * e)) / (2 * eps)
                    for e in np.eye(theta.size)] for i in range(B)])
    curvature.assign(model, theta)
    got = curvature.mean_squared_case_gradients(model, loss, (x, target, mask))
    np.testing.assert_allclose(got, np.mean(fd ** 2, axis=0), rtol=1e-6, atol=1e-12)
    for p, b in zip(model.parameters(), before):  # the model's gradients are left as they were
        np.testing.assert_array_equal(p.grad, b)
    # the mean of squares is not the square of the batch's gradient (that would be the sum's)
    _, g = curvature.loss_and_gradient(model, loss, (x, target, mask))
    assert np.all(got >= g ** 2 - 1e-12) and not np.allclose(got, g ** 2)


@pytest.mark.parametrize("precondition", [0.0, 0.75, 1.0])
def test_hessian_free_cg_solves_the_damped_system_with_or_without_the_preconditioner(precondition):
    model = tiny("rnn")
    batch = problem(losses.mse)
    n = model.num_parameters()
    G = np.stack([curvature.gauss_newton_product(model, losses.mse, batch, e) for e in np.eye(n)], axis=1)
    _, g = curvature.loss_and_gradient(model, losses.mse, batch)
    hf = optim.HessianFree(model, losses.mse, damping=0.1, max_cg=4 * n, cg_tol=0.0, precondition=precondition)
    kept, iters, d = hf._cg(g, batch)
    np.testing.assert_allclose(d, np.linalg.solve(G + 0.1 * np.eye(n), -g), rtol=1e-6, atol=1e-9)
    assert kept[-1][1] == pytest.approx(g @ d + 0.5 * d @ (G + 0.1 * np.eye(n)) @ d, rel=1e-8)
    # the preconditioner's per-sequence gradients are counted: a forward and a backward each
    B = batch[0].shape[1]
    assert hf.passes - (2 * B if precondition else 0) in (3 * B * iters, 3 * B * (iters + 1))


def test_martens_preconditioner_is_the_damped_diagonal_to_the_three_quarters():
    model = tiny("rnn")
    batch = problem(losses.mse)
    assert optim.HessianFree(model, losses.mse).precondition == 0  # off unless asked: docs/hessian-free.md
    hf = optim.HessianFree(model, losses.mse, precondition=0.75)  # Martens (2010)
    f = curvature.mean_squared_case_gradients(model, losses.mse, batch)
    np.testing.assert_allclose(hf._preconditioner(batch, 0.5), (f + 0.5) ** 0.75, rtol=1e-12)
    np.testing.assert_array_equal(optim.HessianFree(model, losses.mse, precondition=0)._preconditioner(batch, 0.5),
                                  np.ones(1))


def test_hessian_free_rejects_bad_options():
    with pytest.raises(ValueError, match="damping > 0"):
        optim.HessianFree(tiny("rnn"), losses.mse, damping=0)
    with pytest.raises(ValueError, match="precondition: expected an exponent >= 0"):
        optim.HessianFree(tiny("rnn"), losses.mse, precondition=-0.75)


@pytest.mark.parametrize("precondition", [0.0, 0.75])
def test_hessian_free_descends_with_and_without_the_diagonal_preconditioner(precondition):
    rng = np.random.default_rng(4)
    model = nn.SequenceModel(nn.RNN(2, 6, dtype=np.float64, rng=0), nn.Linear(6, 1, dtype=np.float64, rng=1))
    x = rng.standard_normal((8, 40, 2))
    y = np.cumsum(x[..., :1], axis=0) * 0.3
    batch, small = (x, y), (x[:, :10], y[:, :10])
    hf = optim.HessianFree(model, losses.mse, damping=10.0, precondition=precondition)
    first = curvature.loss_value(model, losses.mse, batch)
    for _ in range(10):
        r = hf.step(batch, small)
        assert r["new_loss"] <= r["loss"] + 1e-12
    assert curvature.loss_value(model, losses.mse, batch) < 0.3 * first
    per_step = 2 * 40 + 3 * 10 + (2 * 10 if precondition else 0)  # the preconditioner's per-case gradients
    assert hf.passes >= 10 * per_step


def test_hessian_free_rejects_a_negative_preconditioner_exponent():
    with pytest.raises(ValueError, match="precondition: expected an exponent >= 0"):
        optim.HessianFree(tiny("rnn"), losses.mse, precondition=-1)
