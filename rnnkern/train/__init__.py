"""Training: losses with per-step, per-unit masks, the lecture's teaching signals, SGD with momentum
and gradient clipping, initialisers, the lecture's tasks, and the demos (`python -m rnnkern demo`).

    from rnnkern.train import losses, targets, optim, init, tasks
"""
from . import init, losses, optim, targets, tasks

__all__ = ["init", "losses", "optim", "targets", "tasks"]
