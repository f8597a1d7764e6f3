"""Datasets larger than a memory budget: feature rows read from HDF5 on demand.

:func:`open_dataset` loads a dataset whose audio and visual features fit in
``max_memory`` bytes as usual, and otherwise returns a :class:`~avili.data.schema.Dataset`
whose ``audio`` and ``visual`` are :class:`Rows`: row selections (``take``) stay lazy, and
each slice (``rows[a:b]``, as batched inference reads them) reads only its span from
the file. Labels, splits, ids and class names are small and are read whole. Features are
checked for NaN/Inf block by block as they are read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from avili.errors import AviliError, reader


def default_budget() -> int:
    """A quarter of physical memory, in bytes."""
    return physical_memory() // 4


WINDOW_BYTES = 64 << 20  # the most a sparse row read holds of the file at once


class Rows:
    """Rows ``index`` (n,) increasing of an (N, D) HDF5 dataset, read lazily as float32."""

    def __init__(self, source: Any, index: np.ndarray, path: Path, key: str):
        self.source, self.index, self.path, self.key = source, index, path, key

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.index.size), int(self.source.shape[1]))

    @property
    def ndim(self) -> int:
        return 2

    def __len__(self) -> int:
        return int(self.index.size)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return self._read(self.index[key])
        picked = np.asarray(key)
        order = self.index[picked]
        if np.any(np.diff(order) <= 0):
            raise AviliError("lazy feature rows can only be taken in increasing order", self.path)
        return Rows(self.source, order, self.path, self.key)

    def _read(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), D) float32, read window by window: each window is a contiguous span
        of at most ``max(len(rows), WINDOW_BYTES / row bytes)`` file rows, so sparse rows
        (e.g. a 1% split of a large file) never pull their whole covering span into memory."""
        out = np.empty((rows.size, self.source.shape[1]), np.float32)
        width = max(rows.size, WINDOW_BYTES // (4 * max(1, self.source.shape[1])))
        at = 0
        while at < rows.size:
            start = int(rows[at])
            stop = at + int(np.searchsorted(rows[at:], start + width))
            block = self.source[start:int(rows[stop - 1]) + 1]
            out[at:stop] = block[rows[at:stop] - start]
            at = stop
        if not np.isfinite(out).all():
            raise AviliError(f"'{self.key}' contains NaN or Inf values (found while reading "
                             "it in chunks)", self.path)
        return out


class Columns:
    """(N, D1 + D2 + ...) row sources side by side: ``cols[a:b]`` concatenates each part's
    rows a..b-1 along axis 1 (parts: arrays or :class:`Rows`)."""

    def __init__(self, *parts: Any) -> None:
        self.parts = parts

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.parts[0].shape[0]), sum(int(p.shape[1]) for p in self.parts))

    def __getitem__(self, key: slice) -> np.ndarray:
        return np.concatenate([np.asarray(p[key]) for p in self.parts], axis=1)


def in_memory(ds: Any, limit: int) -> Any:
    """``ds`` with lazy features read into memory when together they take at most
    ``limit`` bytes (e.g. a small val split read once rather than every epoch)."""
    from dataclasses import replace

    if isinstance(ds.audio, np.ndarray) or ds.audio.shape[0] * 4 * (
            ds.audio.shape[1] + ds.visual.shape[1]) > limit:
        return ds
    return replace(ds, audio=ds.audio[:], visual=ds.visual[:])


def budget_bytes(max_memory_mb: float) -> int:
    """``--max-memory`` in MB as bytes; 0 means :func:`default_budget`."""
    if max_memory_mb < 0:
        raise AviliError(f"--max-memory must be >= 0, got {max_memory_mb:g} MB")
    return int(max_memory_mb * 2**20) or default_budget()


def physical_memory() -> int:
    """Bytes of physical memory (16 GiB where it cannot be read)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 16 << 30


def open_for_training(path: str | os.PathLike, budget: int) -> Any:
    """The dataset for ``teach``/``distill``: in memory when its features fit half of
    ``budget`` bytes (training holds them and a copy of the train rows), else with lazy
    :class:`Rows` that training reads in pools (:mod:`avili.train.stream`)."""
    return open_dataset(path, budget // 2, events=False)


def feature_bytes(path: str | os.PathLike) -> int:
    """Bytes the audio and visual features take in memory as float32."""
    import h5py

    from avili.artifacts import require_input

    with h5py.File(require_input(path), "r") as f:
        return sum(4 * int(np.prod(f[k].shape)) for k in ("audio", "visual"))


@reader
def open_dataset(path: str | os.PathLike, max_memory: int | None = None, events: bool = True
                 ) -> Any:
    """The dataset at ``path``: in memory when its features fit ``max_memory`` bytes
    (default :func:`default_budget`), else with lazy :class:`Rows` features. Small keys are
    validated as by :func:`avili.data.schema.read_dataset`."""
    import h5py

    from avili.data.schema import _read_open, read_dataset

    budget = default_budget() if max_memory is None else max_memory
    if budget < 0:
        raise AviliError(f"--max-memory must be >= 0, got {budget / 2**20:g} MB")
    try:
        if feature_bytes(path) <= budget:
            return read_dataset(path, events=events)
    except (OSError, KeyError):
        return read_dataset(path, events=events)  # it reports the problem
    path = Path(path)
    handle = h5py.File(path, "r")  # stays open while the rows are in use
    return _read_open(handle, path, events, lambda f, key: lazy_rows(f, key, path))


def lazy_rows(f: Any, key: str, path: Path) -> Rows:
    """Every row of the (N, D) numeric HDF5 dataset ``f[key]``, unread."""
    if not np.issubdtype(f[key].dtype, np.number) or f[key].ndim != 2:
        raise AviliError(f"'{key}' must be a numeric (N, D) array, found {f[key].dtype} "
                         f"{f[key].shape}", path)
    return Rows(f[key], np.arange(f[key].shape[0]), path, key)
