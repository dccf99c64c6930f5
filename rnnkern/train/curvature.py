"""Curvature-vector products for second-order training (Martens 2010; Schraudolph 2002).

The Gauss-Newton matrix of a loss L(f(theta)) is G = J^T H_L J, with J the Jacobian of the
network's output w.r.t. its parameters and H_L the Hessian of the loss w.r.t. the output. It is
positive semi-definite whenever H_L is (mse, logistic, softmax: losses.hessian_product), which
makes it the curvature Hessian-free optimisation trusts. G v costs one forward, one forward-mode
product through the recurrent kernels (rnnkern.lstm_jvp / gru_jvp / rnn_jvp: the R-forward of
Pearlmutter 1994) and the ordinary backward, never a matrix.

Parameter vectors are flat, in `model.parameters()` order: `flat(model)` reads the values (or,
with grads=True, the gradients), `assign(model, vec)` writes values, `split(model, vec)` views
a vector as {name: array}.
"""
import numpy as np

from . import losses as L


def flat(model, *, grads=False):
    """The parameters (or their gradients) as one flat vector, in parameters() order."""
    return np.concatenate([(p.grad if grads else p.value).ravel() for p in model.parameters()])


def split(model, vec):
    """{name: view of vec shaped like that parameter}."""
    params = list(model.parameters())
    n = sum(p.value.size for p in params)
    if np.ndim(vec) != 1 or np.size(vec) != n:
        raise ValueError(f"vec: expected a flat vector of {n} entries (the model's parameters), "
                         f"got shape {np.shape(vec)}")
    out, i = {}, 0
    for p in params:
        out[p.name] = vec[i:i + p.value.size].reshape(p.value.shape)
        i += p.value.size
    return out


def assign(model, vec):
    """Write vec into the parameters' values, in place (optimisers keep their references)."""
    parts = split(model, vec)
    for p in model.parameters():
        p.value[...] = parts[p.name]


def _batch(batch):
    # (x, target) or (x, target, mask) -> x, target, mask
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        raise ValueError("batch: expected (x, target) or (x, target, mask)")
    x, target, *mask = batch
    return x, target, (mask[0] if mask else None)


def gauss_newton_product(model, loss, batch, v, *, structural=0.0):
    """G v = J^T H_L J v for a SequenceModel on `batch` = (x, target[, mask]): `loss` one of
    losses.mse / logistic / softmax_cross_entropy, mask its mask; v a flat parameter vector.

    structural > 0 adds structural * S v, where S = J_h^T J_h / B is the Gauss-Newton matrix of
    the recurrent layer's hidden states under a squared error, per sequence: Martens & Sutskever's
    (2011) structural damping, which penalises moves that change the hidden states much (pass
    lambda * mu). The model's gradients are left as they were. -> G v, flat, in v's dtype."""
    x, target, mask = _batch(batch)
    saved = [p.grad.copy() for p in model.parameters()]
    tangents = split(model, np.asarray(v, model.dtype))
    out, _ = model.forward(x)
    r_out, _, r_hidden = model.jvp(tangents=tangents, return_hidden=True)
    model.zero_grad()
    dy = model.readout.backward(L.hessian_product(loss, out, target, mask, r_out))
    if structural:
        dy = dy + (structural / r_hidden.shape[1]) * r_hidden
    model.recurrent.backward(dy)
    gv = flat(model, grads=True)
    for p, g in zip(model.parameters(), saved):
        p.grad[...] = g
    return gv


def loss_and_gradient(model, loss, batch):
    """-> (loss value, flat gradient) on `batch` = (x, target[, mask]); gradients are left in
    the model's gradient arrays too."""
    x, target, mask = _batch(batch)
    out, _ = model.forward(x)
    value, dout = loss(out, target, mask)
    model.zero_grad()
    model.backward(dout)
    return value, flat(model, grads=True)


def mean_squared_case_gradients(model, loss, batch):
    """(1/N) sum over the N sequences of `batch` of each one's gradient squared, entry by entry:
    the diagonal of the empirical Fisher matrix, which Martens (2010) builds his CG preconditioner
    from. Each sequence's gradient is its own loss's (a forward and backward on it alone): a summed
    gradient cannot give the sum of squares. The model's gradients are left as they were."""
    x, target, mask = _batch(batch)
    saved = [p.grad.copy() for p in model.parameters()]
    total = np.zeros(sum(g.size for g in saved), np.float64)
    n = np.shape(x)[1]
    for i in range(n):
        one = slice(i, i + 1)
        # targets and (T, B, 1) step masks are per sequence; a (K,) unit mask is shared
        case_mask = mask[:, one] if np.ndim(mask) == 3 and np.shape(mask)[1] == n else mask
        _, g = loss_and_gradient(model, loss, (x[:, one], target[:, one], case_mask))
        total += np.square(g, dtype=np.float64)
    for p, g in zip(model.parameters(), saved):
        p.grad[...] = g
    return (total / n).astype(model.dtype)


def loss_value(model, loss, batch):
    """The loss on `batch`, inference only (no workspace kept)."""
    x, target, mask = _batch(batch)
    out, _ = model.forward(x, training=False)
    return loss(out, target, mask)[0]
