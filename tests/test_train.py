"""rnnkern.train: losses (gradients against finite differences, masks, stability), teaching-signal
helpers, optimisers, initialisers and the task generators."""
import numpy as np
import pytest

from rnnkern import nn
from rnnkern.train import init, losses, optim, targets, tasks


def _numeric_grad(f, a, eps=1e-6):
    g = np.zeros_like(a)
    flat, gf = a.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        gf[i] = (up - down) / (2 * eps)
    return g


MASKS = {"none": None, "steps": targets.last_steps_mask(4, 3, 2), "units": targets.unit_mask(5, [0, 3])}


@pytest.mark.parametrize("mask", list(MASKS), ids=list(MASKS))
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("loss", ["mse", "logistic", "softmax-indices", "softmax-probabilities"])
def test_loss_gradients_match_finite_differences(loss, mask, reduction):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 3, 5)) * 3
    m = MASKS[mask]
    if loss == "mse":
        fn, target = losses.mse, rng.standard_normal(z.shape)
    elif loss == "logistic":
        fn, target = losses.logistic, rng.random(z.shape)
    elif loss == "softmax-indices":
        fn, target = losses.softmax_cross_entropy, rng.integers(0, 5, z.shape[:2])
    else:
        fn, target = losses.softmax_cross_entropy, losses.softmax(rng.standard_normal(z.shape))
    if loss.startswith("softmax") and mask == "units":
        m = None  # one target per step: a unit mask does not apply
    value, grad = fn(z, target, m, reduction=reduction)
    assert grad.shape == z.shape and grad.dtype == z.dtype
    np.testing.assert_allclose(grad, _numeric_grad(lambda: fn(z, target, m, reduction=reduction)[0], z),
                               rtol=1e-6, atol=1e-8)


def test_loss_values():
    z = np.array([[0.0, 2.0]])
    assert losses.mse(z, np.array([[1.0, 1.0]]))[0] == pytest.approx(0.5)  # mean of 0.5 * (1 + 1)
    assert losses.logistic(np.zeros(3), np.ones(3))[0] == pytest.approx(np.log(2))
    assert losses.softmax_cross_entropy(np.zeros((2, 4)), np.array([1, 3]))[0] == pytest.approx(np.log(4))
    # the mean divides by the number of targets the mask keeps
    m = np.array([[1.0, 0.0]])
    assert losses.mse(z, np.zeros((1, 2)), m)[0] == 0.0
    assert losses.mse(z, np.zeros((1, 2)), 1 - m)[0] == pytest.approx(2.0)


def test_logistic_is_stable_and_masked_targets_are_never_read():
    z = np.array([-1000.0, 1000.0, 30.0, -30.0])
    value, grad = losses.logistic(z, np.array([1.0, 0.0, 1.0, 0.0]))
    assert value == pytest.approx(500.0 + 2 * np.log1p(np.exp(-30)) / 4, rel=1e-12)
    np.testing.assert_allclose(grad, [-0.25, 0.25, 0, 0], atol=1e-13)
    for fn, target in ((losses.mse, np.array([1.0, np.nan])), (losses.logistic, np.array([1.0, np.nan]))):
        value, grad = fn(np.zeros(2), target, np.array([1.0, 0.0]))
        assert np.isfinite(value) and np.all(np.isfinite(grad)) and grad[1] == 0
    value, grad = losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 99]), np.array([1.0, 0.0]))
    assert np.isfinite(value) and not grad[1].any()
    with pytest.raises(ValueError, match="class indices"):
        losses.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="reduction"):
        losses.mse(np.zeros(2), np.zeros(2), reduction="max")


def test_teaching_signal_masks():
    lengths = np.array([4, 2, 0])
    final = targets.final_step_mask(4, 3, lengths)[..., 0]
    np.testing.assert_array_equal(final, [[0, 0, 0], [0, 1, 0], [0, 0, 0], [1, 0, 0]])
    last2 = targets.last_steps_mask(4, 3, 2, lengths)[..., 0]
    np.testing.assert_array_equal(last2, [[0, 1, 0], [0, 1, 0], [1, 0, 0], [1, 0, 0]])
    np.testing.assert_array_equal(targets.valid_steps_mask(4, 3, lengths)[..., 0].sum(axis=0), lengths)
    np.testing.assert_array_equal(targets.unit_mask(4, [1, 3]), [0, 1, 0, 1])
    both = targets.final_step_mask(4, 3) * targets.unit_mask(2, [1])
    assert both.shape == (4, 3, 2) and both.sum() == 3 and both[-1, :, 1].all()


def test_next_step_and_delayed_targets():
    seq = np.arange(12).reshape(4, 3)
    inputs, goal, lengths = targets.next_step(seq, np.array([4, 3, 1]))
    np.testing.assert_array_equal(inputs, seq[:-1])
    np.testing.assert_array_equal(goal, seq[1:])
    np.testing.assert_array_equal(lengths, [3, 2, 0])
    late = targets.delayed(seq, 2)
    assert late.shape == (6, 3) and not late[:2].any()
    np.testing.assert_array_equal(late[2:], seq)


