"""What each contender times: rnnkern's functional API, torch.nn's LSTM/GRU/RNN and rnnkern.reference,
as (setup, run) closures of one call, built in the contender's own process (worker.py).
ContenderThreads sets one thread count on all three in one process (benchmarks/bench_gemm.py)."""
from .. import cells
from .problems import cell_kind

RNNKERN, TORCH, REFERENCE = "rnnkern", "torch", "reference"
CONTENDERS = (RNNKERN, TORCH, REFERENCE)  # the kinds, and the result keys of a JSON row
DROP_IN = "rnnkern.torch"  # the drop-in modules, a contender of --torch-module only (torch_module.py)


def numpy_call(module, cell, mode, p, steps=None):
    """(setup, run) of one call of rnnkern's functional API, or of `module` with the same API
    (rnnkern.reference), over the first `steps` steps of problem `p`."""
    kind, act = cell_kind(cell)
    fwd, bwd = getattr(module, f"{kind}_forward"), getattr(module, f"{kind}_backward")
    kw = {"activation": act} if cells.get(kind).takes_activation else {}
    x, dy = p["x"][:steps], p["dy"][:steps]
    args = (x, p["w_ih"], p["w_hh"], p["b_ih"], p["b_hh"])
    if mode == "inference":
        def run():
            return fwd(*args, training=False, **kw)[0]
    else:
        def run():
            bwd(fwd(*args, training=True, **kw)[-1], dy)
    return (lambda: None), run


def torch_module(torch, cell, p):
    """torch.nn.LSTM / GRU / RNN holding problem `p`'s weights, in its dtype; None for a cell that torch
    lacks (rnn-logistic)."""
    kind, act = cell_kind(cell)
    spec = cells.get(kind)
    G, I = p["w_ih"].shape
    H = G // spec.G
    dtype = {"float32": torch.float32, "float64": torch.float64}[str(p["x"].dtype)]
    if act not in cells.TORCH_UNITS:
        return None
    extra = {"nonlinearity": act} if spec.takes_activation else {}
    m = getattr(torch.nn, spec.torch_name)(I, H, **extra).to(dtype)
    with torch.no_grad():
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            kind_, part = name.split("_")
            attr = ("weight_" if kind_ == "w" else "bias_") + part + "_l0"
            getattr(m, attr).copy_(torch.from_numpy(p[name]))
    return m


def torch_call(torch, module, mode, p, steps=None):
    """(setup, run) of one torch call over the first `steps` steps: no_grad forward for inference;
    forward and backward of sum(y * dy), with gradients for the input and every parameter, for training."""
    x, dy = torch.from_numpy(p["x"][:steps]), torch.from_numpy(p["dy"][:steps])
    if mode == "inference":
        def run():
            with torch.no_grad():
                return module(x)[0]
        return (lambda: None), run
    x = x.clone().requires_grad_(True)

    def setup():
        module.zero_grad(set_to_none=True)
        x.grad = None

    def run():
        (module(x)[0] * dy).sum().backward()
    return setup, run


def _import_torch(wanted=True):
    """-> (torch, None), or (None, why it is left out)."""
    if not wanted:
        return None, "left out (--no-torch)"
    try:
        import torch
    except ImportError as e:
        return None, f"not importable ({e}); pip install torch==2.13.0"
    return torch, None


class ContenderThreads:
    """Sets one thread count on every contender in this one process: rnnkern, torch, and numpy's BLAS
    (the reference's); restore() puts back what was there before."""

    def __init__(self, torch):
        import rnnkern

        self.torch = torch
        self.before = (rnnkern.get_num_threads(), torch.get_num_threads() if torch is not None else None)
        try:
            from threadpoolctl import ThreadpoolController
            self.blas = ThreadpoolController().select(user_api="blas")
        except ImportError:
            self.blas = None
        self.limiter = None

    def set(self, n):
        import rnnkern

        rnnkern.set_num_threads(n)
        if self.torch is not None:
            self.torch.set_num_threads(n)
        if self.blas is not None:
            self.restore_blas()
            self.limiter = self.blas.limit(limits=n)

    def restore_blas(self):
        if self.limiter is not None:
            self.limiter.restore_original_limits()
            self.limiter = None

    def restore(self):
        import rnnkern

        rnnkern.set_num_threads(self.before[0])
        if self.torch is not None:
            self.torch.set_num_threads(self.before[1])
        self.restore_blas()
