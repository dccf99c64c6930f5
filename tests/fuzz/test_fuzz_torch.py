"""Hostile inputs through the torch drop-in: rnnkern.torch.LSTM / GRU / RNN (tanh, relu) beside the
torch.nn module with the same state_dict, fed odd configurations (layers, bias, batch_first,
bidirectional, float16/bfloat16/float64 weights, dropout in eval), inputs of every layout
(non-contiguous, strided, unbatched, empty, PackedSequence sorted and not, wrong rank or width, another
dtype, the meta device, NaN/Inf/subnormals) and hx of every shape. Each case must give torch.nn's
outputs and gradients, or raise the exception type torch.nn raises: never a crash or another answer."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

torch = pytest.importorskip("torch")
import rnnkern.torch as rt  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence  # noqa: E402

from hostile import CASES, tally, values  # noqa: E402

pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore::UserWarning")]

KINDS = {"LSTM": (nn.LSTM, rt.LSTM, {}), "GRU": (nn.GRU, rt.GRU, {}),
         "RNN-tanh": (nn.RNN, rt.RNN, {"nonlinearity": "tanh"}),
         "RNN-relu": (nn.RNN, rt.RNN, {"nonlinearity": "relu"})}
DTYPES = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
          "bfloat16": torch.bfloat16}
# (rtol, atol) per weight dtype: float16/bfloat16 fall back to torch.nn's own code, so equal
TOL = {torch.float32: (1e-4, 1e-4), torch.float64: (1e-10, 1e-10), torch.float16: (0, 0),
       torch.bfloat16: (0, 0)}
INPUTS = ("plain", "noncontiguous", "strided", "unbatched", "packed", "packed_unsorted", "rank1",
          "rank4", "wrong_width", "other_dtype", "meta", "int")
HXS = ("none", "plain", "noncontiguous", "wrong_batch", "wrong_layers", "wrong_hidden", "wrong_rank",
       "other_dtype", "lstm_not_tuple")

PACKED_HX_REFUSED = ("wrong_batch", "wrong_layers", "wrong_hidden", "wrong_rank")


@st.composite
def torch_case(draw):
    kind = draw(st.sampled_from(sorted(KINDS)))
    dtype = DTYPES[draw(st.sampled_from(["float32"] * 3 + ["float64"] * 2 + ["float16", "bfloat16"]))]
    cfg = dict(input_size=draw(st.sampled_from([1, 3, 5])), hidden_size=draw(st.sampled_from([1, 2, 7])),
               num_layers=draw(st.integers(1, 2)), bias=draw(st.booleans()),
               batch_first=draw(st.booleans()), bidirectional=draw(st.booleans()),
               dropout=draw(st.sampled_from([0.0, 0.5])), dtype=dtype)
    T, B = draw(st.sampled_from([0, 1, 2, 5])), draw(st.sampled_from([0, 1, 3]))
    how = draw(st.sampled_from(INPUTS[:3] * 3 + INPUTS[3:]))
    hx = draw(st.sampled_from(HXS[:3] * 2 + HXS[3:]))
    x = draw(values((T, B, cfg["input_size"]), np.float64))
    lengths = sorted(draw(st.lists(st.integers(1, max(T, 1)), min_size=B, max_size=B)), reverse=True)
    if lengths:
        lengths[0] = max(T, 1)
    D = 2 if cfg["bidirectional"] else 1
    h0 = [draw(values((cfg["num_layers"] * D, B, cfg["hidden_size"]), np.float64)) for _ in range(2)]
    return dict(kind=kind, cfg=cfg, T=T, B=B, how=how, hx=hx, x=x, lengths=lengths, h0=h0,
                grad=draw(st.booleans()), seed=draw(st.integers(0, 1000)),
                shuffle=draw(st.permutations(range(B))))


def _input(case, dtype, requires_grad):
    """(the input as passed, the leaf tensor whose gradient is compared)"""
    cfg, how = case["cfg"], case["how"]
    x = torch.tensor(case["x"], dtype=dtype)             # (T, B, I) time-major
    if how == "other_dtype":
        x = x.to(torch.float64 if dtype != torch.float64 else torch.float32)
    if how == "int":
        x = x.nan_to_num(0, 0, 0).round().to(torch.int64)
    leaf = x.detach().requires_grad_(requires_grad and x.is_floating_point())
    if how in ("packed", "packed_unsorted") and case["B"] and case["T"]:
        order = case["shuffle"] if how == "packed_unsorted" else list(range(case["B"]))
        seqs = leaf.transpose(0, 1)[order]               # (B, T, I)
        lengths = torch.tensor(case["lengths"])[order]
        return pack_padded_sequence(seqs, lengths, batch_first=True,
                                    enforce_sorted=how == "packed"), leaf
    a = leaf.transpose(0, 1) if cfg["batch_first"] else leaf
    if how == "noncontiguous":
        a = a.transpose(0, 1).contiguous().transpose(0, 1) if a.dim() == 3 else a
    elif how == "strided":
        a = torch.repeat_interleave(a, 3, dim=-1)[..., ::3]
    elif how == "unbatched":  # (T, I) whatever batch_first says
        a = leaf[:, 0] if case["B"] else leaf.new_zeros((case["T"], cfg["input_size"]))
    elif how == "rank1":
        a = a.reshape(-1)
    elif how == "rank4":
        a = a[None]
    elif how == "wrong_width":
        a = torch.cat([a, a[..., :1]], -1)
    elif how == "meta":
        a = a.to("meta")
    return a, leaf


def _hx(case, dtype, requires_grad):
    """(hx as passed, the leaves whose gradients are compared)"""
    lstm, how = case["kind"] == "LSTM", case["hx"]
    if how == "none":
        return None, []
    hs = [torch.tensor(h, dtype=dtype).requires_grad_(requires_grad) for h in case["h0"]]
    leaves = hs if lstm else hs[:1]
    if how == "noncontiguous":
        hs = [h.transpose(0, 1).contiguous().transpose(0, 1) for h in hs]
    elif how == "wrong_batch":
        hs = [torch.cat([h, h[:, :1]], 1) if h.shape[1] else h.new_zeros(h.shape[0], 1, h.shape[2]) for h in hs]
    elif how == "wrong_layers":
        hs = [torch.cat([h, h[:1]], 0) for h in hs]
    elif how == "wrong_hidden":
        hs = [torch.cat([h, h[..., :1]], 2) for h in hs[:1]] + hs[1:]
    elif how == "wrong_rank":
        hs = [h[0] for h in hs]
    elif how == "other_dtype":
        hs = [h.to(torch.float64 if dtype != torch.float64 else torch.float32) for h in hs]
    if case["how"] == "unbatched" and how in ("plain", "noncontiguous", "other_dtype"):
        hs = [h[:, 0] if h.shape[1] else h.new_zeros(h.shape[0], h.shape[2]) for h in hs]
    if not lstm:
        return hs[0], leaves
    return (hs[0] if how == "lstm_not_tuple" else tuple(hs)), leaves


def _flat(out):
    if isinstance(out, PackedSequence):
        return [out.data]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _run(module, case, dtype):
    """Outputs and gradients of one forward (+ backward of a weighted sum), or the exception."""
    requires_grad = case["grad"]
    module.zero_grad()
    x, x_leaf = _input(case, dtype, requires_grad)
    hx, hx_leaves = _hx(case, dtype, requires_grad)
    try:
        outs = _flat(module(x, hx))
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return e
    grads = []
    if requires_grad and all(o.device.type == "cpu" for o in outs):
        loss = sum((o.nan_to_num(0, 0, 0) * (1 + torch.arange(o.numel()).reshape(o.shape) % 3)).sum()
                   for o in outs)
        leaves = [t for t in [x_leaf, *hx_leaves, *module.parameters()] if t.requires_grad]
        grads = torch.autograd.grad(loss, leaves, allow_unused=True)
        grads = [g if g is not None else torch.zeros(()) for g in grads]
    return [o.detach() for o in outs], grads


def _same(actual, expected, dtype, what):
    assert actual.shape == expected.shape and actual.dtype == expected.dtype, \
        (what, actual.shape, expected.shape, actual.dtype, expected.dtype)
    if actual.device.type == "meta":
        return
    rtol, atol = TOL[dtype]
    scale = max(1.0, float(expected.nan_to_num(0, 0, 0).abs().max())) if expected.numel() else 1.0
    torch.testing.assert_close(actual, expected, rtol=rtol, atol=atol * scale, equal_nan=True, msg=what)


@CASES
@given(torch_case())
def test_dropin_matches_torch_nn_or_raises_what_it_raises(case):
    ref_kind, dropin_kind, extra = KINDS[case["kind"]]
    torch.manual_seed(case["seed"])
    ref = ref_kind(**case["cfg"], **extra).eval()
    dropin = dropin_kind(**case["cfg"], **extra).eval()
    dropin.load_state_dict(ref.state_dict())
    dtype = case["cfg"]["dtype"]
    expected, actual = _run(ref, case, dtype), _run(dropin, case, dtype)
    what = f"{case['kind']} {case['how']} hx={case['hx']}"
    if case["how"].startswith("packed") and case["hx"] in PACKED_HX_REFUSED and case["B"] and case["T"]:
        # torch.nn does not check hx's shape for a PackedSequence: it reads the rows and layers it
        # needs (returning uninitialised rows), or fails inside its kernel; the drop-in checks it as
        # for a tensor input, also before it falls back to torch.nn's code
        tally(refused=True)
        assert isinstance(actual, RuntimeError), f"{what}: the drop-in gave {actual!r}"
        return
    if isinstance(expected, Exception):
        tally(refused=True)
        assert isinstance(actual, type(expected)), \
            f"{what}: torch.nn raised {type(expected).__name__}: {expected}; the drop-in gave {actual!r}"
        return
    tally()
    assert not isinstance(actual, Exception), f"{what}: torch.nn ran, the drop-in raised {actual!r}"
    (outs, grads), (ref_outs, ref_grads) = actual, expected
    assert len(outs) == len(ref_outs) and len(grads) == len(ref_grads), what
    for i, (a, e) in enumerate(zip(outs, ref_outs)):
        _same(a, e, dtype, f"{what}: output {i}")
    if not all(np.isfinite(a).all() for a in [case["x"], *case["h0"]]):
        return  # through NaN/Inf, torch's backward maps some NaNs to 0 (relu) where rnnkern keeps NaN
    for i, (a, e) in enumerate(zip(grads, ref_grads)):
        _same(a, e, e.dtype, f"{what}: gradient {i}")
