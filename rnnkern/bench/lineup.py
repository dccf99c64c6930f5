"""The run's contender processes: which are started and with what, who takes part in a row, and in
which order they take their turns (rnnkern's paths narrowest first, then torch, then the reference)."""
from .contenders import REFERENCE, RNNKERN, TORCH
from .worker import Worker


def names(isas, torch=True, reference=True):
    """The contenders in turn order: [(name, kind, isa)], one rnnkern per ISA path."""
    out = [(RNNKERN if len(isas) == 1 else f"{RNNKERN} {isa}", RNNKERN, isa) for isa in isas]
    if torch:
        out.append((TORCH, TORCH, None))
    if reference:
        out.append((REFERENCE, REFERENCE, None))
    return out


class Lineup:
    """Starts every contender's process at once (their imports overlap), then asks each for its facts.
    rnnkern: one process per ISA path; torch: one; the reference: one per thread count, since
    OPENBLAS_NUM_THREADS is read when OpenBLAS loads."""

    def __init__(self, isas, main_isa, threads, torch=True, reference=True, start=Worker):
        self.main_isa, self.workers, self.torch_why = main_isa, [], None
        self.rnnkern = {}  # isa -> (name, worker)
        self.torch, self.reference = None, {}
        try:
            for name, kind, isa in names(isas, torch, reference):
                if kind == RNNKERN:
                    self.rnnkern[isa] = (name, self._start(start, name, kind, isa=isa))
                elif kind == TORCH:
                    self.torch = self._start(start, name, kind)
                else:
                    self.reference = {n: self._start(start, name, kind, threads=n) for n in threads}
            self.hello = {w: w.call("hello") for w in self.workers}
        except BaseException:
            self.close()
            raise
        if not torch:
            self.torch_why = "left out (--no-torch)"
        elif self.hello[self.torch]["skipped"]:
            self.torch_why = self.hello[self.torch]["skipped"]
            self.torch.close()
            self.workers.remove(self.torch)
            self.torch = None

    def _start(self, start, name, kind, **kw):
        w = start(name, kind, **kw)
        self.workers.append(w)
        return w

    @property
    def main(self):
        """The rnnkern process whose path the rnnkern column, the targets and %peak are about."""
        return self.rnnkern[self.main_isa][1]

    def turns(self, threads):
        """[(name, worker)] of a row on `threads` threads, in turn order."""
        out = list(self.rnnkern.values())
        if self.torch is not None:
            out.append((TORCH, self.torch))
        if threads in self.reference:
            out.append((REFERENCE, self.reference[threads]))
        return out

    def describe(self):
        """{name: {"kind", "isa", "env_changes", "hello"}} for the JSON and the header; the reference's
        processes also under "processes": {threads: {"pid", "env_changes"}}."""
        out = {}
        for w in self.workers:
            changes = {k: list(v) for k, v in w.changes.items()}
            if w.name not in out:
                out[w.name] = {"kind": w.kind, "isa": w.isa, "hello": self.hello[w], "env_changes": changes}
            if w.kind == REFERENCE:
                out[w.name].setdefault("processes", {})[w.threads] = {"pid": self.hello[w]["pid"],
                                                                      "env_changes": changes}
        return out

    def close(self):
        for w in self.workers:
            w.close()
        self.workers = []
