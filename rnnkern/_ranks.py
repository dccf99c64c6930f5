"""Which rank this process is and its share of the cores, from the launcher's environment; no torch,
so that `python -m rnnkern info` can say it anywhere. rnnkern.torch.distributed applies the share."""
import os
from typing import NamedTuple, Optional

# launcher -> its variables: (local ranks, local rank, ranks, rank)
_LAUNCHERS = {
    "torchrun": ("LOCAL_WORLD_SIZE", "LOCAL_RANK", "WORLD_SIZE", "RANK"),
    "Open MPI": ("OMPI_COMM_WORLD_LOCAL_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_SIZE",
                 "OMPI_COMM_WORLD_RANK"),
    "MPICH / Intel MPI": ("MPI_LOCALNRANKS", "MPI_LOCALRANKID", "PMI_SIZE", "PMI_RANK"),
}


class RankShare(NamedTuple):
    """A rank's place and its threads. launcher is None outside one (a single process)."""
    launcher: Optional[str]
    rank: int
    world_size: int
    local_rank: int
    local_world_size: int
    cores: int
    threads: int


def _cores():
    # the CPUs this process may run on (taskset, cgroup cpusets), not all the machine has
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _env_int(env, name, low):
    text = env.get(name, "")
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low:
        raise ValueError(f"{name}: expected an integer >= {low}, got {text!r}")
    return value


def rank_share(env=None, cores=None):
    """This process's RankShare: the first launcher whose local-ranks variable env (default
    os.environ) holds, and threads = cores // local ranks (at least 1)."""
    env = os.environ if env is None else env
    cores = _cores() if cores is None else cores
    for launcher, (n_local, local, n_world, rank) in _LAUNCHERS.items():
        if n_local in env:
            local_world = _env_int(env, n_local, 1)
            world = _env_int(env, n_world, local_world) if n_world in env else local_world
            return RankShare(launcher, _env_int(env, rank, 0) if rank in env else 0, world,
                             _env_int(env, local, 0) if local in env else 0, local_world, cores,
                             max(1, cores // local_world))
    return RankShare(None, 0, 1, 0, 1, cores, cores)


def describe(share):
    """One line: the rank, its launcher and the threads configure_threads() gives it."""
    sets = (f"rnnkern.torch.distributed.configure_threads() would set rnnkern's and torch's "
            f"threads to {share.threads}")
    if share.launcher is None:
        names = ", ".join(v[0] for v in _LAUNCHERS.values())
        return f"one process (none of {names} is set); {sets} (all {share.cores} cores)"
    return (f"rank {share.rank} of {share.world_size}, local rank {share.local_rank} of "
            f"{share.local_world_size} ({share.launcher}); {sets} ({share.cores} cores / "
            f"{share.local_world_size} local ranks)")
