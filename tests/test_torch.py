"""rnnkern.torch, the drop-in torch.nn.LSTM / GRU / RNN, against torch.nn itself: torch's own module
test data, gradients, dropout masks, the custom ops (opcheck), torch.compile and a training loop."""
import io
import pickle
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import rnnkern.torch as rt  # noqa: E402
from rnnkern.torch import _ops  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence  # noqa: E402

from conftest import TOLERANCE  # noqa: E402

KINDS = {"LSTM": (nn.LSTM, rt.LSTM), "GRU": (nn.GRU, rt.GRU), "RNN": (nn.RNN, rt.RNN)}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def _close(actual, expected, what=""):
    rtol, atol = TOLERANCE[np.dtype(str(expected.dtype).replace("torch.", ""))]
    scale = max(1.0, float(expected.detach().abs().max())) if expected.numel() else 1.0
    torch.testing.assert_close(actual, expected, rtol=rtol * 10, atol=atol * 10 * scale, msg=what)


def _tensors(out):
    """Every tensor of a module's output (PackedSequence data, hidden tuples), in order."""
    if isinstance(out, PackedSequence):
        return [out.data]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _tensors(o)]
    return [out]


def _run(module, args, kwargs):
    """Outputs, and the gradients of a fixed random projection of them w.r.t. every parameter and
    every input leaf that requires grad."""
    out = _tensors(module(*args, **kwargs))
    gen = torch.Generator().manual_seed(7)
    loss = sum((o * torch.randn(o.shape, generator=gen, dtype=o.dtype)).sum() for o in out)
    leaves = list(module.parameters()) + [t for t in _tensors(list(args)) if t.requires_grad]
    grads = torch.autograd.grad(loss, leaves, allow_unused=True) if loss.requires_grad else []
    return [o.detach() for o in out], grads


def _compare(ref, args, kwargs=None):
    kwargs = kwargs or {}
    m = rt.from_torch(ref)
    assert type(m).__name__ == type(ref).__name__ and m.training == ref.training
    torch.manual_seed(3)
    want, want_g = _run(ref, args, kwargs)
    torch.manual_seed(3)
    got, got_g = _run(m, args, kwargs)
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want)):
        assert a.shape == b.shape, f"output {i}"
        _close(a, b, f"output {i}")
    for i, (a, b) in enumerate(zip(got_g, want_g)):
        assert (a is None) == (b is None), f"gradient {i}"
        if a is not None:
            _close(a, b, f"gradient {i}")


# ---- torch's own module test data -------------------------------------------------------------

def _module_infos():
    try:
        pytest.importorskip("expecttest")
        from torch.testing._internal.common_modules import module_db
    except Exception:  # collection must not fail where torch's test helpers cannot load
        return []
    return [mi for mi in module_db if mi.module_cls in (nn.LSTM, nn.GRU, nn.RNN)]


@pytest.fixture(scope="module")
def module_db_infos():
    pytest.importorskip("expecttest")
    infos = _module_infos()
    assert {mi.module_cls for mi in infos} == {nn.LSTM, nn.GRU, nn.RNN}
    return infos


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("tdtype", ["float32", "float64"])
def test_module_db_samples(module_db_infos, tdtype, training):
    tdtype = getattr(torch, tdtype)
    n = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropout with one layer, proj_size's fallback
        for mi in module_db_infos:
            extra = {} if mi.module_cls is nn.LSTM else {"with_packed_sequence": True}
            for sample in mi.module_inputs_func(mi, device="cpu", dtype=tdtype, requires_grad=True,
                                                training=training, **extra):
                c, f = sample.constructor_input, sample.forward_input
                torch.manual_seed(0)
                ref = mi.module_cls(*c.args, **c.kwargs).to(tdtype).train(training)
                _compare(ref, f.args, f.kwargs)
                n += 1
    assert n >= 60


def test_module_db_error_inputs(module_db_infos):
    from torch.testing._internal.common_modules import ModuleErrorEnum
    n = 0
    for mi in module_db_infos:
        drop_in = KINDS[mi.module_cls.__name__][1]
        for err in mi.module_error_inputs_func(mi, device="cpu", dtype=torch.float32,
                                               requires_grad=False, training=True):
            c, f = err.module_error_input.constructor_input, err.module_error_input.forward_input
            with pytest.raises(err.error_type, match=err.error_regex):
                m = drop_in(*c.args, **c.kwargs)
                if err.error_on == ModuleErrorEnum.FORWARD_ERROR:
                    m(*f.args, **f.kwargs)
            n += 1
    assert n >= 3 * 10


