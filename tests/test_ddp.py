"""DistributedDataParallel over the drop-ins, on loopback only: torchrun starts 2 ranks (fresh
processes, gloo, MASTER_ADDR=127.0.0.1 and a port this test picks), each trains every case on its
half of a fixed batch for 20 SGD steps; this process trains the same cases on the whole batch.
The ranks' parameters must be bitwise equal after every step and equal this process's to 1e-5
(float32) or 1e-10 (float64) relative. Run as a script, this file is one rank."""
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import pytest

torch = pytest.importorskip("torch")
import rnnkern  # noqa: E402
import rnnkern.torch as rt  # noqa: E402
from rnnkern import _ranks  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn.utils.rnn import pack_padded_sequence  # noqa: E402

STEPS, LR = 20, 0.05
B, T, I, H, OUT = 8, 6, 3, 5, 2
LENGTHS = [6, 2, 5, 1, 3, 5, 4, 2]  # rank 1's half is shorter than T: the ranks' T differ
TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}
KINDS = {"LSTM": rt.LSTM, "GRU": rt.GRU, "RNN": rt.RNN}
RANKS = 2
TIMEOUT_S = 150  # the whole torchrun job; each collective gives up after COLLECTIVE_TIMEOUT_S
COLLECTIVE_TIMEOUT_S = 60


class Case(NamedTuple):
    kind: str
    dtype: torch.dtype
    layers: int = 1
    bidirectional: bool = False
    packed: bool = False        # PackedSequence input (lengths), else padded
    micro_batches: int = 1      # > 1: gradients accumulated under no_sync() but the last
    bucket_cap_mb: float = 1e-4  # a bucket per parameter: reductions overlap the backward

    @property
    def name(self):
        return (f"{self.kind}-{str(self.dtype)[6:]}-L{self.layers}{'-bidir' if self.bidirectional else ''}"
                f"{'-packed' if self.packed else ''}"
                f"{f'-no_sync{self.micro_batches}' if self.micro_batches > 1 else ''}"
                f"{'-default_buckets' if self.bucket_cap_mb == 25 else ''}")


CASES = [Case(kind, dtype, layers, bidir, packed)
         for kind in KINDS for dtype in TOLERANCE
         for layers, bidir, packed in ((1, False, False), (1, False, True), (2, True, False), (2, True, True))]
CASES += [Case(kind, dtype, 2, True, True, micro_batches=2) for kind in KINDS for dtype in TOLERANCE]
CASES += [Case("LSTM", torch.float32, 2, False, False, bucket_cap_mb=25)]


class Net(nn.Module):
    """A drop-in recurrence and a linear read-out; forward returns the loss summed over sequences
    (every valid step's squared error, and the final hidden states' squares)."""

    def __init__(self, case):
        super().__init__()
        torch.manual_seed(0)
        self.rnn = KINDS[case.kind](I, H, num_layers=case.layers, bidirectional=case.bidirectional,
                                    batch_first=True, dtype=case.dtype)
        self.head = nn.Linear(H * (2 if case.bidirectional else 1), OUT, dtype=case.dtype)

    def forward(self, x, target, lengths):
        if lengths is None:
            y, hidden = self.rnn(x)
        else:
            y, hidden = self.rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
            y = y.data
            target = pack_padded_sequence(target, lengths, batch_first=True, enforce_sorted=False).data
        h = hidden[0] if isinstance(hidden, tuple) else hidden
        return ((self.head(y) - target) ** 2).sum() + (h ** 2).sum()


def _batch(dtype):
    g = torch.Generator().manual_seed(1)
    return (torch.randn((B, T, I), generator=g, dtype=dtype),
            torch.randn((B, T, OUT), generator=g, dtype=dtype), torch.tensor(LENGTHS))