def test_sgd_momentum_and_nesterov_follow_their_formulas():
    net = nn.Linear(2, 1, bias=False, dtype=np.float64, rng=0)
    w0 = net.weight.copy()
    g = np.array([[1.0, -2.0]])
    for nesterov, second in ((False, 0.1 * (0.9 * g + g)), (True, 0.1 * (g + 0.9 * (0.9 * g + g)))):
        net.weight[...] = w0
        opt = optim.SGD(net, lr=0.1, momentum=0.9, nesterov=nesterov)
        for _ in range(2):
            net._grads["weight"][...] = g
            opt.step()
        first = 0.1 * (g + 0.9 * g) if nesterov else 0.1 * g
        np.testing.assert_allclose(net.weight, w0 - first - second)
    with pytest.raises(ValueError):
        optim.SGD(net, lr=0.1, nesterov=True)


def test_optimisers_train_a_tiny_regression():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    for make in (lambda n: optim.SGD(n, lr=0.1, momentum=0.9), lambda n: optim.Adam(n, lr=0.05)):
        net = nn.Linear(3, 1, dtype=np.float64, rng=0)
        opt = make(net)
        for _ in range(300):
            loss, d = losses.mse(net.forward(x), y)
            net.zero_grad()
            net.backward(d)
            opt.step()
        assert loss < 1e-6


def test_clip_grad_norm():
    net = nn.Linear(2, 2, dtype=np.float64, rng=0)
    net._grads["weight"][...] = [[3.0, 0.0], [0.0, 0.0]]
    net._grads["bias"][...] = [4.0, 0.0]
    assert optim.clip_grad_norm(net, 1.0) == pytest.approx(5.0)
    assert optim.global_grad_norm(net) == pytest.approx(1.0)
    assert optim.clip_grad_norm(net, 10.0) == pytest.approx(1.0)
    assert optim.global_grad_norm(net) == pytest.approx(1.0)


def test_initialisers():
    q = init.orthogonal((12, 3), gain=2.0, blocks=4, rng=0)
    for block in np.split(q, 4):
        np.testing.assert_allclose(block.T @ block, 4 * np.eye(3), atol=1e-12)
    wide = init.orthogonal((3, 5), rng=0)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-12)
    np.testing.assert_array_equal(init.identity((4, 2), 0.5, blocks=2), np.vstack([0.5 * np.eye(2)] * 2))
    w = init.echo_state(50, 0.8, density=0.2, rng=0)
    assert init.spectral_radius(w) == pytest.approx(0.8)
    assert 0.1 < np.mean(w != 0) < 0.3
    u = init.pytorch_uniform((100, 10), 25, rng=0)
    assert np.abs(u).max() <= 0.2 and np.abs(u).max() > 0.19
    with pytest.raises(ValueError, match="blocks"):
        init.orthogonal((10, 3), blocks=4)


def test_binary_addition_task_adds():
    rng = np.random.default_rng(0)
    a, b = tasks.random_bits(50, 70, rng), tasks.random_bits(50, 70, rng)
    x, s = tasks.binary_addition(a, b)
    assert x.shape == (71, 50, 2) and s.shape == (71, 50)
    for ai, bi, si in zip(tasks.bits_to_int(a), tasks.bits_to_int(b), tasks.bits_to_int(s.T)):
        assert ai + bi == si  # Python integers: exact beyond 64 bits


def test_adding_problem_and_mackey_glass():
    x, y = tasks.adding_problem(200, 30, rng=0)
    assert x.shape == (30, 200, 2) and np.all(x[:, :, 1].sum(axis=0) == 2)
    assert np.all(x[:15, :, 1].sum(axis=0) == 1)  # one mark in each half
    np.testing.assert_allclose(y, (x[:, :, 0] * x[:, :, 1]).sum(axis=0))
    s = tasks.mackey_glass(1500)
    assert s.shape == (1500,) and 0.2 < s.min() < s.max() < 1.5
    # chaotic: starts 1e-6 apart stay close for a while, then end up as far apart as the series spans
    a = tasks.mackey_glass(3000, x0=1.2, discard=0)
    b = tasks.mackey_glass(3000, x0=1.2 + 1e-6, discard=0)
    assert np.max(np.abs(a[:500] - b[:500])) < 1e-4 and np.max(np.abs(a[2500:] - b[2500:])) > 0.2


def test_embedded_reber_strings_follow_the_grammar():
    rng = np.random.default_rng(0)
    for _ in range(200):
        s, legal = tasks.embedded_reber(rng)
        assert s[0] == "B" and s[-1] == "E" and s[1] == s[-2] and s[2] == "B" and s[-3] == "E"
        assert len(legal) == len(s) - 1
        assert all(nxt in allowed for nxt, allowed in zip(s[1:], legal))
        assert legal[-2] == {s[1]}  # the long-range dependency
    x, idx, lengths, legal_next = tasks.encode_strings(["BTBTXSETE", "BPBPVVEPE"], [legal, legal])
    assert x.shape == (9, 2, 7) and np.all(x.sum(axis=2) == 1) and list(lengths) == [9, 9]
    assert "".join(tasks.REBER_SYMBOLS[i] for i in idx[:, 0]) == "BTBTXSETE"
