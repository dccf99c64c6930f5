"""A small character-level LSTM language model trained data-parallel: DistributedDataParallel over
rnnkern.torch.LSTM, gloo, one process per rank, each with its share of the cores
(rnnkern.torch.distributed.configure_threads).

    python benchmarks/ddp_lstm.py [--steps N] [--batch B] ...

runs it twice through torchrun on this machine, 1 process x 2 threads and then 2 processes x
1 thread, the same global batch split over the ranks, and prints the time per step of each. One
run of your own:

    torchrun --standalone --nproc-per-node=2 benchmarks/ddp_lstm.py

Across hosts, the same script: on each of the H hosts (gloo picks the interface that reaches the
endpoint; GLOO_SOCKET_IFNAME=eth0 names one),

    torchrun --nnodes=H --nproc-per-node=RANKS_PER_HOST --rdzv-backend=c10d \\
        --rdzv-endpoint=FIRST_HOST:29500 --rdzv-id=ddp_lstm benchmarks/ddp_lstm.py

The text is synthetic (a fixed random walk over a 64-character alphabet with a preferred next
character), so nothing is downloaded; the loss falls from log(64) = 4.16 towards its entropy.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time


def _args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=30, help="timed steps (default 30), after 3 untimed")
    p.add_argument("--batch", type=int, default=32, help="global batch of sequences (default 32)")
    p.add_argument("--seq", type=int, default=64, help="steps per sequence (default 64)")
    p.add_argument("--hidden", type=int, default=256, help="LSTM hidden units (default 256)")
    p.add_argument("--layers", type=int, default=1, help="LSTM layers (default 1)")
    p.add_argument("--threads", type=int, default=None,
                   help="threads per rank (default: cores / local ranks)")
    return p.parse_args(argv)


VOCAB, EMBED, WARMUP = 64, 32, 3


def _text(n, seed=0):
    """n characters: each is its predecessor's preferred successor with probability 0.8."""
    import torch

    g = torch.Generator().manual_seed(seed)
    successor = torch.randperm(VOCAB, generator=g).tolist()
    jump = (torch.rand(n, generator=g) > 0.8).tolist()
    other = torch.randint(VOCAB, (n,), generator=g).tolist()
    text = [0]
    for i in range(1, n):
        text.append(other[i] if jump[i] else successor[text[-1]])
    return torch.tensor(text)


def train(args):
    """One rank under torchrun: its share of the batch, DDP over the LM, time per step on rank 0."""
    import torch
    import torch.distributed as dist
    from torch import nn

    import rnnkern.torch as rt
    import rnnkern.torch.distributed as rkd

    share = rkd.configure_threads(args.threads)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch % world:
        raise ValueError(f"--batch: expected a multiple of the {world} ranks, got {args.batch}")

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, EMBED)
            self.lstm = rt.LSTM(EMBED, args.hidden, num_layers=args.layers, batch_first=True)
            self.out = nn.Linear(args.hidden, VOCAB)

        def forward(self, x):
            return self.out(self.lstm(self.embed(x))[0])

    torch.manual_seed(0)
    model = nn.parallel.DistributedDataParallel(LM())
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    local = args.batch // world
    text = _text((WARMUP + args.steps) * args.batch * (args.seq + 1))
    batches = text.view(WARMUP + args.steps, world, local, args.seq + 1)[:, rank]
    times, losses = [], []
    for step, batch in enumerate(batches):
        dist.barrier()
        t0 = time.perf_counter()
        logits = model(batch[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), batch[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step >= WARMUP:
            times.append(time.perf_counter() - t0)
        losses.append(float(loss))
    if rank == 0:
        print(f"{world} process(es) x {share.threads} thread(s): "
              f"{statistics.median(times) * 1e3:.1f} ms per step (median of {len(times)}), "
              f"batch {args.batch} x {args.seq} steps, hidden {args.hidden}, {args.layers} layer(s); "
              f"rank 0's loss {losses[0]:.3f} -> {losses[-1]:.3f}", flush=True)
    dist.destroy_process_group()


def compare(argv):
    """Both layouts of this 2-core budget through torchrun, in turn; their time per step."""
    rows = []
    for procs in (1, 2):
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc-per-node={procs}", __file__] + argv + ["--threads", str(2 // procs)]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if out.returncode:
            sys.exit(f"{' '.join(cmd)} failed:\n{out.stdout}{out.stderr}")
        line = next(x for x in out.stdout.splitlines() if "ms per step" in x)
        rows.append((procs, float(re.search(r"([\d.]+) ms per step", line).group(1))))
        print(line, flush=True)
    (_, one), (_, two) = rows
    print(f"2 processes x 1 thread take {two / one:.2f}x the time per step of 1 process x 2 threads")


if __name__ == "__main__":
    if "LOCAL_RANK" in os.environ:  # under torchrun
        train(_args())
    else:
        _args()  # --help and bad options before any torchrun starts
        compare(sys.argv[1:])
