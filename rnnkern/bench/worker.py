"""One contender's long-lived process. Started once with its own environment (env.py), it builds the
same inputs as the others from the seed and times one call per request, so the parent can make the
contenders take turns (timing.py) without two ever running at once.

Protocol: length-prefixed pickles, requests (command, kwargs) on the process's stdin, replies
("ok", value) or ("error", traceback) on a copy of its stdout; fd 1 itself goes to stderr, so a library
that prints cannot corrupt the stream.
"""
import gc
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
import traceback
from pathlib import Path

from .. import cells
from .contenders import DROP_IN, REFERENCE, RNNKERN, TORCH, _import_torch, numpy_call, torch_call, torch_module
from .env import contender_env
from .problems import cell_kind, make_problem

COMMANDS = ("hello", "prepare", "time", "output", "peak", "serving_prepare", "serving_time")
_LEN = struct.Struct(">Q")


class WorkerError(RuntimeError):
    pass


def _send(f, obj):
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    f.write(_LEN.pack(len(data)) + data)
    f.flush()


def _recv(f):
    head = f.read(_LEN.size)
    if len(head) < _LEN.size:
        return None  # the other end closed
    (n,) = _LEN.unpack(head)
    return pickle.loads(f.read(n))


# ---- the parent's side ---------------------------------------------------------------------------

