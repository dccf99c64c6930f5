"""Data-parallel training over the drop-ins: one process per rank, each with its share of the cores.

DistributedDataParallel needs nothing from rnnkern: the drop-ins register their parameters as
torch.nn's modules do, deliver gradients through autograd (the rnnkern::backward op) and change no
parameter in place, so gloo, gradient bucketing, no_sync() and find_unused_parameters=False work
unchanged (tests/test_ddp.py). What rnnkern adds is the thread count per rank. Each rank has two
OpenMP runtimes, rnnkern's and torch's; left alone, each starts a thread per core in every rank,
and N ranks on one machine oversubscribe it N times (torchrun instead sets OMP_NUM_THREADS=1 when
it is unset, which leaves cores idle once there are more cores than ranks):

    import rnnkern.torch.distributed as rkd
    rkd.configure_threads()                 # cores / local ranks, for rnnkern and torch
    torch.distributed.init_process_group("gloo")
    model = torch.nn.parallel.DistributedDataParallel(model)

The local ranks are read from torchrun's LOCAL_WORLD_SIZE, Open MPI's OMPI_COMM_WORLD_LOCAL_SIZE
or MPICH's MPI_LOCALNRANKS; the cores are those this process may run on. `python -m rnnkern info`
says what each rank would get.
"""
import torch

import rnnkern
from .. import _validate
from .._ranks import RankShare, describe, rank_share


def configure_threads(threads=None):
    """Sets rnnkern's and torch's threads to `threads`, by default this rank's share of the cores
    (rank_share().threads), and returns the RankShare with the threads that were set. Call it in
    each rank before the model runs; it overrides OMP_NUM_THREADS."""
    share = rank_share()
    if threads is not None:
        share = share._replace(threads=_validate.count("threads", threads))
    rnnkern.set_num_threads(share.threads)
    torch.set_num_threads(share.threads)
    return share


__all__ = ["configure_threads", "rank_share", "describe", "RankShare"]
