"""rnnkern: fused CPU kernels for LSTM, GRU and vanilla RNN (forward and BPTT) with a NumPy API.

Functional API: lstm_forward / lstm_backward / lstm_jvp, likewise gru_* and rnn_*, and gemm.
Serving: pack_lstm / pack_gru / pack_rnn (weights packed once), LSTMStream / GRUStream /
RNNStream (one step at a time); compiled callers: rnnkern.cython_api, get_include. Oracle:
rnnkern.reference. Threads: set_num_threads / get_num_threads. Scratch kept between calls:
release_memory. SIMD path: isa_info, set_isa, or the environment variable
RNNKERN_ISA=scalar|avx2|avx512 read at import. One line on stderr per kernel call: set_verbose(1),
or RNNKERN_VERBOSE=1 at import.
"""
import os as _os


def _use_installed_extension():
    """`python -m rnnkern` from the repository root imports this source directory, which has no
    compiled extension: borrow the one that `pip install .` put in site-packages."""
    from importlib import metadata

    try:
        dist = metadata.distribution("rnnkern")
    except metadata.PackageNotFoundError:
        return
    for f in dist.files or []:
        if f.parts[0] == "rnnkern" and f.name.startswith("_ext."):
            __path__.append(str(dist.locate_file(f).parent))
            return


try:
    from . import _ext
except ImportError:
    _use_installed_extension()
    from . import _ext
from . import _validate, _verbose, selfcheck
from .functional import (Workspace, gemm, gru_backward, gru_forward, gru_jvp, lstm_backward,
                         lstm_forward, lstm_jvp, rnn_backward, rnn_forward, rnn_jvp)
from .grads import GRUGrads, LSTMGrads, RNNGrads
from .packed import PackedWeights, pack_gru, pack_lstm, pack_rnn
from .stream import GRUStream, LSTMStream, RNNStream

__version__ = "0.1.0"

ISAS = _ext.ISA_NAMES


def available_isas():
    """The SIMD paths this CPU and OS can run, slowest first (always includes "scalar")."""
    return [name for name in ISAS if _ext.isa_supported(name)]


def kernel_info(isa=None):
    """[(slot, dtype, instance, implementation)] of one SIMD path (default: the active one), e.g.
    ("panel", "f32", "rk_panel_gemm_f32_avx512", "tiles 6 rows x 4 zmm, 1 row x 8 zmm")."""
    isa = isa or _ext.isa_active()
    if isa not in ISAS:
        raise ValueError(f"isa: expected one of {', '.join(ISAS)}, got {isa!r}")
    return [(slot, dt, inst, impl) for dt, nbytes in (("f32", 4), ("f64", 8))
            for slot, inst, impl in _ext.kernel_slots(isa, nbytes)]


def isa_info():
    """Which SIMD path runs the kernels: {"active", "best", "available", "compiled", "forced"}."""
    return {"active": _ext.isa_active(), "best": _ext.isa_best(), "available": available_isas(),
            "compiled": list(ISAS), "forced": _os.environ.get("RNNKERN_ISA") or None}


def set_isa(name):
    """Force a SIMD path for every later kernel call (as RNNKERN_ISA does at import)."""
    if name not in ISAS:
        raise ValueError(f"isa: expected one of {', '.join(map(repr, ISAS))}, got {name!r}")
    if not _ext.isa_supported(name):
        raise ValueError(f"isa: {name!r} is not supported by this CPU, which has: {', '.join(available_isas())}")
    _ext.isa_select(name)


def set_num_threads(n):
    """Threads every later kernel uses (the OpenMP default; threadpoolctl sees and limits the same)."""
    _ext.set_num_threads(_validate.count("n", n))


def get_num_threads():
    """Threads a kernel called now would use (1 in a forked child, where OpenMP cannot run)."""
    return _ext.get_num_threads()


def release_memory():
    """Free the scratch buffers that kernels keep between calls (up to 8, 512 MiB in all), which
    spare repeated calls of the same shapes their page faults; the next call allocates afresh."""
    _ext.release_scratch()


def set_verbose(level):
    """0: off; 1: one line on stderr per kernel call, with its shape, dtype, SIMD path, threads and
    time (the format: rnnkern/_verbose.py, README). RNNKERN_VERBOSE sets the same at import."""
    _ext.set_verbose(_validate.verbose_level(level))


def get_verbose():
    """The verbose level: 0 off, 1 one line per kernel call."""
    return _ext.get_verbose()


def get_include():
    """The directory of rnnkern.h and of the .pxd files that compiled callers cimport
    (rnnkern.cython_api): include_dirs=[rnnkern.get_include()]."""
    return _os.path.dirname(_os.path.abspath(_ext.__file__))  # installed beside the extension


def _apply_isa_env():
    status = _ext.isa_init_from_env()
    if status == 0:
        return
    want = _os.environ.get("RNNKERN_ISA")
    if want not in ISAS:
        raise ImportError(f"RNNKERN_ISA={want!r}: expected one of {', '.join(ISAS)}")
    raise ImportError(f"RNNKERN_ISA={want!r} is not supported by this CPU, which has: "
                      f"{', '.join(available_isas())}")


_apply_isa_env()
_ext.set_verbose(_verbose.level_from_env())


def __getattr__(name):
    # rnnkern.nn, .train, .bench and .buildinfo load on first use, keeping `import rnnkern` light
    if name in ("nn", "train", "bench", "buildinfo"):
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["lstm_forward", "lstm_backward", "gru_forward", "gru_backward", "rnn_forward",
           "rnn_backward", "lstm_jvp", "gru_jvp", "rnn_jvp", "gemm", "Workspace", "LSTMGrads", "GRUGrads", "RNNGrads", "isa_info", "kernel_info",
           "available_isas", "set_isa", "set_num_threads", "get_num_threads", "set_verbose",
           "get_verbose", "release_memory", "ISAS", "pack_lstm", "pack_gru", "pack_rnn",
           "PackedWeights", "LSTMStream", "GRUStream", "RNNStream", "get_include"]
