"""Losses that return (loss, dloss/dprediction), with a mask for the lecture's teaching signals.

`mask` says where there is a target (slide 17): it broadcasts against the prediction, so a (T, B, 1)
mask picks steps (final step, last k steps), a (K,) mask picks output units, and their product picks
both; see rnnkern.train.targets. Zero-mask positions contribute nothing to the loss or the gradient,
and their target values are never read (they may be NaN).

reduction="mean" divides by the number of targets (the mask's sum, counted per unit for mse/logistic
and per step for softmax_cross_entropy); "sum" does not divide.
"""
import numpy as np

from ..cells import logistic as sigmoid


def _mask_and_scale(mask, shape, dtype, reduction):
    # mask broadcastable to `shape` (or None) -> float mask of `shape`, 1 / normaliser
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction: expected 'mean' or 'sum', got {reduction!r}")
    m = np.ones(shape, dtype) if mask is None else np.broadcast_to(np.asarray(mask, dtype), shape)
    if reduction == "sum":
        return m, 1.0
    count = float(m.sum())
    return m, (1.0 / count if count > 0 else 0.0)


def _float_pair(pred, target):
    pred = np.asarray(pred)
    if pred.dtype not in (np.float32, np.float64):
        pred = pred.astype(np.float64)
    target = np.asarray(target)
    if target.shape != pred.shape:
        target = np.broadcast_to(target, pred.shape)
    return pred, target


def mse(pred, target, mask=None, *, reduction="mean"):
    """Squared error 0.5 * (pred - target)^2 (the half makes the gradient pred - target).
    pred, target (...) -> (loss, dpred)."""
    pred, target = _float_pair(pred, target)
    m, scale = _mask_and_scale(mask, pred.shape, pred.dtype, reduction)
    diff = np.where(m != 0, pred - target.astype(pred.dtype), 0).astype(pred.dtype)
    loss = 0.5 * float(np.sum(m * diff * diff)) * scale
    return loss, (m * diff * scale).astype(pred.dtype)


def logistic(logits, target, mask=None, *, reduction="mean"):
    """Binary cross-entropy of logistic output units, computed from their total input (logits) so
    it never overflows: loss = max(z, 0) - z t + log(1 + exp(-|z|)), gradient sigmoid(z) - t.
    logits, target in [0, 1] (...) -> (loss, dlogits)."""
    z, target = _float_pair(logits, target)
    m, scale = _mask_and_scale(mask, z.shape, z.dtype, reduction)
    t = np.where(m != 0, target.astype(z.dtype), 0)
    per_unit = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    loss = float(np.sum(m * per_unit)) * scale
    return loss, (m * (sigmoid(z) - t) * scale).astype(z.dtype)


def softmax_cross_entropy(logits, target, mask=None, *, reduction="mean"):
    """Cross-entropy of softmax output units over the last axis.

    logits (..., K); target either class indices (...) of an integer dtype, or probabilities (..., K);
    mask broadcastable to logits.shape[:-1] (one target per step and sequence), or the (T, B, 1)
    masks of rnnkern.train.targets.
    -> (loss, dlogits (..., K))."""
    z = np.asarray(logits)
    if z.dtype not in (np.float32, np.float64):
        z = z.astype(np.float64)
    lead, K = z.shape[:-1], z.shape[-1]
    if mask is not None and np.ndim(mask) == z.ndim and np.shape(mask)[-1] == 1:
        mask = np.asarray(mask)[..., 0]  # a (T, B, 1) step mask from rnnkern.train.targets
    m, scale = _mask_and_scale(mask, lead, z.dtype, reduction)
    log_p = log_softmax(z)
    target = np.asarray(target)
    if np.issubdtype(target.dtype, np.integer):
        if target.shape != lead:
            raise ValueError(f"target: class indices must have shape logits.shape[:-1] = {lead}, got {target.shape}")
        idx = np.where(m != 0, target, 0)
        if idx.size and (idx.min() < 0 or idx.max() >= K):
            raise ValueError(f"target: class indices must be in [0, {K}), got [{idx.min()}, {idx.max()}]")
        probs = np.zeros(z.shape, z.dtype)
        np.put_along_axis(probs, idx[..., None], 1, axis=-1)
    else:
        if target.shape != z.shape:
            raise ValueError(f"target: probabilities must have the shape of logits {z.shape}, got {target.shape}")
        probs = np.where(m[..., None] != 0, target.astype(z.dtype), 0)
    loss = -float(np.sum(m[..., None] * probs * np.where(probs != 0, log_p, 0))) * scale
    grad = (np.exp(log_p) * probs.sum(axis=-1, keepdims=True) - probs) * (m * scale)[..., None]
    return loss, grad.astype(z.dtype)


def hessian_product(loss, pred, target, mask=None, v=None, *, reduction="mean"):
    """H v, the Hessian of `loss` (mse, logistic or softmax_cross_entropy of this module) w.r.t.
    its prediction at `pred`, times v (pred's shape): the middle of a Gauss-Newton product
    J^T H J v. In closed form, and positive semi-definite for all three: mse m v; logistic
    m s(1-s) v with s = sigmoid(z); softmax (sum of the target) (p v - p (p . v)) per step."""
    z = np.asarray(pred)
    if z.dtype not in (np.float32, np.float64):
        z = z.astype(np.float64)
    v = np.asarray(v, z.dtype)
    if v.shape != z.shape:
        raise ValueError(f"v: expected the prediction's shape {z.shape}, got {v.shape}")
    if loss is mse or loss is logistic:
        m, scale = _mask_and_scale(mask, z.shape, z.dtype, reduction)
        if loss is mse:  # the target does not enter
            return (m * scale * v).astype(z.dtype)
        s = sigmoid(z)
        return (m * scale * s * (1 - s) * v).astype(z.dtype)
    if loss is softmax_cross_entropy:
        if mask is not None and np.ndim(mask) == z.ndim and np.shape(mask)[-1] == 1:
            mask = np.asarray(mask)[..., 0]
        m, scale = _mask_and_scale(mask, z.shape[:-1], z.dtype, reduction)
        t = np.asarray(target)
        weight = np.ones(z.shape[:-1], z.dtype) if np.issubdtype(t.dtype, np.integer) else \
            np.where(m != 0, t.astype(z.dtype), 0).sum(axis=-1)
        p = softmax(z)
        hv = p * v - p * np.sum(p * v, axis=-1, keepdims=True)
        return (hv * (m * scale * weight)[..., None]).astype(z.dtype)
    raise ValueError(f"loss: expected losses.mse, losses.logistic or losses.softmax_cross_entropy, got {loss!r}")


def log_softmax(z):
    """log softmax over the last axis, shifted by the max so exp never overflows."""
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax(z):
    return np.exp(log_softmax(z))
