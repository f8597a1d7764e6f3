"""The shared back half of every importer: choose rows, then stream them out.

A format reader turns its input into :class:`Segment` feature arrays plus a :class:`Plan`
over all N source rows (output label or -1 for a dropped row, split, clip id);
:func:`write_plan` then reads the kept rows ``chunk_rows`` at a time, mean-pools any
per-second or spatial axes, and streams them into a :class:`~avili.data.schema.DatasetWriter`.

Validation splits are carved from train (stratified by class, ``numpy.random.default_rng(seed)``)
only when the source has none; ``val_carved``, the fraction and the seed go into the
provenance.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from avili.artifacts import provenance
from avili.config import ImportConfig
from avili.data.schema import DatasetWriter
from avili.errors import AviliError, first_line
from avili.progress import NullProgress, Progress

READ_BYTES = 64 << 20  # a chunk of huge rows (AVE's 10x7x7x512 maps) is read in sub-blocks

PRESPLIT = ("audio_train", "audio_test", "visual_train", "visual_test", "lab_train", "lab_test")
SUPPORTED = ("supported formats: flagged (HDF5/NPZ with audio_feat+visual_feat or "
             "vggish_Features+inception_Features, Label_ID, Train_test or Split); presplit "
             "(HDF5/NPZ with " + ", ".join(PRESPLIT) + "); ave-release (a folder with "
             "audio_feature.h5, visual_feature.h5, labels.h5, train_order.h5, test_order.h5)")


@dataclass
class Segment:
    """Feature arrays for consecutive source rows: (n, Da) or (n, ..., Da) audio and
    (n, Dv) or (n, ..., Dv) visual, array-likes sliced by rows (h5py datasets or numpy)."""

    audio: Any
    visual: Any
    audio_key: str
    visual_key: str

    @property
    def n(self) -> int:
        return int(self.audio.shape[0])


@dataclass
class Plan:
    """What to write, over all N source rows in order: ``label`` (N,) int64 output class or
    -1 for a dropped row, ``split`` (N,) str, ``clip_id`` (N,) str."""

    label: np.ndarray
    split: np.ndarray
    clip_id: np.ndarray
    class_names: list[str]
    val_carved: bool = False
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def keep(self) -> np.ndarray:
        return self.label >= 0

    def counts(self) -> dict[str, int]:
        return {s: int((self.split[self.keep] == s).sum()) for s in ("train", "val", "test")}


def resolve_names(in_file: list[str] | None, cfg: ImportConfig, label: np.ndarray,
                  width: int | None, path: Path, default: list[str] | None = None
                  ) -> tuple[list[str], str]:
    """Class names and where they came from: ``file``, ``class_names_file``, ``official``
    (``default`` given by the format) or ``default`` (``class_00``...). Checks that
    ``label`` (N,) int64 (-1 = dropped) fits them."""
    given = read_names_file(cfg.class_names_file) if cfg.class_names_file else None
    if in_file is not None and given is not None and in_file != given:
        raise AviliError(f"class names in the file differ from {cfg.class_names_file}", path)
    names, origin = next((n, o) for n, o in ((in_file, "file"), (given, "class_names_file"),
                                             (default, "official"), ([], "default"))
                         if n is not None)
    top = int(label.max()) if label.size else -1
    if origin == "default":
        names = [f"class_{k:02d}" for k in range(width or top + 1)]
    if width is not None and len(names) != width:
        raise AviliError(f"{len(names)} class names ({origin}) but labels have {width} "
                         "classes", path)
    if (label < -1).any() or top >= len(names):
        bad = int(label[(label < -1) | (label >= len(names))][0])
        raise AviliError(f"label value {bad} out of range [0, {len(names)}) for "
                         f"{len(names)} class names ({origin})", path)
    return names, origin


def read_names_file(path: str | os.PathLike) -> list[str]:
    """Class names, one per non-blank line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AviliError(f"cannot read class names ({first_line(exc)})", path) from None
    names = [line.strip() for line in lines if line.strip()]
    if len(set(names)) != len(names) or not names:
        raise AviliError("class names file is empty or repeats a name", path)
    return names


