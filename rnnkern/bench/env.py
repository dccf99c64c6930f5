"""The environment each contender's process starts with: the one its users would give it. The
libraries read it when they load, so it is fixed per process before any import (design.md, Benchmarks:
imposing one library's settings on another is not a comparison).

- rnnkern, torch and the drop-in rnnkern.torch: the caller's environment, with their default OpenMP policy. OMP_WAIT_POLICY is
  never set for them; it is removed only where a benchmark imposed it on the caller (MARK says so).
- the reference (numpy): OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (they can put OpenBLAS on slower
  kernels), OPENBLAS_NUM_THREADS = the row's threads, and OpenBLAS's threads sleeping right after each
  call (they spin for ~0.1 s by default, on the cores the contender timed next needs).
"""
from .contenders import DROP_IN, REFERENCE, RNNKERN, TORCH

BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
BLAS_THREAD_TIMEOUT = "4"  # OpenBLAS's minimum: idle threads sleep after 2**4 cycles
MARK = "RNNKERN_BENCH_CHILD"  # set by clean_env, with the OMP_WAIT_POLICY and thread timeout it imposed
WORKER = "RNNKERN_BENCH_WORKER"  # names the contender in its own process


def user_env(env):
    """`env` as its user gave it -> (env, changes): without what clean_env imposed on this process
    (OMP_WAIT_POLICY, OPENBLAS_THREAD_TIMEOUT, MARK), where MARK says it did; otherwise unchanged."""
    env, changes = dict(env), {}
    if MARK in env:
        for name in ("OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT", MARK):
            if name in env:
                changes[name] = (env.pop(name), None)
    return env, changes


def contender_env(base, kind, isa=None, threads=None):
    """The environment of contender `kind`'s process -> (env, changes {name: (before, after)}, after None
    = unset). isa: RNNKERN_ISA of an rnnkern process; threads: OPENBLAS_NUM_THREADS of a reference one."""
    if kind not in (RNNKERN, TORCH, REFERENCE, DROP_IN):
        raise ValueError(f"kind: expected one of {RNNKERN}, {TORCH}, {REFERENCE}, {DROP_IN}, got {kind!r}")
    env, changes = user_env(base)

    def put(name, value):
        before = env.get(name)
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
        if before != value:
            changes[name] = (before, value)

    if kind == RNNKERN and isa is not None:
        put("RNNKERN_ISA", isa)
    if kind == REFERENCE:
        for name in BLAS_OVERRIDES:
            put(name, None)
        if threads is not None:
            put("OPENBLAS_NUM_THREADS", str(threads))
        put("OPENBLAS_THREAD_TIMEOUT", BLAS_THREAD_TIMEOUT)
    env[WORKER] = kind if isa is None else f"{kind} {isa}"
    return env, changes


def describe_changes(changes):
    """changes -> "OPENBLAS_CORETYPE unset (was Haswell), OPENBLAS_NUM_THREADS=2", or "none"."""
    out = [f"{k} unset (was {b})" if a is None else f"{k}={a}" for k, (b, a) in changes.items() if k != MARK]
    return ", ".join(out) or "none"


def clean_env(env):
    """The one-process environment of benchmarks/bench_gemm.py, which times every contender in one
    process: OpenBLAS overrides unset, OMP_WAIT_POLICY=PASSIVE (two OpenMP runtimes in one process spin on
    each other's cores otherwise), OpenBLAS's threads sleeping after each call; MARK lists what was unset."""
    env = dict(env)
    removed = [f"{k}={env.pop(k)}" for k in BLAS_OVERRIDES if k in env]
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    env["OPENBLAS_THREAD_TIMEOUT"] = BLAS_THREAD_TIMEOUT
    env[MARK] = ";".join(removed) or "-"
    return env
