"""Training: losses with per-step, per-unit masks, the lecture's teaching signals, SGD with momentum
and gradient clipping, Gauss-Newton products and a Hessian-free optimiser, initialisers, the
lecture's tasks, and the demos (`python -m rnnkern demo`).

    from rnnkern.train import losses, targets, optim, init, tasks, curvature
"""
from . import curvature, init, losses, optim, targets, tasks

__all__ = ["curvature", "init", "losses", "optim", "targets", "tasks"]