def _flat(tensors):
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def _train(case, rows, ddp=None):
    """Trains case's Net on the batch rows `rows` (rows of the whole batch); the loss is divided by
    len(rows), so that the ranks' mean gradient is the whole batch's. Returns the parameters after
    every step (STEPS + 1, P), the first one before training, and, under no_sync(), the gradient
    after the first micro-batch of the first step (else None)."""
    x, target, lengths = (t[rows] for t in _batch(case.dtype))
    net = Net(case)
    model = net
    if ddp is not None:
        if ddp["rank"] != 0:  # rank 0's parameters must reach every rank when DDP starts
            with torch.no_grad():
                for p in net.parameters():
                    p.add_(1)
        model = nn.parallel.DistributedDataParallel(net, bucket_cap_mb=case.bucket_cap_mb,
                                                    find_unused_parameters=False)
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    micro = torch.arange(len(rows)).chunk(case.micro_batches if ddp is not None else 1)
    trail, local_grad = [_flat(net.parameters())], None
    for step in range(STEPS):
        opt.zero_grad()
        for i, m in enumerate(micro):
            args = x[m], target[m], lengths[m] if case.packed else None
            if i < len(micro) - 1:
                with model.no_sync():
                    (model(*args) / len(rows)).backward()
                if step == 0 and i == 0:
                    local_grad = _flat(p.grad for p in net.parameters())
            else:
                (model(*args) / len(rows)).backward()
        opt.step()
        trail.append(_flat(net.parameters()))
    return torch.stack(trail), local_grad


def _rank_main(out_dir):
    """One rank, under torchrun: its thread share, then every case on its half of the batch."""
    import torch.distributed as dist
    import rnnkern.torch.distributed as rkd

    share = rkd.configure_threads()
    dist.init_process_group("gloo", timeout=timedelta(seconds=COLLECTIVE_TIMEOUT_S))
    rank = dist.get_rank()
    half = torch.arange(B).chunk(dist.get_world_size())[rank]
    results = {c.name: _train(c, half, {"rank": rank}) for c in CASES}
    torch.save({"share": share._asdict(), "threads": (rnnkern.get_num_threads(), torch.get_num_threads()),
                "results": results}, Path(out_dir) / f"rank{rank}.pt")
    dist.destroy_process_group()


# ---- the test process ---------------------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _loopback_env():
    """This environment for the ranks, with every setting they read made explicit: loopback only,
    this process's rnnkern, no thread count or SIMD path inherited."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "RNNKERN_ISA", "RNNKERN_VERBOSE", "TORCH_DISTRIBUTED_DEBUG")
           and not k.startswith(("MASTER_", "GLOO_"))}
    env["GLOO_SOCKET_IFNAME"] = next(name for _, name in socket.if_nameindex() if name.startswith("lo"))
    here = str(Path(rnnkern.__file__).parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([here] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def _torchrun(args, cwd, log):
    """`torchrun` on loopback with a static rendezvous at 127.0.0.1 and a free port, killed with
    its ranks after TIMEOUT_S; its output goes to log."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes=1", f"--nproc-per-node={RANKS}",
           "--master-addr=127.0.0.1", f"--master-port={_free_port()}", "--max-restarts=0"] + args
    with open(log, "w") as f:
        proc = subprocess.Popen(cmd, cwd=cwd, env=_loopback_env(), stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            rc = None
    text = Path(log).read_text()
    assert rc is not None, f"torchrun did not finish in {TIMEOUT_S} s:\n{text[-4000:]}"
    assert rc == 0, f"torchrun exited with {rc}:\n{text[-4000:]}"
    return text


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """Both ranks' saved results, from one torchrun job over every case."""
    out = tmp_path_factory.mktemp("ddp")
    start = time.monotonic()
    _torchrun([__file__, str(out)], out, out / "torchrun.log")
    print(f"torchrun, {RANKS} ranks x {len(CASES)} cases: {time.monotonic() - start:.1f} s")
    return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(RANKS)]


def _rel_err(a, b):
    return float((a - b).abs().max() / b.abs().max())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_ddp_equals_one_process_on_the_whole_batch(ranks, case):
    trails = [r["results"][case.name][0] for r in ranks]
    for step in range(STEPS + 1):
        assert torch.equal(trails[0][step], trails[1][step]), f"ranks differ after step {step}"
    want, _ = _train(case, torch.arange(B))
    assert want.shape == trails[0].shape
    assert _rel_err(trails[0][0], want[0]) == 0, "rank 0 started from other parameters"
    assert _rel_err(want[-1], want[0]) > 10 * TOLERANCE[case.dtype], "training did not move"
    for step in range(1, STEPS + 1):
        err = _rel_err(trails[0][step], want[step])
        assert err <= TOLERANCE[case.dtype], f"step {step}: relative difference {err:.2e}"


@pytest.mark.parametrize("case", [c for c in CASES if c.micro_batches > 1],
                         ids=[c.name for c in CASES if c.micro_batches > 1])
