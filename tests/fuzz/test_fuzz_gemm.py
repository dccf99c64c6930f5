"""Hostile inputs through rnnkern.gemm on every ISA: shapes with zeros and ones, every layout of a
and b, NaN / +-Inf / subnormals, alpha and beta of every kind, and out= that is valid, aliases a or
b, or is misaligned, strided, read-only or of the wrong dtype or shape."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import rnnkern
from hostile import CASES, FLOATS, REFUSED, SAME_VALUES, apply_layout, close, expect_refusal, tally, values

pytestmark = [pytest.mark.fuzz, pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
              pytest.mark.filterwarnings("ignore::RuntimeWarning")]

DIMS = [0, 1, 2, 3, 17, 33]
OUTS = ["none"] * 3 + ["plain"] * 3 + ["alias_a", "alias_b", "misaligned", "strided", "readonly", "other_float", "wrong_size",
        "list"]


@st.composite
def gemm_case(draw):
    dtype = draw(st.sampled_from(FLOATS))
    M, N, K = (draw(st.sampled_from(DIMS)) for _ in range(3))
    ta, tb = draw(st.booleans()), draw(st.booleans())
    bad = draw(st.sampled_from([None] * 6 + ["a", "b", "k", "alpha", "beta"]))
    args, logical, error = {}, {}, None
    Kb = K + 1 if bad == "k" else K  # b's K disagrees with a's: an error of b
    for name, shape in (("a", (K, M) if ta else (M, K)), ("b", (N, Kb) if tb else (Kb, N))):
        a = draw(values(shape, dtype))
        # a sets the dtype; a wrong size is any other M, N or K (bad == "k" makes the one refused)
        refusals = [r for r in REFUSED if r != "wrong_size" and not (name == "a" and r == "other_float")]
        layout = draw(st.sampled_from(refusals if name == bad else
                                      [n for n in SAME_VALUES if n != "list" or dtype == np.float64]))
        args[name], logical[name], exc = apply_layout(layout, a, draw)
        if exc:
            error = (exc, name)
    if bad == "k":
        error = (ValueError, "b")
    alpha = draw(st.sampled_from([1.0, 0.0, -0.5, 2, np.float32(0.25), np.nan, np.inf]))
    beta = draw(st.sampled_from([0.0, 1.0, -1.5, np.float64(0.5)]))
    if bad in ("alpha", "beta"):
        value = draw(st.sampled_from(["1", None, 1j, True, np.array([1.0, 2.0])]))
        alpha, beta = (value, beta) if bad == "alpha" else (alpha, value)
        error = (TypeError, bad)
    out = draw(st.sampled_from(OUTS if error is None else ["none", "plain"]))
    return dict(dtype=dtype, M=M, N=N, K=K, ta=ta, tb=tb, args=args, logical=logical, alpha=alpha,
                beta=beta, out=out, out_values=draw(values((M, N), dtype)), error=error)


def _out(case):
    """(out as passed, the exception expected or None)"""
    how, c0, dtype = case["out"], case["out_values"], case["dtype"]
    a, b = case["args"]["a"], case["args"]["b"]
    if how == "none":
        return None, None
    if how in ("alias_a", "alias_b"):
        src = a if how == "alias_a" else b
        if isinstance(src, np.ndarray) and src.shape == c0.shape and src.size and src.flags.c_contiguous \
                and src.flags.writeable and src.flags.aligned:
            return src, (ValueError, "out")
        return c0.copy(), None
    if how == "plain":
        return c0.copy(), None
    if how == "list":
        return c0.tolist(), (TypeError, "out")
    if how == "strided" and c0.size <= 1:
        return c0.copy(), None
    if how == "misaligned" and c0.size == 0:
        return c0.copy(), None
    arg = apply_layout(how, c0, lambda s: 2)[0]  # strided, misaligned, readonly, other_float, wrong_size
    return arg, (TypeError if how == "other_float" else ValueError, "out")


@pytest.mark.parametrize("isa_name", rnnkern.available_isas())
@CASES
@given(case=gemm_case())
def test_gemm(isa_name, case):
    rnnkern.set_isa(isa_name)
    args, dtype = case["args"], case["dtype"]
    out, out_error = _out(case)
    kw = dict(trans_a=case["ta"], trans_b=case["tb"], alpha=case["alpha"], beta=case["beta"], out=out)
    error = case["error"] or out_error
    if error is None and out is None and case["beta"] != 0:
        error = (ValueError, "beta")
    if error:
        expect_refusal(*error, lambda: rnnkern.gemm(args["a"], args["b"], **kw))
        return
    c0 = None if out is None else out.copy()
    got = rnnkern.gemm(args["a"], args["b"], **kw)
    tally()
    if out is not None:
        assert got is out
    a = case["logical"]["a"].astype(np.float64)
    b = case["logical"]["b"].astype(np.float64)
    a, b = a.T if case["ta"] else a, b.T if case["tb"] else b
    with np.errstate(all="ignore"):
        expect = float(case["alpha"]) * (a @ b) if case["K"] else np.zeros((case["M"], case["N"]))
        if case["alpha"] == 0 or not case["K"]:
            expect = np.zeros((case["M"], case["N"]))  # BLAS: alpha = 0 (or K = 0) reads neither a nor b
        if c0 is not None and case["beta"] != 0:  # beta = 0 never reads out (NaN there stays out)
            expect = expect + float(case["beta"]) * c0
    got = np.asarray(got)
    if not np.isfinite(case["alpha"]) and case["K"]:
        # A dot product below dtype's normal range may round to 0 in dtype, and inf * 0 is NaN
        tiny = np.abs(a @ b) < np.finfo(dtype).tiny
        expect[tiny & np.isnan(got)] = np.nan
    close(got, expect, dtype, "gemm")
