"""rnnkern.gemm against numpy.matmul in float64, on every ISA x dtype x transpose (NN, NT, TN, TT).

Shapes cover the tails of every register tile and cache block (sizes 1 ... 257 in each of M, N, K),
the small-M path (M <= 16: A and B read in place; B transposed, or fewer rows than the micro-tile:
the few-row kernels), K = 0 and empty results,
alpha/beta with out=, non-contiguous inputs, and NaN/Inf propagation. Validation and bitwise equality
across thread counts live in test_validation.py and test_threads.py.

The error bound is relative to |alpha| |op(a)| @ |op(b)| + |beta| |C|, elementwise: the honest bound for
a sum whose terms may cancel (an error relative to |C| would fail wherever the sum is near zero).
"""
import numpy as np
import pytest

import rnnkern

# Elementwise |C - ref| <= RTOL * (|alpha| |A| @ |B| + |beta| |C0|): about 8 eps for float32 and 450 eps
# for float64. Blocked summation of random terms stays under 3 eps here (test_error_bound_is_not_loose
# asserts under half the bound).
GEMM_RTOL = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-13}

TRANSPOSES = [(False, False), (False, True), (True, False), (True, True)]
TRANS_IDS = ["NN", "NT", "TN", "TT"]

SIZES = (1, 2, 3, 7, 15, 17, 31, 33, 63, 65, 255, 257)


def _latin(shift_n, shift_k):
    """12 (M, N, K) triples in which every size of SIZES appears once as M, once as N and once as K."""
    n = len(SIZES)
    return [(SIZES[i], SIZES[(i + shift_n) % n], SIZES[(i + shift_k) % n]) for i in range(n)]


# Two Latin sets (each size at least twice in each position, next to small, middle and large partners),
# a few all-large shapes, and the edges of the AVX2 / scalar blocking: MR 6 / 4, NR 16 / 8, the one-row
# kernel's 4 NR columns, KC 512 / 256, MC 72 / 36 (AVX2) and 64 rows, task rows 4 MC, task columns up
# to 256.
SHAPES = sorted(set(_latin(4, 8) + _latin(7, 3) + [
    (257, 257, 257), (257, 255, 1), (1, 257, 257), (255, 1, 257), (16, 257, 255), (17, 255, 257),
    (5, 64, 256), (6, 65, 513), (4, 63, 512), (121, 16, 260), (73, 129, 31), (65, 8, 3), (481, 33, 17),
    (37, 33, 1025), (289, 20, 70),
]))


def _ids(shape):
    return "x".join(map(str, shape))


def _operands(rng, m, n, k, ta, tb, dtype):
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    return a, b


def _op(x, t):
    return (x.T if t else x).astype(np.float64)


def _reference(a, b, ta, tb, alpha=1.0, beta=0.0, c=None):
    """(alpha op(a) @ op(b) + beta c, its error scale) in float64."""
    A, B = _op(a, ta), _op(b, tb)
    ref = alpha * (A @ B)
    scale = abs(alpha) * (np.abs(A) @ np.abs(B))
    if c is not None and beta != 0:
        ref += beta * c.astype(np.float64)
        scale += abs(beta) * np.abs(c.astype(np.float64))
    return ref, scale


def assert_gemm_close(actual, ref, scale, dtype, what=""):
    assert actual.shape == ref.shape, (actual.shape, ref.shape)
    if actual.size == 0:
        return
    err = np.abs(actual.astype(np.float64) - ref)
    bound = GEMM_RTOL[np.dtype(dtype)] * scale + np.finfo(dtype).tiny
    bad = ~(err <= bound)  # NaN counts as bad
    if bad.any():
        i = np.unravel_index(np.argmax(np.where(bad, np.nan_to_num(err / bound, nan=np.inf), 0)), err.shape)
        pytest.fail(f"{what}: {int(bad.sum())} of {err.size} elements out of bound; worst at {i}: "
                    f"got {actual[i]!r}, expected {ref[i]!r}, error {err[i]:.3g} > bound {bound[i]:.3g} "
                    f"({GEMM_RTOL[np.dtype(dtype)]:g} x sum |a||b| = {scale[i]:.3g})")


def _same_bits(x, y):
    return x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()


# ---- shapes with tails: correct, and the same bits on a second call ------------------------------