def make_plan(label: np.ndarray, split: np.ndarray, clip_id: np.ndarray, names: list[str],
              cfg: ImportConfig, path: Path, aliases: Mapping[str, str] | None = None,
              dropped: dict[str, int] | None = None) -> Plan:
    """Select ``cfg.classes`` by name and carve a validation split when there is none.
    ``label`` (N,) int64 with -1 for rows already dropped; ``split`` (N,) str."""
    dropped = dict(dropped or {})
    if cfg.classes:
        label, names, lost = select_classes(label, names, cfg.classes, path, aliases)
        dropped["not_selected"] = lost
    plan = Plan(label, split.astype("<U5"), clip_id, list(names), dropped=dropped)
    if not plan.keep.any():
        raise AviliError(f"no clips left to write (dropped: {dropped})", path)
    plan.split, plan.val_carved = carve_val(plan.label, plan.split, cfg.val_fraction, cfg.seed)
    return plan


def select_classes(label: np.ndarray, names: list[str], wanted: Sequence[str], path: Path,
                   aliases: Mapping[str, str] | None = None
                   ) -> tuple[np.ndarray, list[str], int]:
    """Keep the classes ``wanted`` (by name or alias), relabelled 0.. in that order.
    Returns the new (N,) int64 labels (-1 = dropped), the names as given, and how many
    kept-so-far clips were dropped."""
    index = {n: i for i, n in enumerate(names)}
    index.update({a: index[n] for a, n in (aliases or {}).items() if n in index})
    unknown = [w for w in wanted if w not in index]
    if unknown:
        raise AviliError(f"unknown class name {unknown[0]!r} in --classes; known: "
                         f"{', '.join(names)}", path)
    if len({index[w] for w in wanted}) < len(wanted):
        raise AviliError(f"--classes names one class twice (by two spellings): {list(wanted)}",
                         path)
    remap = np.full(len(names) + 1, -1, dtype=np.int64)  # slot -1 keeps dropped rows dropped
    for new, w in enumerate(wanted):
        remap[index[w]] = new
    out = remap[label]
    empty = [w for k, w in enumerate(wanted) if not (out == k).any()]
    if empty:
        raise AviliError(f"class {empty[0]!r} in --classes has no clips in this source", path)
    return out, list(wanted), int(((label >= 0) & (out < 0)).sum())


def carve_val(label: np.ndarray, split: np.ndarray, fraction: float, seed: int
              ) -> tuple[np.ndarray, bool]:
    """Move round(fraction * n_c) train clips of each class c to ``val`` when no kept clip
    is in val. Deterministic given ``seed``. Returns the new (N,) split and whether it
    carved."""
    keep = label >= 0
    if fraction <= 0 or (split[keep] == "val").any():
        return split, False
    rng = np.random.default_rng(seed)
    split = split.copy()
    train = keep & (split == "train")
    for c in np.unique(label[train]):
        idx = np.flatnonzero(train & (label == c))
        k = int(np.floor(len(idx) * fraction + 0.5))
        split[rng.permutation(idx)[:k]] = "val"
    return split, True


