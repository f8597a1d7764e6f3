"""Soft-label files (NPZ): per-modality class probabilities from a teacher.

Keys (N clips, C classes): ``audio`` float32 (N, C), ``visual`` float32 (N, C),
``clip_id`` str (N,), ``label`` int64 (N,), ``split`` str (N,), ``class_names`` str (C,),
``provenance`` JSON str, ``schema`` = ``avili.soft_labels``.

A *bare* NPZ holding only ``audio`` and ``visual`` (as published by other tools) is
accepted too; its class names come from the caller and its clip metadata is absent.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from avili.artifacts import atomic_output, dumps
from avili.errors import AviliError

SCHEMA = "avili.soft_labels"
HARVESTED = ("audio_labels", "visual_labels")  # optional, from VALOR-style harvesting


@dataclass
class SoftLabels:
    """audio, visual: (N, C) float32. clip_id, split: (N,) str; label: (N,) int64 (or None
    for a bare file)."""

    audio: np.ndarray
    visual: np.ndarray
    class_names: list[str]
    clip_id: np.ndarray | None = None
    label: np.ndarray | None = None
    split: np.ndarray | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    audio_labels: np.ndarray | None = None  # (N, C) uint8 harvested modality labels
    visual_labels: np.ndarray | None = None

    @property
    def bare(self) -> bool:
        return self.clip_id is None

    def rows(self, split: str) -> np.ndarray:
        """(n,) row indices of ``split``; every row for a bare file, which has no splits."""
        if self.split is None:
            return np.arange(self.audio.shape[0])
        idx = np.flatnonzero(self.split == split)
        if idx.size == 0:
            raise AviliError(f"split {split!r} is empty", self.path)
        return idx


def save_soft_labels(soft: SoftLabels, path: str | os.PathLike) -> Path:
    """Write ``soft`` atomically as NPZ."""
    arrays: dict[str, Any] = {"schema": np.array(SCHEMA), "audio": soft.audio.astype(np.float32),
                              "visual": soft.visual.astype(np.float32),
                              "class_names": np.array(soft.class_names, dtype=str),
                              "provenance": np.array(dumps(soft.provenance))}
    if not soft.bare:
        arrays.update(clip_id=soft.clip_id.astype(str), label=soft.label.astype(np.int64),
                      split=soft.split.astype(str))
    for key in HARVESTED:
        if getattr(soft, key) is not None:
            arrays[key] = getattr(soft, key).astype(np.uint8)
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)
    return Path(path)


def load_npz(path: str | os.PathLike, what: str) -> dict[str, np.ndarray]:
    """Every array of an NPZ file, without pickles; clear errors for missing or broken files."""
    path = Path(path)
    if not path.is_file():
        raise AviliError("file not found", path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AviliError(f"not a readable {what} NPZ file ({text})", path) from None


def load_soft_labels(path: str | os.PathLike,
                     class_names: Sequence[str] | None = None) -> SoftLabels:
    """Read and validate a soft-label NPZ (full or bare).

    ``class_names`` names the columns of a bare file; for a full file it must match the
    stored names when given. Bare files without names get ``class_0``, ``class_1``...
    """
    path = Path(path)
    arrays = load_npz(path, "soft-label")
    missing = [k for k in ("audio", "visual") if k not in arrays]
    if missing:
        raise AviliError(f"missing required key(s) {missing}; a soft-label file holds "
                         "'audio' and 'visual' arrays of shape (N, C)", path)
    audio, visual = _matrix(arrays, "audio", path), _matrix(arrays, "visual", path)
    if audio.shape != visual.shape:
        raise AviliError(f"'audio' {audio.shape} and 'visual' {visual.shape} differ in shape", path)
    stored = arrays["class_names"].astype(str).tolist() if "class_names" in arrays else None
    names = _resolve_names(stored, class_names, audio.shape[1], path)
    soft = SoftLabels(audio=audio, visual=visual, class_names=names, path=path)
    if "clip_id" in arrays:
        _attach_clip_meta(soft, arrays, path)
    if "provenance" in arrays:
        soft.provenance = json.loads(str(arrays["provenance"]))
    for key in HARVESTED:
        if key in arrays:
            if arrays[key].shape != audio.shape:
                raise AviliError(f"'{key}' must have shape {audio.shape}, found "
                                 f"{arrays[key].shape}", path)
            setattr(soft, key, arrays[key].astype(np.uint8))
    return soft


def _matrix(arrays: dict[str, np.ndarray], key: str, path: Path) -> np.ndarray:
    arr = arrays[key]
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
        raise AviliError(f"'{key}' must be a numeric (N, C) array, found {arr.dtype} {arr.shape}",
                         path)
    if not np.isfinite(arr).all():
        raise AviliError(f"'{key}' contains NaN or Inf values", path)
    if arr.shape[0] == 0:
        raise AviliError(f"'{key}' has no rows", path)
    return arr.astype(np.float32)


def _resolve_names(stored: list[str] | None, given: Sequence[str] | None, c: int,
                   path: Path) -> list[str]:
    if stored is not None and given is not None and list(given) != stored:
        raise AviliError(f"class names given ({', '.join(given)}) do not match the file's "
                         f"({', '.join(stored)})", path)
    names = list(given) if given is not None else stored
    if names is None:
        names = [f"class_{k}" for k in range(c)]
    if len(names) != c:
        raise AviliError(f"{len(names)} class names for {c} soft-label columns", path)
    if len(set(names)) != c:
        raise AviliError("class names are not unique", path)
    return names


def _attach_clip_meta(soft: SoftLabels, arrays: dict[str, np.ndarray], path: Path) -> None:
    n = soft.audio.shape[0]
    for key in ("clip_id", "label", "split"):
        if key not in arrays:
            raise AviliError(f"has 'clip_id' but no '{key}'", path)
        if arrays[key].shape != (n,):
            raise AviliError(f"'{key}' must have shape ({n},), found {arrays[key].shape}", path)
    soft.clip_id = arrays["clip_id"].astype(str)
    soft.label = arrays["label"].astype(np.int64)
    soft.split = arrays["split"].astype(str)


def align_to_dataset(soft: SoftLabels, clip_ids: np.ndarray, class_names: Sequence[str],
                     data_path: str | os.PathLike | None) -> SoftLabels:
    """Reorder ``soft`` rows to ``clip_ids`` (the dataset's order); refuse a mismatch.

    The error names both files: soft labels from another dataset, other classes, or a
    bare file without clip ids cannot be paired with the dataset.
    """
    pair = f"{soft.path} does not belong to {data_path}"
    if soft.bare:
        raise AviliError(f"{pair}: the soft labels have no clip ids (a bare file); "
                         "produce them with 'avili teach'")
    if list(soft.class_names) != list(class_names):
        raise AviliError(f"{pair}: class names differ ({len(soft.class_names)} vs "
                         f"{len(class_names)} classes)")
    position = {cid: k for k, cid in enumerate(soft.clip_id.tolist())}
    missing = [cid for cid in clip_ids.tolist() if cid not in position]
    if missing:
        raise AviliError(f"{pair}: {len(missing)} dataset clip ids are absent from the soft "
                         f"labels (first: {missing[0]!r})")
    order = np.array([position[cid] for cid in clip_ids.tolist()], dtype=np.int64)
    return SoftLabels(audio=soft.audio[order], visual=soft.visual[order],
                      class_names=list(class_names), clip_id=soft.clip_id[order],
                      label=soft.label[order], split=soft.split[order],
                      provenance=soft.provenance, path=soft.path,
                      **{k: getattr(soft, k)[order] for k in HARVESTED
                         if getattr(soft, k) is not None})
