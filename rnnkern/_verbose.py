"""RNNKERN_VERBOSE: one line on stderr per kernel call, in the manner of oneDNN's ONEDNN_VERBOSE.

rnnkern._ext keeps the level and times each C call alone (GIL released, validation excluded); this
module formats the lines and writes them to sys.stderr, flushed. The format: comma-separated fields
after a fixed prefix, no field containing a comma, so `grep rnnkern_verbose,exec` and `cut -d,`
take it apart.

    rnnkern_verbose,info,version=0.1.0,isa=avx512,available=scalar avx2 avx512,cpu=<model name>
    rnnkern_verbose,exec,lstm,forward_training,T=100,B=8,I=256,H=256,float32,avx512,threads=2,1.234ms
    rnnkern_verbose,exec,gemm,NT,M=64,N=1024,K=256,float32,avx512,threads=2,0.051ms

- `info`, once per process before the first `exec` line: the package version, the active and the
  available SIMD paths, and the CPU's model name.
- `exec`, one per kernel call: the operation (`lstm`, `gru`, `rnn_tanh`, `rnn_relu`, `rnn_logistic`,
  `gemm`); for a cell the direction (`forward_training`, `forward_inference`, `backward`, `jvp`;
  `_pair` after it for a bidirectional layer's two directions in one call) and `T,B,I,H`; for
  gemm op(a) and op(b) as BLAS's letters (`N` as given, `T` transposed) and `M,N,K` of the product
  (M, K) x (K, N); then the dtype, the SIMD path that ran, the threads the call could
  use (get_num_threads(); a recurrence too small to pay for a barrier per step runs on one) and the
  wall time of the C call in milliseconds.
"""
import os
import sys
import warnings

from . import _peak, cells

ENV = "RNNKERN_VERBOSE"
PREFIX = "rnnkern_verbose"
LEVELS = "0 (off) or 1 (one line per kernel call on stderr)"

_header_written = False


def level_from_env():
    """The level RNNKERN_VERBOSE asks for: unset or empty is 0; a value other than 0 or 1 warns and
    leaves verbose output off (a typo in a debugging switch should not stop the program)."""
    raw = os.environ.get(ENV)
    value = "" if raw is None else raw.strip()
    if value in ("", "0", "1"):
        return int(value or 0)
    warnings.warn(f"{ENV}={raw!r}: expected {LEVELS}; verbose output stays off", RuntimeWarning,
                  stacklevel=2)
    return 0


def cell(cell, activation, direction, T, B, I, H, dtype, isa, threads, seconds):
    op = f"{cell}_{activation}" if cells.get(cell).takes_activation else cell
    _exec(f"{op},{direction},T={T},B={B},I={I},H={H}", dtype, isa, threads, seconds)


def gemm(trans_a, trans_b, M, N, K, dtype, isa, threads, seconds):
    _exec(f"gemm,{'NT'[bool(trans_a)]}{'NT'[bool(trans_b)]},M={M},N={N},K={K}", dtype, isa, threads,
          seconds)


def _exec(what, dtype, isa, threads, seconds):
    _write(f"{PREFIX},exec,{what},{dtype},{isa},threads={threads},{seconds * 1e3:.3f}ms")


def header():
    import rnnkern  # imported by now: a kernel has just run

    info = rnnkern.isa_info()
    cpu = _peak.cpu_facts()["model_name"] or "unknown"
    return (f"{PREFIX},info,version={rnnkern.__version__},isa={info['active']},"
            f"available={' '.join(info['available'])},cpu={' '.join(cpu.replace(',', ' ').split())}")


def _write(line):
    global _header_written
    err = sys.stderr  # looked up per call: pytest's capsys and the caller may replace it
    if err is None:  # pythonw
        return
    if not _header_written:
        _header_written = True
        line = f"{header()}\n{line}"
    err.write(line + "\n")
    err.flush()
