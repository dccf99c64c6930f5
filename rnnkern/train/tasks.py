"""The lecture's tasks as generated data (nothing is downloaded). Sequences are time-major.

- binary addition (slides 19-23): two numbers' bits, least significant first, and their sum's bits
- the adding problem (slide 30): remember two marked values among T and output their sum at the end
- Mackey-Glass (slide 28): a chaotic time series from a delay differential equation
- the embedded Reber grammar (slides 2-3): strings whose second and second-to-last symbols agree
"""
import numpy as np


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


# ---- binary addition ------------------------------------------------------------------------------

def random_bits(n, num_bits, rng=None):
    """(n, num_bits) uint8 random bits: n numbers, least significant bit first."""
    return _rng(rng).integers(0, 2, (n, num_bits), dtype=np.uint8)


def binary_addition(a_bits, b_bits, digits=(0.0, 1.0)):
    """a_bits, b_bits (B, N) least significant first -> x (N+1, B, 2), sum bits (N+1, B).

    One column per step, right to left as the lecture's automaton reads them; a last column of 0
    digits lets the final carry be printed. x shows digit 0 as digits[0] and 1 as digits[1]. The sum
    is computed column by column with a carry, so any N works (no integer overflow)."""
    a = np.asarray(a_bits, np.uint8)
    b = np.asarray(b_bits, np.uint8)
    B, N = a.shape
    x = np.zeros((N + 1, B, 2), np.uint8)
    x[:N, :, 0], x[:N, :, 1] = a.T, b.T
    x = np.asarray(digits, np.float64)[x]
    s = np.zeros((N + 1, B), np.uint8)
    carry = np.zeros(B, np.uint8)
    for t in range(N + 1):
        total = carry + (a[:, t] if t < N else 0) + (b[:, t] if t < N else 0)
        s[t], carry = total & 1, total >> 1
    return x, s


def bits_to_int(bits):
    """(..., N) bits, least significant first -> Python ints (for printing and bookkeeping)."""
    bits = np.asarray(bits).astype(np.int64)
    return [int("".join(map(str, row[::-1])), 2) for row in bits.reshape(-1, bits.shape[-1])]


# ---- adding problem -------------------------------------------------------------------------------

def adding_problem(n, T, rng=None):
    """Hochreiter & Schmidhuber's adding problem, as in Le, Jaitly & Hinton (2015).

    -> x (T, n, 2), target (n,). Channel 0 holds values ~ U(0, 1); channel 1 marks two steps, one in
    each half of the sequence; the target is the sum of the two marked values (mean 1, variance 1/6),
    due on the last step. The first mark can be up to T-1 steps before the answer is due."""
    rng = _rng(rng)
    x = np.zeros((T, n, 2))
    x[:, :, 0] = rng.random((T, n))
    first = rng.integers(0, T // 2, n)
    second = rng.integers(T // 2, T, n)
    cols = np.arange(n)
    x[first, cols, 1] = 1
    x[second, cols, 1] = 1
    return x, x[first, cols, 0] + x[second, cols, 0]


# ---- Mackey-Glass ---------------------------------------------------------------------------------

def mackey_glass(n, tau=17.0, *, beta=0.2, gamma=0.1, power=10, dt=0.1, sample_every=1.0,
                 discard=500, x0=1.2, rng=None):
    """dx/dt = beta x(t-tau) / (1 + x(t-tau)^power) - gamma x(t), chaotic for tau = 17.

    Integrated with Heun's method at step dt (the delayed term read from the stored history),
    sampled every `sample_every` time units; the first `discard` samples (the transient) are dropped.
    -> (n,) float64 series. rng, when given, perturbs the constant initial history so that each seed
    lands on a different stretch of the attractor."""
    lag = int(round(tau / dt))
    every = int(round(sample_every / dt))
    steps = (n + discard) * every
    x = np.empty(lag + steps + 1)
    x[: lag + 1] = x0
    if rng is not None:
        x[: lag + 1] += 0.1 * _rng(rng).random(lag + 1)

    def f(xt, xlag):
        return beta * xlag / (1 + xlag ** power) - gamma * xt

    for i in range(lag, lag + steps):
        k1 = f(x[i], x[i - lag])
        k2 = f(x[i] + dt * k1, x[i + 1 - lag])
        x[i + 1] = x[i] + 0.5 * dt * (k1 + k2)
    return x[lag + every::every][discard:discard + n]


# ---- embedded Reber grammar -----------------------------------------------------------------------

REBER_SYMBOLS = "BTPSXVE"
# Reber's automaton: state -> [(symbol, next state)]; state 5 can only end the string with E.
_REBER = {0: [("T", 1), ("P", 2)], 1: [("S", 1), ("X", 3)], 2: [("T", 2), ("V", 4)],
          3: [("X", 2), ("S", 5)], 4: [("P", 3), ("V", 5)], 5: [("E", None)]}


def _reber(rng):
    # -> (string without B, legal next-symbol sets for each of its symbols after B)
    s, legal, state = "", [], 0
    while state is not None:
        options = _REBER[state]
        legal.append({sym for sym, _ in options})
        sym, state = options[rng.integers(len(options))]
        s += sym
    return s, legal


def embedded_reber(rng=None):
    """One string of the embedded Reber grammar, B c <Reber string> c E with c in {T, P}, and the set
    of legal next symbols after each of its symbols but the last. The symbol before the final E
    repeats the second one: predicting it needs a memory of the whole inner string."""
    rng = _rng(rng)
    c = "TP"[rng.integers(2)]
    inner, inner_legal = _reber(rng)
    string = "B" + c + "B" + inner + c + "E"
    # after: B -> {T,P}; c -> {B}; inner B -> inner's first options; ...; inner E -> {c}; c -> {E}
    legal = [{"T", "P"}, {"B"}] + inner_legal + [{c}, {"E"}]
    return string, legal


def encode_strings(strings, legal=None):
    """Strings over REBER_SYMBOLS -> one-hot x (T, B, 7), symbol indices (T, B), lengths (B,) and,
    with `legal`, a (T, B, 7) bool array of the legal next symbols (padding is zero)."""
    K, T, B = len(REBER_SYMBOLS), max(map(len, strings)), len(strings)
    code = np.full(256, -1, np.int64)
    code[np.frombuffer(REBER_SYMBOLS.encode(), np.uint8)] = np.arange(K)
    lengths = np.array([len(s) for s in strings])
    valid = np.arange(T)[:, None] < lengths[None, :]
    idx = np.zeros((T, B), np.int64)
    idx.T[valid.T] = code[np.frombuffer("".join(strings).encode(), np.uint8)]
    x = np.zeros((T, B, K))
    x[np.arange(T)[:, None], np.arange(B)[None, :], idx] = 1
    x *= valid[:, :, None]
    if legal is None:
        return x, idx, lengths
    # each legal set as a 7-bit mask, unpacked into the symbol axis
    bits = {ch: 1 << i for i, ch in enumerate(REBER_SYMBOLS)}
    masks = np.zeros((T, B), np.int64)
    for b, sets in enumerate(legal):
        masks[: len(sets), b] = [sum(bits[ch] for ch in allowed) for allowed in sets]
    legal_next = (masks[:, :, None] >> np.arange(K)) & 1 == 1
    return x, idx, lengths, legal_next