def test_no_sync_keeps_gradients_local(ranks, case):
    local = [r["results"][case.name][1] for r in ranks]
    assert not torch.equal(local[0], local[1]), "no_sync() reduced the gradients"


def test_each_rank_gets_its_share_of_the_cores(ranks):
    for rank, r in enumerate(ranks):
        share = _ranks.RankShare(**r["share"])
        assert (share.launcher, share.rank, share.world_size) == ("torchrun", rank, RANKS)
        assert (share.local_rank, share.local_world_size) == (rank, RANKS)
        assert share.threads == max(1, share.cores // RANKS)
        assert r["threads"] == (share.threads, share.threads), "rnnkern's, torch's threads"


def test_info_under_torchrun_says_each_ranks_threads(tmp_path):
    # each rank writes a file of its own: on a shared stdout the two ranks' lines can interleave
    _torchrun(["--no-python", "sh", "-c", f'exec "{sys.executable}" -m rnnkern info > info-$RANK.txt'],
              tmp_path, tmp_path / "info.log")
    threads = max(1, _ranks.rank_share(env={}).cores // RANKS)
    for rank in range(RANKS):
        text = (tmp_path / f"info-{rank}.txt").read_text()
        lines = [line for line in text.splitlines() if line.startswith("ranks")]
        assert len(lines) == 1, text
        assert f"rank {rank} of {RANKS}, local rank {rank} of {RANKS} (torchrun)" in lines[0]
        assert f"threads to {threads} (" in lines[0]


# ---- the share, without processes ---------------------------------------------------------------

@pytest.mark.parametrize("env, cores, want", [
    ({}, 8, (None, 0, 1, 0, 1, 8, 8)),
    ({"LOCAL_WORLD_SIZE": "2", "LOCAL_RANK": "1", "WORLD_SIZE": "4", "RANK": "3"}, 8,
     ("torchrun", 3, 4, 1, 2, 8, 4)),
    ({"LOCAL_WORLD_SIZE": "3"}, 8, ("torchrun", 0, 3, 0, 3, 8, 2)),
    ({"LOCAL_WORLD_SIZE": "4"}, 2, ("torchrun", 0, 4, 0, 4, 2, 1)),  # never 0 threads
    ({"OMPI_COMM_WORLD_LOCAL_SIZE": "2", "OMPI_COMM_WORLD_LOCAL_RANK": "0", "OMPI_COMM_WORLD_SIZE": "6",
      "OMPI_COMM_WORLD_RANK": "4"}, 16, ("Open MPI", 4, 6, 0, 2, 16, 8)),
    ({"MPI_LOCALNRANKS": "4", "MPI_LOCALRANKID": "2", "PMI_SIZE": "4", "PMI_RANK": "2"}, 16,
     ("MPICH / Intel MPI", 2, 4, 2, 4, 16, 4)),
])
def test_rank_share(env, cores, want):
    assert tuple(_ranks.rank_share(env=env, cores=cores)) == want


@pytest.mark.parametrize("env, message", [
    ({"LOCAL_WORLD_SIZE": "two"}, "LOCAL_WORLD_SIZE: expected an integer >= 1, got 'two'"),
    ({"LOCAL_WORLD_SIZE": "0"}, "LOCAL_WORLD_SIZE: expected an integer >= 1, got '0'"),
    ({"LOCAL_WORLD_SIZE": "2", "WORLD_SIZE": "1"}, "WORLD_SIZE: expected an integer >= 2, got '1'"),
    ({"LOCAL_WORLD_SIZE": "2", "RANK": "-1"}, "RANK: expected an integer >= 0, got '-1'"),
])
def test_rank_share_names_a_bad_variable(env, message):
    with pytest.raises(ValueError, match=message):
        _ranks.rank_share(env=env, cores=4)


def test_configure_threads(threads, monkeypatch):
    import rnnkern.torch.distributed as rkd

    for names in _ranks._LAUNCHERS.values():
        for name in names:
            monkeypatch.delenv(name, raising=False)
    before = torch.get_num_threads()
    try:
        share = rkd.configure_threads(threads=1)
        assert share.threads == 1 and rnnkern.get_num_threads() == 1 and torch.get_num_threads() == 1
        with pytest.raises(ValueError, match="threads: expected an integer >= 1, got 0"):
            rkd.configure_threads(threads=0)
    finally:
        torch.set_num_threads(before)


if __name__ == "__main__":
    _rank_main(sys.argv[1])
