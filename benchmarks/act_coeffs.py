"""Constants of csrc/act/act_vec.h: the ln 2 split for Cody-Waite range reduction and the expm1
polynomial expm1(r) = r + r^2 Q(r) on |r| <= ln2/2, Q interpolated at Chebyshev nodes (near-minimax)
in 50-digit arithmetic and rounded to the target precision. Needs mpmath; prints C literals."""
import mpmath as mp
import numpy as np

mp.mp.dps = 50
R = mp.mpf("0.3467")  # ln2/2 = 0.34657... plus slack for the rounding of n


def q_exact(r):
    # (e^r - 1 - r) / r^2 as its series, exact at r = 0
    return mp.nsum(lambda k: r**k / mp.factorial(k + 2), [0, mp.inf])


def fit(deg):
    nodes = [R * mp.cos(mp.pi * (k + mp.mpf(1) / 2) / (deg + 1)) for k in range(deg + 1)]
    a = mp.matrix([[x**j for j in range(deg + 1)] for x in nodes])
    return list(mp.lu_solve(a, mp.matrix([q_exact(x) for x in nodes])))


def rel_error(coeffs):
    xs = [R * mp.mpf(k) / 4000 for k in range(-4000, 4001) if k]
    em = lambda x: x + x * x * mp.polyval(coeffs[::-1], x)
    return max(abs(em(x) - mp.expm1(x)) / abs(mp.expm1(x)) for x in xs)


for name, dt, deg, hi_bits in (("f32", np.float32, 5, 16), ("f64", np.float64, 10, 42)):
    ln2 = mp.log(2)
    hi = mp.floor(ln2 * 2**hi_bits) / 2**hi_bits
    lo = dt(float(ln2 - hi))
    q = [dt(float(c)) for c in fit(deg)]
    err = rel_error([mp.mpf(float(c)) for c in q])
    magic = 1.5 * 2.0 ** np.finfo(dt).nmant + np.finfo(dt).maxexp - 1  # + the exponent bias
    print(f"{name}: LOG2E {float(dt(float(1 / ln2))).hex()}  LN2_HI {float(hi).hex()}  "
          f"LN2_LO {float(lo).hex()}  MAGIC {magic.hex()}")
    print(f"  Q ({deg + 1} terms, polynomial error {float(err):.2e} "
          f"= {float(err) / np.finfo(dt).eps:.3f} eps):")
    print("  " + ", ".join(float(c).hex() for c in q))