class Worker:
    """A contender's process, seen from the parent: call(command, **kwargs) -> its value."""

    def __init__(self, name, kind, isa=None, threads=None, base_env=None):
        self.name, self.kind, self.isa, self.threads = name, kind, isa, threads
        self.env, self.changes = contender_env(os.environ if base_env is None else base_env, kind, isa, threads)
        # sys.path[0] = the directory holding this rnnkern: the child imports the same one, wherever its cwd
        root = str(Path(__file__).resolve().parents[2])
        code = ("import sys; sys.path[0] = sys.argv[1]; "
                "from rnnkern.bench.worker import serve; sys.exit(serve(sys.argv[2:]))")
        self.proc = subprocess.Popen([sys.executable, "-c", code, root, kind, isa or "-"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env)
        self.pid = self.proc.pid

    def call(self, command, **kwargs):
        try:
            _send(self.proc.stdin, (command, kwargs))
            reply = _recv(self.proc.stdout)
        except (BrokenPipeError, OSError):
            reply = None
        if reply is None:
            raise WorkerError(f"{self.name}: its process ended (status {self.proc.wait()})")
        status, value = reply
        if status != "ok":
            raise WorkerError(f"{self.name}: {command} failed in its process:\n{value}")
        return value

    def close(self):
        if self.proc.poll() is None:
            try:
                _send(self.proc.stdin, ("quit", {}))
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            f.close()


# ---- the contender's side ------------------------------------------------------------------------

class Session:
    """What a contender's process does on request (callable in one process too, as the tests do)."""

    def __init__(self, kind, isa=None):
        self.kind, self.isa = kind, isa
        self.torch, self.skipped = None, None
        if kind in (TORCH, DROP_IN):
            self.torch, self.skipped = _import_torch(True)
            gc.collect()
            gc.freeze()  # torch's many objects would make every later collection slow
        self.key, self.p, self.module, self.calls = None, None, None, {}
        self.serving_runs = {}  # way -> its prepared call (serving_prepare)

    def hello(self):
        """Facts of this process: versions, the ISA it runs, its thread pools, the environment it saw."""
        import platform

        import numpy as np
        import rnnkern

        facts = {"pid": os.getpid(), "kind": self.kind, "skipped": self.skipped,
                 "versions": {"rnnkern": rnnkern.__version__, "numpy": np.__version__,
                              "python": platform.python_version(),
                              "torch": self.torch.__version__ if self.torch is not None else None},
                 "env": {k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "RNNKERN_ISA",
                                                        "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                        "OPENBLAS_NUM_THREADS", "OPENBLAS_THREAD_TIMEOUT")}}
        if self.kind == RNNKERN:
            facts["isa"] = rnnkern.isa_info()
            facts["threads"] = rnnkern.get_num_threads()
            if self.isa and facts["isa"]["active"] != self.isa:
                raise RuntimeError(f"RNNKERN_ISA={self.isa} but the active path is {facts['isa']['active']}")
        if self.torch is not None:
            facts["threads"] = self.torch.get_num_threads()
            facts["torch_parallel_info"] = self.torch.__config__.parallel_info()
        try:
            from threadpoolctl import threadpool_info
            facts["threadpools"] = threadpool_info()
        except ImportError:
            facts["threadpools"] = None
        return facts

    def _problem(self, cell, shape, dtype, seed):
        key = (cell, tuple(shape), dtype, seed)
        if key != self.key:  # one problem at a time: the big shapes take hundreds of MB
            self.key, self.p, self.module = None, None, None
            self.p = make_problem(cell, *shape, dtype=dtype, seed=seed)
            self.module = torch_module(self.torch, cell, self.p) if self.kind == TORCH and self.torch else None
            self.key = key
        return self.p

    def _build(self, cell, mode, p, steps):
        from .dropin import STEP_MODES, step_call

        if mode in STEP_MODES:
            return step_call(self.kind, self.torch, cell, mode, p, steps, self.key[3])
        if self.kind == TORCH:
            return torch_call(self.torch, self.module, mode, p, steps)
        import rnnkern
        from rnnkern import reference

        return numpy_call(rnnkern if self.kind == RNNKERN else reference, cell, mode, p, steps)

    def prepare(self, cell, mode, shape, dtype, seed, threads):
        """Make (cell, mode, shape) the row timed next, on `threads` threads; -> None, or why this
        contender sits the row out."""
        p = self._problem(cell, shape, dtype, seed)
        if (self.kind == TORCH and self.module is None) or \
                (self.kind == DROP_IN and cell_kind(cell)[1] not in cells.TORCH_UNITS):
            return f"torch has no {cell}"
        if self.kind in (RNNKERN, DROP_IN):
            import rnnkern
            rnnkern.set_num_threads(threads)
        if self.kind in (TORCH, DROP_IN):
            self.torch.set_num_threads(threads)
        if self.kind == REFERENCE and os.environ.get("OPENBLAS_NUM_THREADS") != str(threads):
            raise RuntimeError(f"this reference process has OPENBLAS_NUM_THREADS="
                               f"{os.environ.get('OPENBLAS_NUM_THREADS')}, not {threads}")
        self.row, self.calls = (cell, mode, p), {}
        gc.collect()
        return None

    def time(self, steps=None):
        """Seconds of one call of the prepared row over its first `steps` steps (all: None)."""
        if steps not in self.calls:
            self.calls[steps] = self._build(*self.row, steps)
        setup, run = self.calls[steps]
        setup()
        gc.disable()
        try:
            t0 = time.perf_counter()
            run()
            return time.perf_counter() - t0
        finally:
            gc.enable()

    def output(self, cell, shape, dtype, seed, steps):
        """The inference output over the first `steps` steps, to check that contenders agree."""
        import numpy as np

        p = self._problem(cell, shape, dtype, seed)
        if self.kind == TORCH and self.module is None:
            return None
        y = self._build(cell, "inference", p, steps)[1]()
        return y.numpy() if self.kind == TORCH else np.asarray(y)

    def serving_prepare(self, way, mode, T, B, I, H, seed):
        """Prepare one call of `way` (bench/serving.py) on one thread, for serving_time(way). One
        process serves several ways (the packed handle and the functional call), so each keeps its
        own call: a row's ways are all prepared before their turns begin."""
        from .serving import build

        if self.kind == RNNKERN:
            import rnnkern
            rnnkern.set_num_threads(1)
        elif self.kind == TORCH:
            self.torch.set_num_threads(1)
        self.serving_runs[way] = run = build(self.torch, way, mode, T, B, I, H, seed)
        run()  # the first call's one-off costs (packing, the scratch pool) stay out
        gc.collect()

    def serving_time(self, way, batch_s):
        """Seconds per call of the prepared call of `way`, over a batch of about batch_s seconds."""
        from .serving import batch_time

        gc.disable()
        try:
            return batch_time(self.serving_runs[way], batch_s)
        finally:
            gc.enable()

    def peak(self, threads, dtype, how="probe"):
        from .machine import probe_peaks

        return probe_peaks(threads, dtype, how)


def serve(argv=None):
    """The contender process's loop: argv = [kind, isa or "-"]."""
    kind, isa = (sys.argv[1:] if argv is None else argv)[:2]
    if kind not in (RNNKERN, TORCH, REFERENCE, DROP_IN):
        raise SystemExit(f"rnnkern.bench.worker: unknown contender {kind!r}")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it writes the JSON, then closes us
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    requests = sys.stdin.buffer
    session = Session(kind, None if isa == "-" else isa)
    while True:
        msg = _recv(requests)
        if msg is None or msg[0] == "quit":
            return 0
        command, kwargs = msg
        try:
            if command not in COMMANDS:
                raise ValueError(f"unknown command {command!r}")
            reply = ("ok", getattr(session, command)(**kwargs))
        except Exception:
            reply = ("error", traceback.format_exc())
        _send(replies, reply)