# ---- the forward contract ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("batch_first", [False, True], ids=["tm", "bf"])
def test_matches_torch_nn(isa, dtype, kind, bidirectional, batch_first):
    torch.manual_seed(0)
    tdtype = getattr(torch, dtype.name)
    ref = KINDS[kind][0](5, 7, num_layers=2, bidirectional=bidirectional, batch_first=batch_first,
                         dtype=tdtype)
    x = torch.randn((3, 6, 5) if batch_first else (6, 3, 5), dtype=tdtype, requires_grad=True)
    D = 2 if bidirectional else 1
    h0 = torch.randn(2 * D, 3, 7, dtype=tdtype, requires_grad=True)
    hx = (h0, torch.randn(2 * D, 3, 7, dtype=tdtype, requires_grad=True)) if kind == "LSTM" else h0
    _compare(ref, (x,))
    _compare(ref, (x, hx))
    _compare(ref, (x[0] if batch_first else x[:, 0],))  # unbatched


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("enforce_sorted", [False, True], ids=["unsorted", "sorted"])
def test_packed_sequence(isa, dtype, kind, enforce_sorted):
    torch.manual_seed(0)
    tdtype = getattr(torch, dtype.name)
    ref = KINDS[kind][0](4, 6, num_layers=2, bidirectional=True, dtype=tdtype)
    lengths = torch.tensor([7, 5, 5, 2, 1]) if enforce_sorted else torch.tensor([2, 7, 1, 5, 5])
    x = torch.randn(7, 5, 4, dtype=tdtype)
    packed = pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
    packed.data.requires_grad_(True)
    h0 = torch.randn(4, 5, 6, dtype=tdtype)
    hx = (h0, torch.randn(4, 5, 6, dtype=tdtype)) if kind == "LSTM" else h0
    _compare(ref, (packed, hx))
    out, _ = rt.from_torch(ref)(packed, hx)
    assert torch.equal(out.batch_sizes, packed.batch_sizes)
    assert out.sorted_indices is packed.sorted_indices


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
def test_dropout_masks_equal_torch(kind, packed):
    torch.manual_seed(0)
    ref = KINDS[kind][0](4, 8, num_layers=3, dropout=0.5, bidirectional=True)
    x = torch.randn(6, 3, 4)
    inp = pack_padded_sequence(x, torch.tensor([6, 2, 4]), enforce_sorted=False) if packed else x
    m = rt.from_torch(ref)
    torch.manual_seed(11)
    want = _tensors(ref(inp))
    torch.manual_seed(11)
    got = _tensors(m(inp))
    for a, b in zip(got, want):
        _close(a, b)
    torch.manual_seed(12)
    assert not torch.allclose(_tensors(m(inp))[0], got[0])  # a new seed, new masks
    m.eval()
    _close(_tensors(m(inp))[0], _tensors(ref.eval()(inp))[0])  # no dropout in eval


def test_gradcheck_float64():
    torch.manual_seed(0)
    for kind in KINDS:
        m = KINDS[kind][1](3, 4, num_layers=2, bidirectional=True, dtype=torch.float64)
        x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
        h0 = torch.randn(4, 2, 4, dtype=torch.float64, requires_grad=True)
        if kind == "LSTM":
            c0 = torch.randn(4, 2, 4, dtype=torch.float64, requires_grad=True)
            assert torch.autograd.gradcheck(lambda a, h, c: m(a, (h, c))[0], (x, h0, c0))
        else:
            assert torch.autograd.gradcheck(lambda a, h: m(a, h)[0], (x, h0))
        w = m.weight_hh_l1_reverse
        assert torch.autograd.gradcheck(
            lambda wt: torch.func.functional_call(m, {"weight_hh_l1_reverse": wt}, (x,))[0], (w,))


def test_logistic_rnn():
    torch.manual_seed(0)
    m = rt.RNN(3, 4, nonlinearity="logistic", dtype=torch.float64)
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    y, h = m(x)
    want = torch.zeros(2, 4, dtype=torch.float64)
    for t in range(5):
        want = torch.sigmoid(x[t] @ m.weight_ih_l0.T + m.bias_ih_l0 + want @ m.weight_hh_l0.T + m.bias_hh_l0)
    _close(h[0], want)
    assert torch.autograd.gradcheck(lambda a: m(a)[0], (x,))
    assert "nonlinearity='logistic'" in repr(m)
    with pytest.raises(ValueError, match="nonlinearity"):
        m.to_torch()


