"""Soft-label files (NPZ): per-modality class probabilities from a teacher.

Keys (N clips, C classes): ``audio`` float32 (N, C), ``visual`` float32 (N, C),
``clip_id`` str (N,), ``label`` int64 (N,), ``split`` str (N,), ``class_names`` str (C,),
``provenance`` JSON str, ``schema`` = ``avili.soft_labels``.

A *bare* NPZ holding only ``audio`` and ``visual`` (as published by other tools) is
accepted too; its class names come from the caller and its clip metadata is absent.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from avili.artifacts import atomic_output, dumps, ids_sha256, require_input
from avili.data.schema import flags, integers, split_counts
from avili.errors import AviliError, first_line, json_record, reader, wrong_kind

SCHEMA = "avili.soft_labels"
HARVESTED = ("audio_labels", "visual_labels")  # optional, from VALOR-style harvesting
Header = tuple[tuple[int, ...], np.dtype]  # an array's shape and dtype


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


NPZ_KINDS = {"soft-label": "soft_labels", "graph": "graph"}  # load_npz's what -> artifact kind


def load_npz(path: str | os.PathLike, what: str,
             keys: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The arrays of an NPZ file (every one, or those of ``keys`` present), without
    pickles; clear errors for missing or broken files."""
    path = require_input(path)
    if not zipfile.is_zipfile(path):  # else numpy takes it for a pickle and says so
        raise wrong_kind(f"not a readable {what} NPZ file (not a zip archive)", path,
                         NPZ_KINDS.get(what, "soft_labels"))
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files if keys is None or k in keys}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise wrong_kind(f"not a readable {what} NPZ file ({first_line(exc)})", path,
                         NPZ_KINDS.get(what, "soft_labels")) from None


def npz_headers(path: str | os.PathLike, what: str) -> dict[str, Header]:
    """(shape, dtype) of every array of an NPZ file, from the .npy headers: no array data
    is read."""
    from numpy.lib import format as npy

    path = require_input(path)
    heads: dict[str, Header] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                with archive.open(member) as handle:
                    major, _ = npy.read_magic(handle)
                    read = npy.read_array_header_1_0 if major == 1 else npy.read_array_header_2_0
                    shape, _, dtype = read(handle)
                heads[member.removesuffix(".npy")] = (tuple(shape), dtype)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise wrong_kind(f"not a readable {what} NPZ file ({first_line(exc)})", path,
                         NPZ_KINDS.get(what, "soft_labels")) from None
    return heads


@reader
def load_soft_labels(path: str | os.PathLike,
                     class_names: Sequence[str] | None = None) -> SoftLabels:
    """Read and validate a soft-label NPZ (full or bare).

    ``class_names`` names the columns of a bare file; for a full file it must match the
    stored names when given. Bare files without names get ``class_0``, ``class_1``...
    """
    path = Path(path)
    arrays = load_npz(path, "soft-label")
    check_layout({k: (a.shape, a.dtype) for k, a in arrays.items()}, path)
    audio, visual = _finite(arrays, "audio", path), _finite(arrays, "visual", path)
    stored = arrays["class_names"].astype(str).tolist() if "class_names" in arrays else None
    names = _resolve_names(stored, class_names, audio.shape[1], path)
    soft = SoftLabels(audio=audio, visual=visual, class_names=names, path=path)
    if "clip_id" in arrays:  # copy=False: a million clips' arrays are not read twice
        soft.clip_id = arrays["clip_id"].astype(str, copy=False)
        soft.label = integers(arrays["label"], "label", path)
        soft.split = arrays["split"].astype(str, copy=False)
    if "provenance" in arrays:
        soft.provenance = json_record(arrays["provenance"], path)
    for key in HARVESTED:
        if key in arrays:
            setattr(soft, key, flags(arrays[key], key, path))
    return soft


def check_layout(heads: dict[str, Header], path: Path) -> None:
    """Keys, ranks, dtypes and shapes of a soft-label file, from each array's (shape, dtype)."""
    missing = [k for k in ("audio", "visual") if k not in heads]
    if missing:
        raise wrong_kind(f"missing required key(s) {missing}; a soft-label file holds "
                         "'audio' and 'visual' arrays of shape (N, C)", path, "soft_labels")
    for key in ("audio", "visual"):
        shape, dtype = heads[key]
        if len(shape) != 2 or not np.issubdtype(dtype, np.number):
            raise AviliError(f"'{key}' must be a numeric (N, C) array, found {dtype} {shape}",
                             path)
        if shape[0] == 0:
            raise AviliError(f"'{key}' has no rows", path)
    shape = heads["audio"][0]
    if shape != heads["visual"][0]:
        raise AviliError(f"'audio' {shape} and 'visual' {heads['visual'][0]} differ in shape",
                         path)
    for key in ("label", "split") if "clip_id" in heads else ():
        if key not in heads:
            raise AviliError(f"has 'clip_id' but no '{key}'", path)
    wants = {**{k: shape[:1] for k in ("clip_id", "label", "split")},
             **{k: shape for k in HARVESTED}}
    for key, want in wants.items():
        if key in heads and heads[key][0] != want:
            raise AviliError(f"'{key}' must have shape {want}, found {heads[key][0]}", path)


def _finite(arrays: dict[str, np.ndarray], key: str, path: Path) -> np.ndarray:
    if not np.isfinite(arrays[key]).all():
        raise AviliError(f"'{key}' contains NaN or Inf values", path)
    return arrays[key].astype(np.float32, copy=False)


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


@reader
def describe_soft_labels(path: Path) -> dict[str, Any]:
    """What ``avili info`` shows of a soft-label file: shapes, class names, split counts,
    the clip-id list hash, provenance. The (N, C) arrays are checked from their headers
    only; just the small keys are read."""
    heads = npz_headers(path, "soft-label")
    check_layout(heads, path)
    small = load_npz(path, "soft-label", [k for k in heads if len(heads[k][0]) < 2])
    stored = small["class_names"].astype(str).tolist() if "class_names" in small else None
    names = _resolve_names(stored, None, heads["audio"][0][1], path)
    clip_id = small.get("clip_id")
    return {"kind": "soft_labels", "schema": str(small.get("schema", "")) or None,
            "schema_version": None,
            "shapes": {k: list(h[0]) for k, h in heads.items() if h[0]},
            "class_names": names,
            "splits": split_counts(small["split"].astype(str)) if "split" in small else None,
            "clip_ids_sha256": None if clip_id is None else ids_sha256(clip_id.tolist()),
            "provenance": json_record(small.get("provenance", "{}"), path),
            "details": {"harvested_labels": [k for k in HARVESTED if k in heads]}}


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
    ids, want = np.asarray(soft.clip_id), np.asarray(clip_ids)
    if ids.shape == want.shape and np.array_equal(ids, want):  # already in order: no copies
        return replace(soft, class_names=list(class_names))
    sorter = np.argsort(ids, kind="stable")  # match by sorting, not a dict of 1M strings
    order = sorter[np.searchsorted(ids, want, sorter=sorter).clip(max=ids.size - 1)]
    missing = want[ids[order] != want]
    if missing.size:
        raise AviliError(f"{pair}: {missing.size} dataset clip ids are absent from the soft "
                         f"labels (first: {str(missing[0])!r})")
    return SoftLabels(audio=soft.audio[order], visual=soft.visual[order],
                      class_names=list(class_names), clip_id=soft.clip_id[order],
                      label=soft.label[order], split=soft.split[order],
                      provenance=soft.provenance, path=soft.path,
                      **{k: getattr(soft, k)[order] for k in HARVESTED
                         if getattr(soft, k) is not None})
