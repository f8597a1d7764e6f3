"""Train-split features for the training step: in memory, or streamed from HDF5 in pools.

Both sources give :func:`avili.train.loop.fit` an epoch order (``epoch``) and the
training step the features of a batch of train positions (``source(idx)``).

:class:`InMemory` holds the train rows as tensors; an epoch is a seeded permutation of
them cut into batches (the order avili has always used).

:class:`Pooled` serves datasets larger than the memory budget. The train rows are cut
into blocks of ``block`` consecutive rows; an epoch permutes the blocks, groups them into
pools of at most ``pool`` rows, and shuffles the rows within each pool. Every batch lies in
one pool, and only one pool's features are in memory at a time: a pool is read from the
file (block by block, each a contiguous span) when its first batch arrives. Batches mix
``pool / block`` random blocks rather than the whole split, and the last batch of each
pool may be short, so the order (and the result) differs from the in-memory one; it is
seeded and reproducible the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from avili.data.lazy import budget_bytes, in_memory
from avili.errors import AviliError

BLOCK_ROWS = 4096  # consecutive train rows read together
# What training holds besides the pool, measured on 1M clips with 15 classes: the runtime
# (Python, torch, h5py) and, per clip, ids, splits, labels and soft labels (~0.4 KB). Each
# class beyond those 15 adds its soft labels (two float32) and harvested flags (two uint8).
RUNTIME_BYTES = 350 << 20
CLIP_BYTES = 400
MEASURED_CLASSES = 15
CLASS_BYTES = 10


def clip_bytes(classes: int = 0) -> int:
    """Bytes training holds per clip besides its features, for ``classes`` classes."""
    return CLIP_BYTES + CLASS_BYTES * max(0, classes - MEASURED_CLASSES)


class InMemory:
    """Train features (n, Da) and (n, Dv) as tensors on ``device``."""

    def __init__(self, audio: np.ndarray, visual: np.ndarray, device: torch.device) -> None:
        self.audio = torch.as_tensor(audio, device=device)
        self.visual = torch.as_tensor(visual, device=device)

    def epoch(self, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
        """Batches of (<= batch_size,) train positions: a seeded permutation of all."""
        return list(torch.randperm(self.audio.shape[0], generator=generator).split(batch_size))

    def __call__(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(b, Da) audio and (b, Dv) visual features of train positions ``idx`` (b,)."""
        return self.audio[idx], self.visual[idx]

    def release(self) -> None:
        """Nothing to drop: the arrays belong to the dataset."""

    def describe(self) -> dict[str, Any]:
        """How training read its features, and the device it ran on (``--device auto``
        resolved), for the provenance record."""
        return {"streamed": False, "device": str(self.audio.device)}