def test_proj_size_falls_back_with_one_warning():
    torch.manual_seed(0)
    ref = nn.LSTM(3, 5, proj_size=2)
    m = rt.from_torch(ref)
    x = torch.randn(4, 2, 3)
    rt._modules._warned.clear()
    with pytest.warns(UserWarning, match="proj_size"):
        got = m(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m(x)  # warned once only
    _compare(ref, (x,))
    assert torch.equal(got[0], ref(x)[0])


def test_unsupported_inputs():
    m = rt.GRU(3, 4)
    with pytest.raises(ValueError, match="input dtype"):
        m(torch.randn(2, 1, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
        m(torch.randn(2, 1, 1, 3))
    with pytest.raises(RuntimeError, match="Expected hidden size"):
        m(torch.randn(2, 1, 3), torch.randn(1, 2, 4))
    half = rt.GRU(3, 4).to(torch.bfloat16)  # no bfloat16 kernel: torch.nn's own forward
    rt._modules._warned.clear()
    with pytest.warns(UserWarning, match="bfloat16"):
        half(torch.randn(2, 1, 3, dtype=torch.bfloat16))


def test_double_backward_raises():
    m = rt.RNN(3, 4, dtype=torch.float64)
    x = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True)
    g, = torch.autograd.grad(m(x)[0].sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="double backward"):
        g.sum().backward()


def test_torch_func_grad_runs():
    torch.manual_seed(0)
    ref = nn.LSTM(3, 4)
    m = rt.from_torch(ref)
    x = torch.randn(5, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = torch.func.grad(lambda a: m(a)[0].sum())(x)
    _close(got, torch.func.grad(lambda a: ref(a)[0].sum())(x))


def test_version_counter_catches_weights_changed_in_place():
    m = rt.LSTM(3, 4)
    y, _ = m(torch.randn(5, 2, 3))
    with torch.no_grad():
        m.weight_hh_l0.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("bidirectional", [False, True])
def test_no_workspace_without_grad(bidirectional):
    # without grad the layers skip autograd altogether, and compute what they compute with it
    m = rt.LSTM(3, 4, num_layers=2, bidirectional=bidirectional)
    x = torch.randn(5, 2, 3)
    with torch.no_grad():
        y, (h, c) = m(x)
    assert y.grad_fn is None and h.grad_fn is None
    y_grad, (h_grad, c_grad) = m(x)
    assert y_grad.grad_fn is not None
    for a, b in ((y, y_grad), (h, h_grad), (c, c_grad)):
        assert torch.equal(a, b.detach())


# ---- the module contract ----------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
def test_module_contract(kind):
    torch_cls, cls = KINDS[kind]
    assert issubclass(cls, nn.RNNBase) and not issubclass(cls, torch_cls)
    kw = dict(num_layers=2, bias=False, batch_first=True, dropout=0.25, bidirectional=True)
    torch.manual_seed(5)
    ref = torch_cls(3, 4, **kw)
    torch.manual_seed(5)
    m = cls(3, 4, **kw)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in ref.named_parameters()]
    for (_, a), (_, b) in zip(m.named_parameters(), ref.named_parameters()):
        assert torch.equal(a, b)  # same seed, same weights
    assert repr(m) == repr(ref)
    assert [[p.shape for p in ps] for ps in m.all_weights] == [[p.shape for p in ps] for ps in ref.all_weights]
    m.flatten_parameters()
    back = m.to_torch()
    assert type(back) is torch_cls and repr(back) == repr(ref)
    for k, v in ref.state_dict().items():
        assert torch.equal(back.state_dict()[k], v)
    m2 = cls(3, 4, **kw)
    m2.load_state_dict(ref.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(m2.parameters(), ref.parameters()))
    x = torch.randn(2, 5, 3)
    m.eval()
    want = m(x)[0]
    for copy in (pickle.loads(pickle.dumps(m)), _saved_and_loaded(m)):
        assert type(copy) is cls
        assert torch.equal(copy(x)[0], want)


def _saved_and_loaded(m):
    buf = io.BytesIO()
    torch.save(m, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def test_constructor_errors_match_torch():
    for args, kw in (((3, 4), dict(nonlinearity="sigmoid")), ((3, 4), dict(proj_size=2)),
                     ((3, 0), {}), ((3, 4), dict(dropout=2.0))):
        for kind in ("GRU", "RNN") if "proj_size" in kw else ("RNN",) if "nonlinearity" in kw else KINDS:
            torch_cls, cls = KINDS[kind]
            with pytest.raises(Exception) as want:
                torch_cls(*args, **kw)
            with pytest.raises(type(want.value), match=re.escape(str(want.value).split(".")[0])):
                cls(*args, **kw)
    with pytest.raises(TypeError, match="module"):
        rt.from_torch(nn.Linear(2, 2))


def test_patch_function_and_context_manager():
    orig = nn.LSTM, nn.GRU, nn.RNN
    with rt.patch():
        assert (nn.LSTM, nn.GRU, nn.RNN) == (rt.LSTM, rt.GRU, rt.RNN)
        assert isinstance(nn.LSTM(2, 3), rt.LSTM)
    assert (nn.LSTM, nn.GRU, nn.RNN) == orig
    p = rt.patch()
    try:
        assert torch.nn.GRU is rt.GRU
    finally:
        p.undo()
    assert (nn.LSTM, nn.GRU, nn.RNN) == orig


def test_torch_not_imported_by_rnnkern():
    code = "import sys, rnnkern, rnnkern.nn; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ---- the custom ops ---------------------------------------------------------------------------

def _op_args(cell, reverse, short, tdtype=torch.float64, training=True):
    T, B, I, H, G = 4, 3, 2, 5, GATES[cell]
    g = torch.Generator().manual_seed(1)

    def r(*shape):
        return torch.randn(shape, generator=g, dtype=tdtype, requires_grad=True)

    lengths = torch.tensor([4, 1, 0]) if short else None
    x = r(T, B, I)
    if short:
        with torch.no_grad():
            x[1:, 1] = 0
            x[:, 2] = 0
    return (x, r(G * H, I), r(G * H, H), r(G * H), r(G * H), r(B, H),
            r(B, H) if cell == "lstm" else None, lengths, cell, "tanh", reverse, training, short)


@pytest.mark.parametrize("cell", list(GATES))
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
@pytest.mark.parametrize("short", [False, True], ids=["full", "lengths"])
def test_opcheck(cell, reverse, short):
    args = _op_args(cell, reverse, short)
    torch.library.opcheck(_ops.forward, args)
    y, hT, cT, ws = _ops.forward(*[a.detach() if isinstance(a, torch.Tensor) else a for a in args])
    x, w_ih, w_hh = (a.detach() for a in args[:3])
    dy, dhT = torch.randn_like(y), torch.randn_like(hT)
    dcT = torch.randn_like(cT) if cell == "lstm" else None
    torch.library.opcheck(_ops.backward, (ws, x, w_ih, w_hh, args[7], dy, dhT, dcT, cell, "tanh",
                                          reverse), test_utils=("test_schema", "test_faketensor",
                                                                "test_aot_dispatch_dynamic"))
    assert ws.numel() == _ops._ws_size(cell, *x.shape[:2], w_hh.shape[1])


@pytest.mark.parametrize("cell", list(GATES))
@pytest.mark.parametrize("short", [False, True], ids=["full", "lengths"])
def test_opcheck_pair(cell, short):
    fwd, rev = _op_args(cell, False, short), _op_args(cell, True, short)
    x, lengths = fwd[0], fwd[7]
    args = (x, *fwd[1:5], *(a.detach().requires_grad_(True) for a in rev[1:5]), fwd[5],
            rev[5].detach().requires_grad_(True), fwd[6],
            rev[6].detach().requires_grad_(True) if rev[6] is not None else None, lengths, cell,
            "tanh", True, short)
    torch.library.opcheck(_ops.forward_pair, args)
    detached = [a.detach() if isinstance(a, torch.Tensor) else a for a in args]
    y, hT, cT, ws, y_r, hT_r, cT_r, ws_r = _ops.forward_pair(*detached)
    alone = [_ops.forward(*[a.detach() if isinstance(a, torch.Tensor) else a for a in d])
             for d in (fwd, rev)]
    for got, want in zip((y, hT, cT, ws, y_r, hT_r, cT_r, ws_r), alone[0] + alone[1]):
        assert torch.equal(got, want)
    dy, dhT = torch.randn_like(y), torch.randn_like(hT)
    dcT = torch.randn_like(cT) if cell == "lstm" else None
    torch.library.opcheck(_ops.backward_pair,
                          (ws, ws_r, detached[0], *detached[1:3], *detached[5:7], lengths, dy,
                           -dy, dhT, -dhT, dcT, None, cell, "tanh"),
                          test_utils=("test_schema", "test_faketensor", "test_aot_dispatch_dynamic"))


def test_workspace_size_formula():
    from rnnkern import _ext
    for cell in GATES:
        for T, B, H in ((1, 1, 1), (7, 3, 16), (5, 2, 33), (0, 4, 100)):
            assert _ops._ws_size(cell, T, B, H) == _ext.workspace_size(cell, T, B, H)


def test_training_false_has_no_backward():
    args = list(_op_args("gru", False, False, training=False))
    y = _ops.forward(*args)[0]
    with pytest.raises(RuntimeError, match="training=False"):
        y.sum().backward()


@pytest.mark.parametrize("kind", list(KINDS))
def test_torch_compile_fullgraph(kind):
    torch.manual_seed(0)
    m = KINDS[kind][1](3, 5, num_layers=2, bidirectional=True, batch_first=True)
    x = torch.randn(2, 4, 3, requires_grad=True)
    compiled = torch.compile(m, fullgraph=True)
    y, _ = compiled(x)
    y.sum().backward()
    g = x.grad.clone()
    x.grad = None
    want, _ = m(x)
    want.sum().backward()
    _close(y.detach(), want.detach())
    _close(g, x.grad)


def test_torch_compile_fullgraph_under_patch():
    torch.manual_seed(0)
    with rt.patch():
        m = nn.LSTM(3, 5)
        y, _ = torch.compile(m, fullgraph=True)(torch.randn(4, 2, 3))
    assert y.shape == (4, 2, 5)


# ---- a word-level language model, in the style of PyTorch's examples ---------------------------

class WordLM(nn.Module):
    """Embedding -> LSTM (torch.nn.LSTM as found at construction) -> decoder."""

    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.2):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nlayers, self.nhid = nlayers, nhid

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        return self.decoder(self.drop(output)), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                weight.new_zeros(self.nlayers, bsz, self.nhid))


def _repackage_hidden(h):
    return h.detach() if isinstance(h, torch.Tensor) else tuple(_repackage_hidden(v) for v in h)


def _train_word_lm(steps=50, bptt=12, bsz=8, lr=5.0):
    torch.manual_seed(0)
    ntoken = 40
    corpus = torch.randint(0, ntoken, ((steps * bptt + 1) * bsz,), generator=torch.Generator().manual_seed(1))
    data = corpus.view(bsz, -1).t().contiguous()  # batchify: (steps, bsz)
    model = WordLM(ntoken, 16, 24, 2)
    criterion = nn.CrossEntropyLoss()
    model.train()
    hidden = model.init_hidden(bsz)
    losses = []
    for i in range(0, steps * bptt, bptt):
        x, target = data[i:i + bptt], data[i + 1:i + 1 + bptt].reshape(-1)
        model.zero_grad()
        hidden = _repackage_hidden(hidden)
        output, hidden = model(x, hidden)
        loss = criterion(output.view(-1, ntoken), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    return type(model.rnn), losses


def test_word_language_model_trains_like_torch_nn():
    torch_cls, want = _train_word_lm()
    with rt.patch():
        drop_in_cls, got = _train_word_lm()
    assert torch_cls is nn.modules.rnn.LSTM and drop_in_cls is rt.LSTM
    assert len(got) == 50 and want[-1] < want[0]
    np.testing.assert_allclose(got, want, rtol=1e-4)


# ---- python -m rnnkern bench --torch-module ---------------------------------------------------

def test_bench_torch_module_tiny_run(tmp_path, monkeypatch, capsys):
    import json

    from rnnkern import bench
    from rnnkern.bench import env

    for k in ("OMP_WAIT_POLICY", "RNNKERN_ISA", env.MARK):
        monkeypatch.delenv(k, raising=False)
    path = tmp_path / "tm.json"
    assert bench.main(["--torch-module", "--cells", "lstm", "rnn-logistic", "--threads", "1",
                       "--shapes", "4,1,3,5", "--reps", "1", "--budget", "0", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "drop-in ms" in out and "overhead" in out
    doc = json.loads(path.read_text())
    rows = doc["rows"]
    assert doc["meta"]["steal"] is None or 0 <= doc["meta"]["steal"] <= 1
    assert all(r["steal"] is None or 0 <= r["steal"] <= 1 for r in rows)
    assert [(r["cell"], r["mode"]) for r in rows] == [
        (c, m) for c in ("lstm", "rnn-logistic") for m in ("step", "step-2-layers", "step-bidirectional")]
    for r in rows[:3]:
        assert min(r["torch.nn"], r["rnnkern.torch"], r["functional"]) > 0
        assert r["x_torch_nn"] > 0 and r["overhead"] is not None and r["target"] in ("met", "missed")
    for r in rows[3:]:  # torch.nn has no logistic unit
        assert r["torch.nn"] is None and r["rnnkern.torch"] is None and r["functional"] > 0
        assert r["target"] == "unknown"


def test_final_states_are_no_views():
    # hidden.detach_() between batches (some training loops do it) refuses views, as on torch.nn's
    for kind in KINDS:
        m = KINDS[kind][1](3, 4)
        _, hidden = m(torch.randn(5, 2, 3))
        for h in (hidden if kind == "LSTM" else (hidden,)):
            assert h._base is None
            h.detach_()
