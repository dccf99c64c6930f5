"""Optimisers over a module's Parameter(name, value, grad) triples, updating values in place.

SGD with momentum (and Nesterov's variant) is the lecture's optimiser (slide 28, "good
initialisation with momentum"); Adam is here for the long-range tasks where a fixed budget of steps
matters more than faithfulness. Clipping the global gradient norm keeps one exploding gradient
(slides 26-27) from throwing the weights far away.
"""
import numpy as np


def _parameter_list(params):
    # a Module or an iterable of Parameter -> list of Parameter
    plist = list(params.parameters() if hasattr(params, "parameters") else params)
    if not plist:
        raise ValueError("params: got no parameters")
    return plist


def global_grad_norm(params):
    """sqrt of the sum of every squared gradient entry."""
    return float(np.sqrt(sum(float(np.vdot(p.grad, p.grad)) for p in _parameter_list(params))))


def clip_grad_norm(params, max_norm):
    """Scale every gradient by min(1, max_norm / global norm) in place; returns the norm before."""
    plist = _parameter_list(params)
    norm = global_grad_norm(plist)
    if np.isfinite(norm) and norm > max_norm:
        for p in plist:
            p.grad[...] *= max_norm / norm
    return norm


class SGD:
    """v <- momentum * v + g;  w <- w - lr * (g + momentum * v if nesterov else v)   (PyTorch's form).

    With a constant lr this is the lecture's v <- momentum * v - lr * g; w <- w + v.
    weight_decay adds weight_decay * w to every gradient. `lr` may be changed between steps."""

    def __init__(self, params, lr, momentum=0.0, *, nesterov=False, weight_decay=0.0):
        if lr <= 0 or not 0 <= momentum < 1:
            raise ValueError(f"lr > 0 and 0 <= momentum < 1 expected, got lr={lr}, momentum={momentum}")
        if nesterov and momentum == 0:
            raise ValueError("nesterov: needs momentum > 0")
        self.params = _parameter_list(params)
        self.lr, self.momentum, self.nesterov, self.weight_decay = lr, momentum, nesterov, weight_decay
        self.velocity = [np.zeros_like(p.value) for p in self.params]

    def step(self):
        for p, v in zip(self.params, self.velocity):
            g = p.grad + self.weight_decay * p.value if self.weight_decay else p.grad
            if self.momentum:
                v *= self.momentum
                v += g
                g = g + self.momentum * v if self.nesterov else v
            p.value[...] -= self.lr * g


class Adam:
    """Kingma & Ba's Adam with bias correction."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = _parameter_list(params)
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.m = [np.zeros_like(p.value) for p in self.params]
        self.v = [np.zeros_like(p.value) for p in self.params]
        self.t = 0

    def step(self):
        self.t += 1
        c1, c2 = 1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            m *= self.beta1
            m += (1 - self.beta1) * p.grad
            v *= self.beta2
            v += (1 - self.beta2) * p.grad * p.grad
            p.value[...] -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
