"""The hostile-input corpus's vocabulary: hypothesis strategies for values, layouts and lengths, and
the check every case ends in (a correct result, or an exception of the right type that names the
argument). Shared by tests/fuzz/test_*.py; the profiles that size the corpus are in tests/conftest.py."""
import re

import numpy as np
from hypothesis import HealthCheck, settings, strategies as st

# Cases per test: the "corpus" and "ci" profiles (tests/conftest.py) set them; any other profile
# (a plain `pytest tests`) runs a handful, so that the suite's own time hardly changes. All but
# "corpus" draw the same cases on every run, so that the suite and CI pass or fail reproducibly;
# "corpus" draws new ones each time, to find what those miss.
_PROFILE = getattr(settings, "get_current_profile_name", lambda: "default")()
EXAMPLES = settings.default.max_examples if _PROFILE in ("corpus", "ci") else 8
CASES = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=_PROFILE != "corpus",
                 suppress_health_check=list(HealthCheck))

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
INT_DTYPES = [np.dtype(c) for c in ("i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", ">i8", ">u4")]
SPECIALS = ("nan", "inf", "-inf", "subnormal", "-0")

# How an argument is passed. Each keeps the argument's values (what the reference gets) or is an
# input the API must refuse: the exception type it must raise, naming the argument.
SAME_VALUES = ("plain", "reversed", "fortran", "readonly", "strided", "misaligned", "broadcast",
               "matrix", "list")
REFUSED = {"bigendian": TypeError, "masked": TypeError, "other_float": TypeError, "int": TypeError,
           "complex": TypeError, "extra_dim": ValueError, "wrong_size": ValueError}


@st.composite
def values(draw, shape, dtype, specials=True):
    """Random values of `shape`, of order 1, with NaN, +-Inf, subnormals and -0 sprinkled in."""
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(shape) * draw(st.sampled_from([0.1, 0.5, 1.0]))).astype(dtype)
    if specials and a.size and draw(st.integers(0, 3)) == 0:
        tiny = np.finfo(dtype).smallest_subnormal
        fill = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "subnormal": 3 * tiny, "-0": -0.0}
        for _ in range(draw(st.integers(1, 3))):
            a.flat[draw(st.integers(0, a.size - 1))] = fill[draw(st.sampled_from(SPECIALS))]
    return a


def _misaligned(a):
    buf = np.zeros(a.nbytes + a.itemsize, np.uint8)
    offset = 1 + int(a.size) % (a.itemsize - 1)
    out = np.frombuffer(buf.data, dtype=a.dtype, offset=offset, count=a.size).reshape(a.shape)
    out[...] = a
    assert a.size == 0 or not out.flags.aligned
    return out


def _strided(a, step):
    if a.ndim == 0:
        return a
    big = np.zeros(a.shape[:-1] + (a.shape[-1] * step,), a.dtype)
    big[..., ::step] = a
    return big[..., ::step]


def apply_layout(name, a, draw):
    """(argument as passed, its values as a plain array, the exception it must raise or None)"""
    if name == "plain":
        return a, a, None
    if name == "reversed":  # negative strides on every axis
        r = np.flip(np.flip(a).copy())
        return r, a, None
    if name == "fortran":
        return np.asfortranarray(a), a, None
    if name == "readonly":
        r = a.copy()
        r.flags.writeable = False
        return r, a, None
    if name == "strided":  # up to megabytes between elements
        return _strided(a, draw(st.sampled_from([2, 7, 1000, 100003]) if a.size < 8 else st.just(3))), a, None
    if name == "misaligned":
        return _misaligned(a), a, None
    if name == "broadcast":  # zero strides: one row repeated
        if a.ndim == 0 or a.shape[0] == 0:
            return a, a, None
        r = np.broadcast_to(a[:1], a.shape)
        return r, np.array(r), None
    if name == "matrix":
        return np.matrix(a), a, None
    if name == "list":
        if 0 in a.shape:
            return a, a, None
        return a.tolist(), a, None
    exc = REFUSED[name]
    if name == "bigendian":
        return a.astype(a.dtype.newbyteorder(">")), None, exc
    if name == "masked":
        return np.ma.masked_array(a, mask=np.zeros(a.shape, bool)), None, exc
    if name == "other_float":
        return a.astype(np.float32 if a.dtype == np.float64 else np.float64), None, exc
    if name == "int":
        return np.zeros(a.shape, np.int32), None, exc
    if name == "complex":
        return a.astype(np.complex128), None, exc
    if name == "extra_dim":
        return a[None], None, exc
    if name == "wrong_size":
        return np.zeros(a.shape[:-1] + (a.shape[-1] + 1,) if a.ndim else (2,), a.dtype), None, exc
    raise AssertionError(name)


