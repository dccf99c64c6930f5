"""Vectorised activations (csrc/act) on every ISA x dtype: accuracy against NumPy in higher
precision, the special values, NaN in every lane, tails, and bitwise agreement across ISAs."""
import numpy as np
import pytest

import rnnkern
from rnnkern import _ext

# Error bounds stated in csrc/act/act_vec.h. tanh in ulps of the true value's binade; sigmoid
# relative, where the true value is a normal number (below that, absolute error < the smallest
# normal: e^-x overflows and the result is 0).
TANH_ULP = {np.dtype(np.float32): 3.0, np.dtype(np.float64): 3.0}
SIGMOID_REL = {np.dtype(np.float32): 2.5e-7, np.dtype(np.float64): 5e-16}

# The reference: long double where it is wider than double (x86), else double, whose own error
# (<= 1 ulp) then widens the float64 bounds.
REF = np.longdouble if np.finfo(np.longdouble).nmant > 52 else np.float64
REF_SLACK = {np.dtype(np.float32): 0.0, np.dtype(np.float64): 0.0 if REF is np.longdouble else 1.0}

OPS = ("tanh", "relu", "sigmoid", "dtanh", "drelu", "dsigmoid")


def run(name, isa, x):
    x = np.ascontiguousarray(x)
    y = np.empty_like(x)
    _ext.activation(name, isa, x, y)
    return y


def ulp(t, dtype):
    # t (...) true values in REF -> the spacing of dtype in t's binade (the subnormal step below)
    fi = np.finfo(dtype)
    _, e = np.frexp(np.abs(t).astype(np.float64))
    return np.maximum(np.ldexp(1.0, e - fi.nmant - 1), float(fi.smallest_subnormal))


def tanh_ref(x):
    return np.tanh(x.astype(REF))


def sigmoid_ref(x):
    # computed without overflow on either side, in REF
    x = x.astype(REF)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


def sweep(dtype, seed=0):
    """Dense and random values over the interesting range, tiny and subnormal ones, both signs."""
    rng = np.random.default_rng(seed)
    if dtype == np.float32:
        # every 509th float32 in [0, 10]: about 2 million values, every binade and mantissa pattern
        dense = np.arange(0, np.float32(10).view(np.uint32), 509, dtype=np.uint32).view(np.float32)
        rand = rng.uniform(-10, 10, 500_000).astype(np.float32)
        lim = 20
    else:
        dense = np.linspace(0, 25, 1_000_001)
        rand = rng.uniform(-25, 25, 500_000)
        lim = 40
    tiny = np.logspace(-30, -3, 20_000).astype(dtype)
    fi = np.finfo(dtype)
    sub = (rng.uniform(0, 1, 2_000) * float(fi.tiny)).astype(dtype)
    mid = rng.uniform(-lim, lim, 100_000).astype(dtype)
    pos = np.concatenate([dense, tiny, sub, [fi.smallest_subnormal, fi.tiny]]).astype(dtype)
    return np.concatenate([pos, -pos, rand, mid]).astype(dtype)


def max_ulp(y, t, dtype):
    return float(np.max(np.abs(y.astype(REF) - t) / ulp(t, dtype)))


# ---- accuracy ------------------------------------------------------------------------------------

def test_tanh_ulp(isa, dtype):
    x = sweep(dtype)
    err = max_ulp(run("tanh", isa, x), tanh_ref(x), dtype)
    assert err <= TANH_ULP[dtype] + REF_SLACK[dtype], f"tanh {isa} {dtype}: {err:.2f} ulp"


def test_sigmoid_relative(isa, dtype):
    lo = -87 if dtype == np.float32 else -708  # down to where the result leaves the normal range
    x = np.concatenate([sweep(dtype), np.linspace(lo, 0, 100_001)]).astype(dtype)
    y, t = run("sigmoid", isa, x), sigmoid_ref(x)
    fi = np.finfo(dtype)
    normal = t >= fi.tiny
    rel = np.abs(y[normal].astype(REF) - t[normal]) / t[normal]
    bound = SIGMOID_REL[dtype] + REF_SLACK[dtype] * float(fi.eps)
    assert float(rel.max()) <= bound, f"sigmoid {isa} {dtype}: relative {float(rel.max()):.3g}"
    assert float(np.max(np.abs(y[~normal].astype(REF) - t[~normal]), initial=0)) < fi.tiny


def test_outputs_bounded_and_monotonic(isa, dtype):
    x = np.sort(sweep(dtype, seed=1))
    for name, lo in (("tanh", -1), ("sigmoid", 0)):
        y = run(name, isa, x)
        assert y.min() >= lo and y.max() <= 1, name
        assert np.all(np.diff(y) >= 0), f"{name} is not monotonic"


# ---- special values ------------------------------------------------------------------------------