@pytest.mark.parametrize("ta, tb", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("m, n, k", SHAPES, ids=[_ids(s) for s in SHAPES])
def test_shapes_against_numpy(m, n, k, ta, tb, dtype, isa):
    rng = np.random.default_rng(m * 1_000_003 + n * 1009 + k)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    c = rnnkern.gemm(a, b, trans_a=ta, trans_b=tb)
    assert c.dtype == dtype and c.flags.c_contiguous
    assert_gemm_close(c, *_reference(a, b, ta, tb), dtype, f"{isa} {dtype} ({m},{n},{k})")
    out = np.full((m, n), np.nan, dtype)  # beta = 0 never reads C
    again = rnnkern.gemm(a, b, trans_a=ta, trans_b=tb, out=out)
    assert again is out
    assert _same_bits(again, c), "a second identical call gave different bits"


def test_shape_list_covers_every_size_in_every_position():
    for pos in range(3):
        assert {s[pos] for s in SHAPES} >= set(SIZES), f"position {'MNK'[pos]}"


def test_error_bound_is_not_loose(dtype):
    """The bound leaves room (observed errors are a few eps) yet is tight enough to catch a lost term:
    dropping one of K = 257 products exceeds it."""
    rng = np.random.default_rng(1)
    a, b = _operands(rng, 31, 33, 257, False, False, dtype)
    ref, scale = _reference(a, b, False, False)
    c = rnnkern.gemm(a, b)
    ratio = np.max(np.abs(c - ref) / scale)
    assert ratio < GEMM_RTOL[dtype] / 2
    wrong = ref - _op(a[:, -1:], False) @ _op(b[-1:], False)
    with pytest.raises(pytest.fail.Exception):
        assert_gemm_close(wrong, ref, scale, dtype)


# ---- the small-M path against the same rows of a larger product ----------------------------------

@pytest.mark.parametrize("ta, tb", TRANSPOSES, ids=TRANS_IDS)
def test_small_m_rows_match_large_m(ta, tb, dtype, isa):
    """M = 1 .. 16 (A and B read in place; with B transposed or below the micro-tile's rows the few-row
    kernels, which transpose B in registers or the whole product) give, bitwise, the rows that the
    packed path gives in a 40-row product: every path sums each element's K blocks in the same order
    with the same operations, so a row's result does not depend on the batch it is in. K = 300 spans two K blocks; N = 70 the one-row kernel's 64 columns and a tail."""
    m_big, n, k = 40, 70, 300
    rng = np.random.default_rng(2)
    a, b = _operands(rng, m_big, n, k, ta, tb, dtype)
    big = rnnkern.gemm(a, b, trans_a=ta, trans_b=tb)
    ref, scale = _reference(a, b, ta, tb)
    assert_gemm_close(big, ref, scale, dtype, "M = 40")
    for m in range(1, 17):
        rows = np.ascontiguousarray(a[:, :m]) if ta else a[:m]
        small = rnnkern.gemm(rows, b, trans_a=ta, trans_b=tb)
        assert_gemm_close(small, ref[:m], scale[:m], dtype, f"M = {m}")
        assert _same_bits(small, big[:m]), f"M = {m}: rows differ from the same rows of M = {m_big}"


# ---- K = 0, empty results -------------------------------------------------------------------------

@pytest.mark.parametrize("ta, tb", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("m, n", [(1, 1), (5, 17), (33, 7), (257, 65)], ids=["1x1", "5x17", "33x7", "257x65"])
def test_k_zero_is_beta_c(m, n, ta, tb, dtype, isa):
    a = np.zeros((0, m) if ta else (m, 0), dtype)
    b = np.zeros((n, 0) if tb else (0, n), dtype)
    # no out: a fresh array, all zeros (np.empty's garbage must not survive)
    for _ in range(3):
        c = rnnkern.gemm(a, b, trans_a=ta, trans_b=tb, alpha=2.0)
        assert c.shape == (m, n) and c.dtype == dtype
        assert np.all(c == 0)
    # beta = 0 overwrites out without reading it, NaN and Inf included
    out = np.full((m, n), np.nan, dtype)
    out[::2] = -np.inf
    assert rnnkern.gemm(a, b, trans_a=ta, trans_b=tb, beta=0.0, out=out) is out
    assert np.all(out == 0)
    # beta != 0 scales C exactly as dtype arithmetic does; beta = 1 leaves it unchanged
    c0 = np.random.default_rng(3).standard_normal((m, n)).astype(dtype)
    for beta in (1.0, -1.5, 0.1):
        out = c0.copy()
        rnnkern.gemm(a, b, trans_a=ta, trans_b=tb, alpha=3.0, beta=beta, out=out)
        assert _same_bits(out, c0 * dtype.type(beta)), beta


EMPTY_SHAPES = [(0, 5, 3), (4, 0, 3), (0, 0, 3), (0, 5, 0), (4, 0, 0), (0, 0, 0), (0, 257, 65), (300, 0, 17)]


@pytest.mark.parametrize("ta, tb", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("m, n, k", EMPTY_SHAPES, ids=[_ids(s) for s in EMPTY_SHAPES])
def test_empty_result(m, n, k, ta, tb, dtype, isa):
    a = np.ones((k, m) if ta else (m, k), dtype)
    b = np.ones((n, k) if tb else (k, n), dtype)
    c = rnnkern.gemm(a, b, trans_a=ta, trans_b=tb)
    assert c.shape == (m, n) and c.dtype == dtype
    out = np.empty((m, n), dtype)
    assert rnnkern.gemm(a, b, trans_a=ta, trans_b=tb, alpha=2.0, beta=0.5, out=out) is out


# ---- alpha, beta and out= -------------------------------------------------------------------------

# K = 257 and 300 span two K blocks (beta applies to the first only); M = 1, 5, 16 the small-M path
AB_SHAPES = [(1, 70, 33), (5, 17, 257), (16, 33, 7), (17, 20, 300), (130, 15, 65)]
ALPHA_BETA = [(1.0, 1.0), (2.5, 0.0), (-0.75, 1.0), (0.5, -2.0), (-1.0, 0.3), (1e-3, 1e3), (0.0, -0.5), (0.0, 0.0)]


@pytest.mark.parametrize("ta, tb", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("m, n, k", AB_SHAPES, ids=[_ids(s) for s in AB_SHAPES])
def test_alpha_beta_with_out(m, n, k, ta, tb, dtype, isa):
    rng = np.random.default_rng(4)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    c0 = rng.standard_normal((m, n)).astype(dtype)
    for alpha, beta in ALPHA_BETA:
        out = c0.copy()
        got = rnnkern.gemm(a, b, trans_a=ta, trans_b=tb, alpha=alpha, beta=beta, out=out)
        assert got is out
        assert_gemm_close(out, *_reference(a, b, ta, tb, alpha, beta, c0), dtype, f"alpha {alpha} beta {beta}")
        if alpha == 0:  # C = beta * C exactly; beta = 0 writes zeros (not beta * C: -0, NaN)
            expect = c0 * dtype.type(beta) if beta != 0 else np.zeros_like(c0)
            assert _same_bits(out, expect), (alpha, beta)


def test_beta_zero_ignores_nan_in_out(dtype, isa):
    rng = np.random.default_rng(5)
    for m, n, k in [(1, 70, 9), (5, 17, 33), (40, 33, 300)]:
        a, b = _operands(rng, m, n, k, False, False, dtype)
        out = np.full((m, n), np.nan, dtype)
        rnnkern.gemm(a, b, alpha=1.5, out=out)
        assert_gemm_close(out, *_reference(a, b, False, False, 1.5), dtype, f"({m},{n},{k})")


# ---- non-contiguous inputs ------------------------------------------------------------------------

LAYOUT_SHAPES = [(1, 33, 17), (7, 65, 31), (40, 17, 257)]


def _layouts(x, rng):
    """Views with x's values but other memory layouts: Fortran order, strided, reversed, a transposed view."""
    big = rng.standard_normal((2 * x.shape[0] + 1, 3 * x.shape[1] + 2)).astype(x.dtype)
    strided = big[1::2, 2::3]
    strided[...] = x
    rev = np.ascontiguousarray(x[::-1, ::-1])[::-1, ::-1]
    return {"fortran": np.asfortranarray(x), "strided": strided, "reversed": rev,
            "transposed-view": np.ascontiguousarray(x.T).T}


@pytest.mark.parametrize("ta, tb", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("m, n, k", LAYOUT_SHAPES, ids=[_ids(s) for s in LAYOUT_SHAPES])
def test_non_contiguous_inputs_match_contiguous(m, n, k, ta, tb, dtype, isa):
    rng = np.random.default_rng(6)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    c0 = rng.standard_normal((m, n)).astype(dtype)
    expect = c0.copy()
    rnnkern.gemm(a, b, trans_a=ta, trans_b=tb, alpha=0.5, beta=-1.0, out=expect)
    la, lb = _layouts(a, rng), _layouts(b, rng)
    for name in la:
        for av, bv in ((la[name], b), (a, lb[name]), (la[name], lb[name])):
            assert np.array_equal(av, a) and np.array_equal(bv, b)
            out = c0.copy()
            rnnkern.gemm(av, bv, trans_a=ta, trans_b=tb, alpha=0.5, beta=-1.0, out=out)
            assert _same_bits(out, expect), (name, av.strides, bv.strides)


def test_transpose_flag_equals_transposed_view(dtype, isa):
    """trans_a / trans_b on the stored matrix and a transposed view without the flag: the same bits."""
    rng = np.random.default_rng(7)
    a, b = _operands(rng, 17, 65, 33, True, True, dtype)  # a (K, M), b (N, K)
    flags = rnnkern.gemm(a, b, trans_a=True, trans_b=True)
    assert _same_bits(rnnkern.gemm(a.T, b.T), flags)
    assert _same_bits(rnnkern.gemm(a.T, b, trans_b=True), flags)
    assert _same_bits(rnnkern.gemm(a, b.T, trans_a=True), flags)


# ---- NaN and Inf ----------------------------------------------------------------------------------

def _ieee_product(A, B):
    """A @ B in float64 term by term (no BLAS, which may skip zeros): exact NaN/Inf semantics."""
    with np.errstate(invalid="ignore", over="ignore"):
        return (A[:, :, None] * B[None, :, :]).sum(axis=1)


NAN_SHAPES = [(1, 70, 300), (3, 17, 5), (5, 33, 260), (13, 65, 31), (40, 17, 259)]


@pytest.mark.parametrize("ta, tb", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("m, n, k", NAN_SHAPES, ids=[_ids(s) for s in NAN_SHAPES])
def test_nan_in_a_poisons_its_row_only(m, n, k, ta, tb, dtype, isa):
    rng = np.random.default_rng(8)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    A = a.T if ta else a  # a view: writing A writes a
    for i, p in {(m - 1, k - 1), (0, 0), (m // 2, min(k - 1, 257))}:
        A[i, p] = np.nan
    c = rnnkern.gemm(a, b, trans_a=ta, trans_b=tb)
    rows = np.isnan(A).any(axis=1)
    assert np.isnan(c[rows]).all(), "a row of A with a NaN must give NaN everywhere in its row of C"
    assert np.isfinite(c[~rows]).all(), "NaN leaked into a row of C whose row of A is finite"
    ref, scale = _reference(a, b, ta, tb)
    assert_gemm_close(c[~rows], ref[~rows], scale[~rows], dtype)


@pytest.mark.parametrize("ta, tb", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("m, n, k", NAN_SHAPES, ids=[_ids(s) for s in NAN_SHAPES])
def test_nan_in_b_poisons_its_column_only(m, n, k, ta, tb, dtype, isa):
    rng = np.random.default_rng(9)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    B = b.T if tb else b
    for p, j in {(k - 1, n - 1), (0, 0), (min(k - 1, 257), n // 2)}:
        B[p, j] = np.nan
    c = rnnkern.gemm(a, b, trans_a=ta, trans_b=tb)
    cols = np.isnan(B).any(axis=0)
    assert np.isnan(c[:, cols]).all()
    assert np.isfinite(c[:, ~cols]).all(), "NaN leaked into a column of C whose column of op(b) is finite"


@pytest.mark.parametrize("ta, tb", TRANSPOSES, ids=TRANS_IDS)
@pytest.mark.parametrize("m, n, k", NAN_SHAPES, ids=[_ids(s) for s in NAN_SHAPES])
def test_inf_follows_ieee(m, n, k, ta, tb, dtype, isa):
    """+Inf times positive terms gives +Inf; Inf - Inf and 0 * Inf give NaN, as the term-by-term sum."""
    rng = np.random.default_rng(10)
    a, b = _operands(rng, m, n, k, ta, tb, dtype)
    A, B = a.T if ta else a, b.T if tb else b
    A[0, 0] = np.inf
    B[0] = np.abs(B[0]) + 1  # row 0 of C: +Inf everywhere
    if m > 1:
        A[m - 1, k - 1] = -np.inf  # last row: -Inf where B[k-1, j] > 0, +Inf where < 0
        B[k - 1, n - 1] = 0.0  # ... and NaN (-Inf * 0) in the last column
    if m > 2 and k > 1:
        A[1, 0], A[1, 1] = np.inf, np.inf  # row 1: Inf - Inf = NaN where B[0, j] and B[1, j] differ in sign
    c = rnnkern.gemm(a, b, trans_a=ta, trans_b=tb)
    ref = _ieee_product(_op(a, ta), _op(b, tb))
    assert np.array_equal(np.isnan(c), np.isnan(ref))
    assert np.array_equal(np.isposinf(c), np.isposinf(ref))
    assert np.array_equal(np.isneginf(c), np.isneginf(ref))
    assert np.isposinf(c[0]).all()


def test_nan_with_beta_scales_and_propagates(dtype, isa):
    """NaN already in C propagates through beta != 0 (only beta = 0 ignores C)."""
    rng = np.random.default_rng(11)
    a, b = _operands(rng, 7, 33, 17, False, False, dtype)
    c0 = rng.standard_normal((7, 33)).astype(dtype)
    c0[3, 5] = np.nan
    for beta in (1.0, 0.5):
        out = c0.copy()
        rnnkern.gemm(a, b, beta=beta, out=out)
        assert np.array_equal(np.isnan(out), np.isnan(c0)), beta
