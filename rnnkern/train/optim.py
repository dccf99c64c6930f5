"""Optimisers over a module's Parameter(name, value, grad) triples, updating values in place.

SGD with momentum (and Nesterov's variant) is the lecture's optimiser (slide 28, "good
initialisation with momentum"); Adam is here for the long-range tasks where a fixed budget of steps
matters more than faithfulness; HessianFree is the fourth of slide 28's ways, second-order steps from
Gauss-Newton products (rnnkern.train.curvature). Clipping the global gradient norm keeps one exploding gradient
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


class HessianFree:
    """Hessian-free optimisation (Martens 2010) of a SequenceModel, with Martens & Sutskever's
    (2011) structural damping as an option. Each `step(batch, curvature_batch)`:

    1. the loss f and gradient g on `batch`;
    2. conjugate gradient on (G + lambda I) d = -g, G the Gauss-Newton matrix on the smaller
       `curvature_batch` (rnnkern.train.curvature), optionally preconditioned by Martens' diagonal
       M = (diag(F) + lambda)^xi, F the mean over the curvature batch's sequences of their
       gradients' outer products (curvature.mean_squared_case_gradients), xi = `precondition`;
       started from `decay` times the previous
       step's final CG iterate, stopped by Martens' relative-progress test on the quadratic
       phi(d) = g.d + d.(G + lambda I) d / 2: after i > k = max(10, i / 10) iterations, when
       (phi_i - phi_{i-k}) / phi_i < k * cg_tol; or after max_cg iterations;
    3. CG backtracking: of the iterates kept at iterations ceil(backtrack^j), the last one and then
       earlier ones are tried on `batch` for as long as f keeps falling; the best is the step;
    4. Levenberg-Marquardt: rho = (f(theta + d) - f) / phi(d); lambda *= boost if rho < 1/4,
       lambda *= drop if rho > 3/4;
    5. a backtracking line search along d (Armijo, c = 1e-2, shrinking by 0.8, at most
       `line_search` tries) when f(theta + d) does not fall enough; no move if none does.

    Options and their defaults: damping lambda = 1.0 (ours), boost 3/2 and drop 2/3 (Martens
    2010), cg_tol 5e-4 (Martens 2010), max_cg 250 (Martens 2010), backtrack 1.3 (Martens 2010),
    decay 0.95 (Martens & Sutskever 2012), structural mu = 0 (off; Martens & Sutskever 2011 use
    1/30 for their pathological problems: G + lambda mu S + lambda I, with S the hidden states'
    Gauss-Newton matrix), precondition xi = 0 (no preconditioner, M = I; Martens 2010 uses 0.75,
    which on the hf demo's adding problem solved fewer runs for more passes: docs/hessian-free.md).
    Martens sums F over the gradient's minibatch; here it is the curvature minibatch's, whose
    sequences cost a forward and backward each, alone. `passes` counts sequence passes spent: 2 per
    sequence for a gradient (forward and backward; also per sequence of the preconditioner), 3
    per sequence for a G v (forward, jvp, backward), 1 per sequence for a loss value.
    """

    def __init__(self, model, loss, *, damping=1.0, structural=0.0, max_cg=250, cg_tol=5e-4,
                 decay=0.95, backtrack=1.3, boost=1.5, drop=2 / 3, line_search=8, precondition=0.0):
        from . import curvature
        if damping <= 0 or structural < 0 or max_cg < 1 or not 0 <= decay <= 1 or backtrack <= 1:
            raise ValueError(f"expected damping > 0, structural >= 0, max_cg >= 1, 0 <= decay <= 1 and "
                             f"backtrack > 1, got {damping}, {structural}, {max_cg}, {decay}, {backtrack}")
        if precondition < 0:
            raise ValueError(f"precondition: expected an exponent >= 0 (0: none), got {precondition}")
        self._c = curvature
        self.model, self.loss = model, loss
        self.damping, self.structural, self.max_cg, self.cg_tol = damping, structural, max_cg, cg_tol
        self.decay, self.backtrack, self.boost, self.drop = decay, backtrack, boost, drop
        self.line_search, self.precondition = line_search, precondition
        self.previous = None  # the last step's final CG iterate: the next CG's start
        self.passes = 0

    def _count(self, batch, per_sequence):
        self.passes += per_sequence * np.shape(batch[0])[1]

    def _cg(self, g, curvature_batch):
        # CG on A d = -g, A = G + lambda (mu S + I) -> (iterates kept for backtracking, phi's, last)
        lam = self.damping

        def A(v):
            self._count(curvature_batch, 3)
            gv = self._c.gauss_newton_product(self.model, self.loss, curvature_batch, v,
                                              structural=lam * self.structural)
            return gv + lam * v

        m = self._preconditioner(curvature_batch, lam)
        d = np.zeros_like(g) if self.previous is None else self.decay * self.previous
        r = -g - A(d) if d.any() else -g.copy()
        z = r / m
        p, rz = z.copy(), float(r @ z)
        phis, kept, next_keep = [], [], 1.0
        for i in range(1, self.max_cg + 1):
            Ap = A(p)
            pAp = float(p @ Ap)
            if pAp <= 0 or rz == 0:
                break
            alpha = rz / pAp
            d += alpha * p
            r -= alpha * Ap
            phis.append(-0.5 * float(d @ (r - g)))  # phi = g.d + d.A d / 2, with A d = -g - r
            if i >= next_keep:
                kept.append((i, d.copy(), phis[-1]))
                next_keep = np.ceil(next_keep * self.backtrack)
            k = max(10, i // 10)
            if i > k and phis[-1] < 0 and (phis[-1] - phis[-1 - k]) / phis[-1] < k * self.cg_tol:
                break
            z = r / m
            rz_new = float(r @ z)
            p = z + (rz_new / rz) * p
            rz = rz_new
        if not kept or kept[-1][0] != len(phis):  # the final iterate is always a candidate
            kept.append((len(phis), d.copy(), phis[-1] if phis else 0.0))
        return [(dk, phi) for _, dk, phi in kept], len(phis), d

    def _preconditioner(self, curvature_batch, lam):
        # Martens' (diag(F) + lambda)^xi; CG divides by it (xi = 0: ones, plain CG)
        if not self.precondition:
            return np.ones(1, self.model.dtype)
        self._count(curvature_batch, 2)
        f = self._c.mean_squared_case_gradients(self.model, self.loss, curvature_batch)
        return (f + lam) ** self.precondition

    def step(self, batch, curvature_batch=None):
        """One HF iteration; batch and curvature_batch are (x, target[, mask]) (the curvature
        batch defaults to the gradient's). -> dict(loss, new_loss, rho, damping, cg_iters, alpha)."""
        curvature_batch = batch if curvature_batch is None else curvature_batch
        theta = self._c.flat(self.model)
        f0, g = self._c.loss_and_gradient(self.model, self.loss, batch)
        self._count(batch, 2)
        kept, iters, last = self._cg(g, curvature_batch)
        self.previous = last

        def f_at(d):
            self._c.assign(self.model, theta + d)
            self._count(batch, 1)
            return self._c.loss_value(self.model, self.loss, batch)

        # CG backtracking: from the last kept iterate back while f keeps falling
        best = len(kept) - 1
        f_best = f_at(kept[best][0])
        while best > 0:
            f_prev = f_at(kept[best - 1][0])
            if f_prev >= f_best:
                break
            best, f_best = best - 1, f_prev
        d, phi = kept[best]
        rho = (f_best - f0) / phi if phi < 0 else -np.inf
        if rho < 0.25:
            self.damping *= self.boost
        elif rho > 0.75:
            self.damping *= self.drop
        alpha, gd, f_new, tries = 1.0, float(g @ d), f_best, 0
        while f_new > f0 + 1e-2 * alpha * gd:
            if tries == self.line_search:
                alpha, f_new = 0.0, f0
                break
            alpha, tries = alpha * 0.8, tries + 1
            f_new = f_at(alpha * d)
        self._c.assign(self.model, theta + alpha * d)
        return dict(loss=f0, new_loss=f_new, rho=rho, damping=self.damping, cg_iters=iters, alpha=alpha)