def read_rows(arr: Any, start: int, stop: int, key: str, path: Path) -> np.ndarray:
    """Rows [start, stop) of an h5py dataset or numpy array, read failures as AviliError."""
    try:
        return np.asarray(arr[start:stop])
    except (OSError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise AviliError(f"cannot read '{key}' rows {start}..{stop - 1} "
                         f"({first_line(exc)})", path) from None


def read_pooled(arr: Any, start: int, stop: int, key: str, path: Path) -> np.ndarray:
    """Rows [start, stop) of (N, ..., D) features, mean-pooled over every axis between the
    first and last -> (k, D) float32, read in sub-blocks of at most READ_BYTES."""
    shape = tuple(np.shape(arr))
    per_row = max(1, int(np.prod(shape[1:])) * np.dtype(arr.dtype).itemsize)
    step = max(1, READ_BYTES // per_row)
    blocks = []
    for lo in range(start, stop, step):
        block = read_rows(arr, lo, min(lo + step, stop), key, path)
        if block.ndim > 2:
            block = block.astype(np.float64).mean(axis=tuple(range(1, block.ndim - 1)))
        blocks.append(block.astype(np.float32))
    return np.concatenate(blocks) if blocks else np.zeros((0, shape[-1]), np.float32)


def write_plan(segments: list[Segment], plan: Plan, out: str | os.PathLike, cfg: ImportConfig,
               progress: Progress | None, path: Path, facts: dict[str, Any],
               inputs: Mapping[str, str | os.PathLike] | None = None,
               input_record: dict | None = None) -> dict:
    """Stream the kept rows of ``segments`` into ``out`` and return the summary.

    ``facts`` holds format, label_encoding and class_names_source; the provenance gets
    them plus pooling, splits, val carving and drops. ``input_record`` replaces the
    provenance's ``inputs`` (for folders, which :func:`provenance` cannot hash)."""
    dims = {k: int(np.shape(getattr(segments[0], k))[-1]) for k in ("audio", "visual")}
    ranks = {len(np.shape(getattr(s, k))) for s in segments for k in ("audio", "visual")}
    summary = {**facts, "source": str(path), "out": str(out), "clips": int(plan.keep.sum()),
               "splits": plan.counts(), "classes": len(plan.class_names),
               "class_names": plan.class_names, "audio_dim": dims["audio"],
               "visual_dim": dims["visual"],
               "pooling": "mean over time and space" if max(ranks) > 3 else
               "mean over time" if max(ranks) == 3 else "none",
               "val_carved": plan.val_carved, "dropped": plan.dropped}
    extra = {k: v for k, v in summary.items() if k not in ("source", "out", "class_names")}
    if plan.val_carved:
        extra.update(val_fraction=cfg.val_fraction, val_seed=cfg.seed)
    record = provenance("dataset", cfg, inputs, **extra)
    if input_record is not None:
        record["inputs"] = input_record
    with DatasetWriter(out, summary["clips"], dims["audio"], dims["visual"], plan.class_names,
                       record) as writer:
        _stream(segments, plan, writer, cfg.chunk_rows, progress or NullProgress(), path)
    return summary


def _stream(segments: list[Segment], plan: Plan, writer: DatasetWriter, chunk_rows: int,
            progress: Progress, path: Path) -> None:
    progress.start("importing features", sum(s.n for s in segments))
    try:
        pos = offset = 0
        for seg in segments:
            for start in range(0, seg.n, chunk_rows):
                stop = min(start + chunk_rows, seg.n)
                rows = slice(offset + start, offset + stop)
                keep = plan.keep[rows]
                k = int(keep.sum())
                if k:
                    a = _finite(read_pooled(seg.audio, start, stop, seg.audio_key, path),
                                keep, start, seg.audio_key, path)
                    v = _finite(read_pooled(seg.visual, start, stop, seg.visual_key, path),
                                keep, start, seg.visual_key, path)
                    writer.write(slice(pos, pos + k), a, v, plan.label[rows][keep],
                                 plan.split[rows][keep], plan.clip_id[rows][keep])
                    pos += k
                progress.advance(stop - start)
            offset += seg.n
    finally:
        progress.stop()


def _finite(block: np.ndarray, keep: np.ndarray, start: int, key: str, path: Path
            ) -> np.ndarray:
    """The kept rows of a (k, D) block; raises naming the first source row with NaN/Inf."""
    bad = np.flatnonzero(keep & ~np.isfinite(block).all(axis=1))
    if bad.size:
        raise AviliError(f"NaN or Inf in '{key}' rows {start + int(bad[0])}..", path)
    return block[keep]