@st.composite
def lengths(draw, T, B, refuse=False):
    """(lengths as passed, as int64 values, the exception expected or None); None: not passed."""
    kind = draw(st.sampled_from(["out_of_range", "float", "bool", "masked"] if refuse else ["none", "valid"]))
    if kind == "none":
        return None, None, None
    dt = draw(st.sampled_from(INT_DTYPES))
    vals = np.array(draw(st.lists(st.integers(0, T), min_size=B, max_size=B)), np.int64)
    if kind == "valid":
        return vals.astype(dt), vals, None
    if kind == "float":
        return vals.astype(np.float64), None, TypeError
    if kind == "bool":
        return vals.astype(bool), None, TypeError
    if kind == "masked":
        return np.ma.masked_array(vals.astype(dt)), None, TypeError
    if B == 0:
        return np.zeros(1, dt), None, ValueError  # the wrong shape
    bad = draw(st.sampled_from([T + 1, -1] if dt.kind == "i" else [T + 1, np.iinfo(dt).max]))
    if bad > np.iinfo(dt).max:
        return np.zeros(B + 1, dt), None, ValueError
    vals = vals.astype(dt)
    vals[draw(st.integers(0, B - 1))] = bad
    return vals, None, ValueError


# What the corpus ran, for the summary line of tests/conftest.py: cases, and how many were refusals.
TALLY = {"cases": 0, "refused": 0}


def tally(refused=False):
    TALLY["cases"] += 1
    TALLY["refused"] += bool(refused)


def expect_refusal(exc, name, call):
    """call() must raise exc (TypeError or ValueError) with a message that starts with `name:`."""
    tally(refused=True)
    try:
        call()
    except exc as e:
        assert re.match(re.escape(name) + r"\b", str(e)), f"{exc.__name__} does not name {name}: {e}"
        return
    except (TypeError, ValueError) as e:
        raise AssertionError(f"{name}: expected {exc.__name__}, got {type(e).__name__}: {e}") from e
    raise AssertionError(f"{name}: expected {exc.__name__}, nothing was raised")


def reference_dtype(cell, dtype):
    """The dtype the reference runs a case in: float64, except float32 relu. relu's derivative jumps
    at 0, and a pre-activation that underflows to 0 in float32 (a subnormal times a small weight)
    stays positive in float64, which would pass a gradient the float32 kernel rightly does not."""
    return np.dtype(np.float32) if cell == "rnn-relu" and dtype == np.float32 else np.dtype(np.float64)


def close(actual, expected, dtype, what):
    """Equal to the reference within the suite's tolerance where it is finite, NaN where it has
    NaN, the same infinities where it has them."""
    from conftest import assert_close  # tests/conftest.py: the one tolerance table

    assert type(actual) is np.ndarray, (what, type(actual))
    assert actual.dtype == dtype and actual.shape == expected.shape, (what, actual.dtype, actual.shape)
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg=f"{what}: NaN")
    np.testing.assert_array_equal(actual[np.isinf(expected)], expected[np.isinf(expected)],
                                  err_msg=f"{what}: infinities")
    assert_close(actual[finite], expected[finite], dtype, what)
