"""Argument checks for every public entry point, in one place. Each error names the argument and
gives the expected and the actual shape, dtype or value. Nothing here allocates a result."""
import numbers

import numpy as np

from . import _ext
from ._verbose import LEVELS as VERBOSE_LEVELS
from .cells import ACTIVATIONS

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# Kernels index with int64 and allocate in bytes: keep every element count well inside both.
MAX_ELEMENTS = 2 ** 59


def float_array(name, a, dtype=None, like="x"):
    """a as an ndarray of float32/float64 (of `dtype`, the dtype of `like`, when given); no copy."""
    if a is None:
        raise TypeError(f"{name}: expected an array, got None")
    unmasked(name, a)
    arr = a if isinstance(a, np.ndarray) else np.asarray(a)
    if dtype is None:
        if arr.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{name}: expected dtype float32 or float64, got {arr.dtype}")
    elif arr.dtype != dtype:
        raise TypeError(f"{name}: expected dtype {dtype} (the dtype of {like}), got {arr.dtype}")
    return arr


def shaped(name, a, dims, shape, dtype, optional=False):
    """a checked against `shape` (described by `dims`, e.g. "(4*H, I)"); not copied (see contiguous)."""
    if a is None:
        if optional:
            return None
        raise TypeError(f"{name}: expected an array of shape {dims} = {shape}, got None")
    arr = float_array(name, a, dtype)
    if arr.ndim != len(shape):
        raise ValueError(f"{name}: expected a {len(shape)}-D array of shape {dims} = {shape}, "
                         f"got {arr.ndim}-D shape {arr.shape}")
    if arr.shape != tuple(shape):
        raise ValueError(f"{name}: expected shape {dims} = {shape}, got {arr.shape}")
    return arr


def unmasked(name, a):
    """Refuse a masked array: the kernels would read the values under its mask as data."""
    if isinstance(a, np.ma.MaskedArray):
        raise TypeError(f"{name}: expected a plain array, got a numpy.ma.MaskedArray (its mask "
                        f"would be ignored); pass {name}.filled(value) or {name}.data")


def contiguous(*arrays):
    """C-contiguous, aligned base-class ndarrays (copies only where needed: a strided or misaligned
    view, a subclass such as np.matrix is viewed as ndarray; None stays None). Call after sizes()."""
    return [a if a is None or _ext.is_carray(a) else np.require(np.asarray(a), requirements=("C", "A"))
            for a in arrays]


def convertible(name, a, dtype):
    """a converted to `dtype` (a float dtype) for the layers of rnnkern.nn, which accept any real
    numbers: booleans, integers and floats. Complex, text and objects are refused, never cast."""
    if a is None:
        raise TypeError(f"{name}: expected an array, got None")
    unmasked(name, a)
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected real numbers (converted to {np.dtype(dtype)}), got dtype {arr.dtype}")
    return np.require(arr, dtype=dtype, requirements=("C", "A"))