class Pooled:
    """Train features read lazily: ``audio``/``visual`` are (n, D) row sources whose slices
    ``x[a:b]`` read rows a..b-1 (e.g. :class:`avili.data.lazy.Rows`)."""

    def __init__(self, audio: Any, visual: Any, device: torch.device, pool: int,
                 block: int = BLOCK_ROWS) -> None:
        self.audio, self.visual, self.device = audio, visual, device
        self.n = int(audio.shape[0])
        self.block = max(1, min(block, pool))
        self.per_pool = max(1, pool // self.block)
        self.blocks = -(-self.n // self.block)
        self.pool_of = np.zeros(self.blocks, dtype=np.int64)
        self.loaded: int | None = None
        self.positions = self.features = None

    def epoch(self, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
        """Batches of train positions, pool after pool (see the module docstring)."""
        batches: list[torch.Tensor] = []
        for p, members in enumerate(torch.randperm(self.blocks, generator=generator)
                                    .split(self.per_pool)):
            self.pool_of[members.numpy()] = p
            rows = torch.cat([self._span(int(b)) for b in members])
            batches += rows[torch.randperm(rows.numel(), generator=generator)].split(batch_size)
        self.loaded = None  # pool numbers are per epoch
        return batches

    def _span(self, b: int) -> torch.Tensor:
        return torch.arange(b * self.block, min(self.n, (b + 1) * self.block))

    def __call__(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(b, Da) audio and (b, Dv) visual features of train positions ``idx`` (b,), all
        in one pool; reads that pool first when it is not the one in memory."""
        pool = int(self.pool_of[int(idx[0]) // self.block])
        if pool != self.loaded:
            self._load(pool)
        local = torch.searchsorted(self.positions, idx.cpu()).to(self.device)
        return self.features[0][local], self.features[1][local]

    def _load(self, pool: int) -> None:
        self.features = None  # free the previous pool before reading the next
        members = np.flatnonzero(self.pool_of == pool)  # increasing: the file's order
        self.positions = torch.cat([self._span(int(b)) for b in members])
        out = [np.empty((self.positions.numel(), x.shape[1]), np.float32)
               for x in (self.audio, self.visual)]
        at = 0
        for b in members:
            start, stop = int(b) * self.block, min(self.n, (int(b) + 1) * self.block)
            for arr, source in zip(out, (self.audio, self.visual)):
                arr[at:at + stop - start] = source[start:stop]
            at += stop - start
        self.features = tuple(torch.as_tensor(arr, device=self.device) for arr in out)
        self.loaded = pool

    def release(self) -> None:
        """Drop the pool in memory (after training)."""
        self.features, self.loaded = None, None

    def describe(self) -> dict[str, Any]:
        return {"streamed": True, "pool_rows": self.per_pool * self.block,
                "block_rows": self.block, "device": str(self.device)}


def pool_bytes(budget: int, clips: int, classes: int = 0) -> int:
    """Bytes of features a pool may hold under ``budget``: what is left after the runtime
    and the per-clip arrays of ``clips`` clips of ``classes`` classes
    (:func:`clip_bytes`), halved for transients, and at most a quarter of the budget."""
    return min(budget // 4, (budget - RUNTIME_BYTES - clip_bytes(classes) * clips) // 2)


def train_features(audio: Any, visual: Any, device: torch.device, budget: int,
                   batch_size: int, clips: int, classes: int = 0) -> InMemory | Pooled:
    """The train features (n, Da) and (n, Dv): :class:`InMemory` for arrays, else
    :class:`Pooled` with pools of :func:`pool_bytes`, each mixing at least eight blocks
    where the pool allows. A pool must hold four batches; ``clips``: the dataset's N,
    ``classes`` its C."""
    if isinstance(audio, np.ndarray) and isinstance(visual, np.ndarray):
        return InMemory(audio, visual, device)
    row = 4 * (audio.shape[1] + visual.shape[1])
    pool, least = max(0, pool_bytes(budget, clips, classes)) // row, 4 * batch_size
    if pool < least:
        need = max(4 * least * row,
                   RUNTIME_BYTES + clip_bytes(classes) * clips + 2 * least * row)
        raise AviliError(f"--max-memory {budget / 2**20:g} MB is too small to stream these "
                         f"features: the runtime, {clips} clips' labels and a pool of four "
                         f"batches ({least} rows) need at least {-(-need // 2**20)} MB")
    return Pooled(audio, visual, device, pool, min(BLOCK_ROWS, max(1, pool // 8)))


def training_inputs(model: torch.nn.Module, ds: Any, cfg: Any, device: torch.device
                    ) -> tuple[InMemory | Pooled, Any]:
    """What ``teach`` and ``distill`` train and validate on: the train rows' features
    (:func:`train_features`, within ``cfg.max_memory_mb``), after fitting ``model``'s
    standardizers on them, and the val split, read into memory once when it takes at most
    an eighth of the budget (else read every epoch), and then kept on an accelerator
    ``device`` when it takes at most a quarter of its free memory (else uploaded every
    epoch). ``ds``: a dataset, in memory or lazy."""
    train = ds.indices("train")
    xa, xv = ds.audio[train], ds.visual[train]  # arrays, or lazy rows
    model.fit_standardizers(xa, xv)
    budget = budget_bytes(cfg.max_memory_mb)
    features = train_features(xa, xv, device, budget, cfg.batch_size, len(ds),
                              ds.num_classes)
    val = in_memory(ds.subset("val"), budget // 8)
    if device.type == "cuda" and isinstance(val.audio, np.ndarray) and (
            val.audio.nbytes + val.visual.nbytes) * 4 <= torch.cuda.mem_get_info(device)[0]:
        val = features_on(val, device)
    return features, val


def features_on(part: Any, device: torch.device) -> Any:
    """``part`` (a dataset in memory) with its (n, Da) audio and (n, Dv) visual features as
    float32 tensors on ``device``, so validating reads them there every epoch."""
    from dataclasses import replace

    return replace(part, audio=torch.as_tensor(part.audio, device=device),
                   visual=torch.as_tensor(part.visual, device=device))
