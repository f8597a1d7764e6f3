"""Data-parallel training under ``torchrun`` (DistributedDataParallel); nothing home-made.

The launcher decides the world: ``torchrun --nproc_per_node G -m avili distill ...`` sets
``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``, and :func:`setup` joins the process group
(nccl under CUDA, gloo on the CPU), for any world size: a one-process torchrun joins a
group of one too, so it runs the same collectives (the gradient gather, DDP) as a larger
world. A rank whose ``LOCAL_RANK`` has no GPU is refused with one line. Every rank draws the same shuffled global batches
from the same seeded generator and trains on its own slice ``batch[rank::world]``; DDP
averages the gradients. With ``gather`` (the default) the embeddings of all slices are
gathered with gradients before the loss, so in-batch negatives and LIR pairs span the
whole global batch, as in a single process. Every rank validates on the full val split
with the same weights, so the selected epoch agrees; only rank 0 writes artifacts and
shows progress.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from avili.errors import AviliError


@dataclass
class World:
    """This process's place: rank, world size, and the device to train on."""

    rank: int = 0
    size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def shard(self, idx: torch.Tensor) -> torch.Tensor:
        """This rank's slice of a global batch of row indices."""
        return idx[self.rank::self.size]

    def global_order(self, idx: torch.Tensor) -> torch.Tensor:
        """The global batch in the order :meth:`gather` concatenates the slices."""
        return torch.cat([idx[r::self.size] for r in range(self.size)])

    distributed: bool = False  # in a torchrun process group (of any size)

    def gather(self, x: torch.Tensor) -> torch.Tensor:
        """Every rank's (b_r, ...) ``x``, concatenated in rank order, with gradients."""
        if not self.distributed:
            return x
        import warnings

        from torch.distributed.nn.functional import all_gather

        with warnings.catch_warnings():  # deprecated in favour of a private API, still works
            warnings.simplefilter("ignore", FutureWarning)
            return torch.cat(all_gather(x))


def launched() -> bool:
    """True under torchrun (any world size, one process included: it sets WORLD_SIZE
    with the rendezvous address MASTER_ADDR), or any launcher that sets WORLD_SIZE > 1."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    return size > 1 or ("WORLD_SIZE" in os.environ and "MASTER_ADDR" in os.environ)


def setup(device: torch.device) -> World:
    """Join the process group when launched by torchrun; else a world of one on
    ``device``. Under CUDA each rank takes GPU ``LOCAL_RANK``."""
    if not launched():
        return World(0, 1, device)
    import torch.distributed as dist

    if device.type == "cuda":
        device = rank_device()
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        try:
            dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        except (RuntimeError, ValueError) as exc:
            raise AviliError(f"could not join the torchrun process group ({exc})") from None
    return World(dist.get_rank(), dist.get_world_size(), device, distributed=True)


def rank_device() -> torch.device:
    """GPU ``LOCAL_RANK``; more ranks on this machine than GPUs is refused."""
    local, count = int(os.environ.get("LOCAL_RANK", "0")), torch.cuda.device_count()
    if local >= count:
        raise AviliError(f"LOCAL_RANK {local} has no GPU: this machine has {count} CUDA "
                         f"device{'s' if count != 1 else ''}; pass --nproc_per_node {count} "
                         "or fewer to torchrun")
    return torch.device("cuda", local)


def rank() -> int:
    """This process's rank (0 when not launched)."""
    return int(os.environ.get("RANK", "0")) if launched() else 0


def wrap(model: torch.nn.Module, world: World) -> torch.nn.Module:
    """``model`` in DistributedDataParallel when in a process group (of any size)."""
    if not world.distributed:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [world.device.index] if world.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)