def out_array(name, out, dims, shape, dtype, inputs=()):
    """An output argument: written in place, so never converted or copied, and sharing no memory
    with any of `inputs`."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name}: expected dtype {dtype}, got {out.dtype}")
    if out.shape != tuple(shape):
        raise ValueError(f"{name}: expected shape {dims} = {tuple(shape)}, got {out.shape}")
    if not out.flags.c_contiguous:
        raise ValueError(f"{name}: expected a C-contiguous array, got strides {out.strides}")
    if not out.flags.aligned:
        raise ValueError(f"{name}: expected an array aligned to its {out.dtype.itemsize}-byte elements, "
                         f"got one at address {out.ctypes.data:#x}")
    if not out.flags.writeable:
        raise ValueError(f"{name}: expected a writeable array, got a read-only one")
    for other_name, other in inputs:
        if other is not None and np.may_share_memory(out, other):
            raise ValueError(f"{name}: must not overlap {other_name} (they share memory)")
    return out


def sequence(x):
    """x (T, B, I) -> (x, dtype)"""
    arr = float_array("x", x)
    if arr.ndim != 3:
        raise ValueError(f"x: expected a 3-D array of shape (T, B, I), got {arr.ndim}-D shape {arr.shape}")
    return arr, arr.dtype


def weights(w_ih, w_hh, b_ih, b_hh, gates, gate_names, I, dtype):
    """-> (w_ih, w_hh, b_ih, b_hh, H) with H read from w_hh (G*H, H)"""
    w_hh = float_array("w_hh", w_hh, dtype)
    if w_hh.ndim != 2:
        raise ValueError(f"w_hh: expected a 2-D array of shape ({gates}*H, H), got {w_hh.ndim}-D "
                         f"shape {w_hh.shape}")
    H = w_hh.shape[1]
    if w_hh.shape[0] != gates * H:
        raise ValueError(f"w_hh: expected shape ({gates}*H, H) with {gates} gates ({gate_names}) "
                         f"stacked on rows, so rows = {gates}*{H} = {gates * H}, got {w_hh.shape}")
    G = gates * H
    gdims = f"({gates}*H,)" if gates > 1 else "(H,)"
    w_ih = shaped("w_ih", w_ih, f"({gates}*H, I)" if gates > 1 else "(H, I)", (G, I), dtype)
    b_ih = shaped("b_ih", b_ih, gdims, (G,), dtype, optional=True)
    b_hh = shaped("b_hh", b_hh, gdims, (G,), dtype, optional=True)
    return w_ih, w_hh, b_ih, b_hh, H


def lengths_array(lengths, T, B):
    """lengths (B,) integers in [0, T] -> int64 C-contiguous, or None"""
    if lengths is None:
        return None
    unmasked("lengths", lengths)
    arr = np.asarray(lengths)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"lengths: expected an integer array of shape (B,) = ({B},), got dtype {arr.dtype}")
    if arr.shape != (B,):
        raise ValueError(f"lengths: expected shape (B,) = ({B},), got {arr.shape}")
    if B:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi > T:
            bad = int(np.argmax((arr < 0) | (arr > T)))
            raise ValueError(f"lengths: expected values in [0, T] = [0, {T}], got {int(arr[bad])} at index {bad}")
    return np.require(arr, dtype=np.int64, requirements=("C", "A"))


def frozen(a):
    """An immutable C-contiguous copy of a: its bytes are a bytes object, so no view of it can be
    made writeable, and a workspace that refers to it needs no fingerprint of it."""
    return np.frombuffer(np.ascontiguousarray(a).tobytes(), a.dtype).reshape(a.shape)


def _immutable(a):
    while isinstance(a, np.ndarray):
        if a.flags.writeable:
            return False
        a = a.base
    return isinstance(a, bytes)


def fingerprint(a):
    """A cheap checksum of a C-contiguous array's bits (their sum and xor as 64-bit words, one pass
    in C): a workspace keeps one of each array it refers to, so that backward can tell they changed
    since forward. None for a frozen array, which cannot change."""
    return None if _immutable(a) else _ext.checksum(a)


def unchanged(ws_name, cell, arrays, fingerprints):
    """Refuse a workspace whose x, w_ih or w_hh were written since the forward that made it."""
    for (name, a), fp in zip(arrays, fingerprints):
        if fingerprint(a) != fp:
            raise ValueError(f"{ws_name}: {name} changed in place since {cell}_forward made this "
                             f"workspace; backward needs the values forward used (run backward first, "
                             f"or forward again)")


def activation_name(activation):
    if not isinstance(activation, str):
        raise TypeError(f"activation: expected one of {', '.join(map(repr, ACTIVATIONS))}, "
                        f"got {type(activation).__name__}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {', '.join(map(repr, ACTIVATIONS))}, got {activation!r}")
    return activation


def sizes(T, B, I, H, gates, workspace_elements):
    """Refuse problems whose buffers would overflow the kernels' int64 element and byte counts."""
    G = gates * H
    products = {"T*B*I": T * B * I, f"T*B*{gates}*H": T * B * G, f"{gates}*H*I": G * I,
                f"{gates}*H*H": G * H, "workspace": workspace_elements}
    for what, n in products.items():
        if n < 0 or n > MAX_ELEMENTS:
            raise ValueError(f"sizes (T, B, I, H) = ({T}, {B}, {I}, {H}) too large: {what} = {n} "
                             f"elements exceeds the limit of 2**59")


def count(name, n, minimum=1):
    """A positive integer argument (threads, sizes)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name}: expected an integer, got {type(n).__name__}")
    if n < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {n}")
    return int(n)


def verbose_level(level):
    """The level of set_verbose: 0 or 1 (True and False too)."""
    if not isinstance(level, numbers.Integral):
        raise TypeError(f"level: expected {VERBOSE_LEVELS}, got {type(level).__name__}")
    if level not in (0, 1):
        raise ValueError(f"level: expected {VERBOSE_LEVELS}, got {level}")
    return int(level)


def flag(name, value):
    """A boolean keyword (reverse=): True, False or a NumPy bool; never a truthy array or string."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {type(value).__name__} {value!r}")
    return bool(value)