def test_zero_exact_and_signed(isa, dtype):
    x = np.array([0.0, -0.0], dtype)
    t = run("tanh", isa, x)
    assert t[0] == 0 and not np.signbit(t[0]) and t[1] == 0 and np.signbit(t[1])
    assert np.all(run("sigmoid", isa, x) == 0.5)
    r = run("relu", isa, x)
    assert np.all(r == 0) and not np.any(np.signbit(r))  # relu(-0) = +0


def test_infinities_and_large(isa, dtype):
    big = [1e30, 88.8, 710.0] + ([1e300] if dtype == np.float64 else [])
    x = np.array([np.inf] + big + [-np.inf] + [-b for b in big], dtype)
    pos = x > 0
    np.testing.assert_array_equal(run("tanh", isa, x), np.where(pos, 1, -1).astype(dtype))
    s, t = run("sigmoid", isa, x), sigmoid_ref(x)
    assert np.all(s[pos] == 1) and s[x == -np.inf][0] == 0
    # relative error as stated, or below the smallest normal an absolute error less than it
    tol = np.maximum(SIGMOID_REL[dtype] * t, np.finfo(dtype).tiny)
    assert np.all(s >= 0) and np.all(np.abs(s.astype(REF) - t) < tol)
    np.testing.assert_array_equal(run("relu", isa, x), np.where(pos, x, 0).astype(dtype))


@pytest.mark.parametrize("name", OPS)
def test_nan_in_every_lane(isa, dtype, name):
    # lengths 1..33 run full vectors and every tail size of every ISA; NaN at each position
    rng = np.random.default_rng(2)
    for n in range(1, 34):
        x = rng.uniform(-3, 3, n).astype(dtype)
        clean = run(name, isa, x)
        for p in range(n):
            xp = x.copy()
            xp[p] = np.nan
            y = run(name, isa, xp)
            assert np.isnan(y[p]), f"{name}: NaN lost at {p} of {n}"
            others = np.arange(n) != p
            np.testing.assert_array_equal(y[others], clean[others])


def test_relu_and_derivatives_exact(isa, dtype):
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.standard_normal(1001), [0.0, -0.0, np.inf, -np.inf]]).astype(dtype)
    np.testing.assert_array_equal(run("relu", isa, x), np.where(x > 0, x, 0).astype(dtype))
    y = run("tanh", isa, x)
    np.testing.assert_array_equal(run("dtanh", isa, y), (1 - y * y).astype(dtype))
    y = run("sigmoid", isa, x)
    np.testing.assert_array_equal(run("dsigmoid", isa, y), (y * (1 - y)).astype(dtype))
    y = run("relu", isa, x)
    np.testing.assert_array_equal(run("drelu", isa, y), (y > 0).astype(dtype))
    nan = np.array([np.nan], dtype)
    assert np.isnan(run("relu", isa, nan)[0]) and np.isnan(run("drelu", isa, nan)[0])


# ---- tails, in place, and the same bits on every ISA ---------------------------------------------

@pytest.mark.parametrize("name", OPS)
def test_any_length_and_offset(isa, dtype, name):
    # a row's tail (masked or one lane) gives what its body gives and writes nothing past n
    rng = np.random.default_rng(4)
    base = rng.uniform(-5, 5, 80).astype(dtype)
    full = run(name, isa, base)
    for off in (0, 1, 3):
        for n in range(0, 70):
            buf = np.full(n + 8, 7.0, dtype)
            _ext.activation(name, isa, base[off:off + n], buf[:n])
            np.testing.assert_array_equal(buf[:n], full[off:off + n])
            assert np.all(buf[n:] == 7.0), f"{name} wrote past n={n}"


def test_in_place(isa, dtype):
    x = np.linspace(-6, 6, 37).astype(dtype)
    want = run("tanh", isa, x)
    _ext.activation("tanh", isa, x, x)
    np.testing.assert_array_equal(x, want)


@pytest.mark.parametrize("name", OPS)
def test_bitwise_same_on_every_isa(dtype, name):
    # one algorithm, no fused operations: every ISA gives the scalar path's bits
    special = [0.0, -0.0, np.inf, -np.inf, np.nan]
    x = np.concatenate([sweep(dtype, seed=5)[::7], special]).astype(dtype)
    if name.startswith("d"):
        x = run(name[1:], "scalar", x)
    want = run(name, "scalar", x)
    for isa in rnnkern.available_isas():
        np.testing.assert_array_equal(run(name, isa, x).view(f"u{dtype.itemsize}"),
                                      want.view(f"u{dtype.itemsize}"), err_msg=isa)


def test_bad_arguments():
    x = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="name"):
        _ext.activation("gelu", "scalar", x, x.copy())
    with pytest.raises(ValueError):
        _ext.activation("tanh", "scalar", x, np.zeros(4, np.float64))
    with pytest.raises(TypeError):
        _ext.activation("tanh", "scalar", x.astype(np.int32), x)
    for isa in set(rnnkern.ISAS) - set(rnnkern.available_isas()):
        with pytest.raises(RuntimeError, match="not supported"):
            _ext.activation("tanh", isa, x, x.copy())
