"""Join avili dataset shards into one dataset (``avili extract --merge part-*.h5``).

Every part must be an avili dataset with the same class names (same order) and feature
sizes, and clip ids must stay unique across parts. Rows are streamed ``chunk_rows`` at a
time in part order, so memory stays bounded by one chunk plus the clip ids. The
``*_events`` keys are kept only when every part has them. The provenance records each
part's path, SHA-256 and clip count, and each part's own provenance.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from avili.artifacts import provenance, require_input
from avili.data.schema import EVENT_KEYS, SCHEMA, SCHEMA_VERSION, DatasetWriter, as_strings
from avili.errors import AviliError, first_line, json_record
from avili.progress import NullProgress, Progress

REQUIRED = ("audio", "visual", "label", "split", "clip_id", "class_names")


@dataclass
class _Header:
    """What merging needs to know of a part before copying it: N clips, feature sizes,
    class names, (N,) str clip ids and split, event keys present, its provenance."""

    path: Path
    n: int
    audio_dim: int
    visual_dim: int
    class_names: list[str]
    clip_id: np.ndarray
    split: np.ndarray
    events: tuple[str, ...]
    provenance: dict[str, Any]


def merge_datasets(parts: Sequence[str | os.PathLike], out: str | os.PathLike,
                   chunk_rows: int = 512, progress: Progress | None = None) -> dict:
    """Merge the avili datasets ``parts`` into ``out`` (atomically).

    Returns the summary: out, parts, clips, splits {train, val, test}, classes,
    class_names, audio_dim, visual_dim, events (event keys kept).
    """
    if not parts:
        raise AviliError("no dataset parts to merge")
    if chunk_rows < 1:
        raise AviliError(f"chunk_rows must be at least 1, got {chunk_rows}")
    headers = [_header(Path(p)) for p in parts]
    _check_compatible(headers)
    events = tuple(k for k in EVENT_KEYS if all(k in h.events for h in headers))
    first = headers[0]
    split = np.concatenate([h.split for h in headers])
    summary = {"out": str(out), "parts": [str(h.path) for h in headers], "clips": len(split),
               "splits": {s: int((split == s).sum()) for s in ("train", "val", "test")},
               "classes": len(first.class_names), "class_names": first.class_names,
               "audio_dim": first.audio_dim, "visual_dim": first.visual_dim,
               "events": list(events)}
    record = provenance("dataset", {"chunk_rows": chunk_rows},
                        {f"part-{i:03d}": h.path for i, h in enumerate(headers)},
                        merged=[{"path": str(h.path), "clips": h.n} for h in headers],
                        part_provenance=[h.provenance for h in headers])
    with DatasetWriter(out, summary["clips"], first.audio_dim, first.visual_dim,
                       first.class_names, record, event_keys=events) as writer:
        _copy_all(headers, writer, events, chunk_rows, progress or NullProgress())
    return summary


def _header(path: Path) -> _Header:
    """Read and check a part's attributes, shapes, class names, ids and splits."""
    with _open(path) as f:
        schema, version = f.attrs.get("schema"), int(f.attrs.get("schema_version", -1))
        if schema != SCHEMA or version != SCHEMA_VERSION:
            raise AviliError(f"not an avili dataset version {SCHEMA_VERSION} (schema "
                             f"{schema!r}, version {version})", path)
        missing = [k for k in REQUIRED if k not in f]
        if missing:
            raise AviliError(f"missing required key(s) {missing}", path)
        n = int(f["label"].shape[0]) if f["label"].ndim == 1 else -1
        for key in ("audio", "visual"):
            if f[key].ndim != 2 or f[key].shape[0] != n:
                raise AviliError(f"'{key}' must have shape ({n}, D), found {f[key].shape}", path)
        header = _Header(path, n, int(f["audio"].shape[1]), int(f["visual"].shape[1]),
                         as_strings(f["class_names"][()]).tolist(), as_strings(f["clip_id"][()]),
                         as_strings(f["split"][()]), tuple(k for k in EVENT_KEYS if k in f),
                         json_record(f.attrs.get("provenance", "{}"), path))
    if header.clip_id.shape != (n,) or header.split.shape != (n,):
        raise AviliError(f"'clip_id' and 'split' must have shape ({n},)", path)
    return header


@contextlib.contextmanager
def _open(path: Path) -> Iterator[Any]:
    import h5py

    path = require_input(path)
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise AviliError(f"not a readable HDF5 file ({first_line(exc)})", path) from None
    with handle:
        try:
            yield handle
        except (OSError, KeyError, ValueError, TypeError) as exc:
            if isinstance(exc, AviliError):
                raise
            raise AviliError(f"cannot read the dataset ({first_line(exc)})", path) from None


def _check_compatible(headers: list[_Header]) -> None:
    """Same class names and feature sizes as the first part; clip ids unique overall."""
    first, seen = headers[0], {}
    for h in headers:
        if h.class_names != first.class_names:
            raise AviliError(f"class names {h.class_names} differ from {first.path}'s "
                             f"{first.class_names}", h.path)
        if (h.audio_dim, h.visual_dim) != (first.audio_dim, first.visual_dim):
            raise AviliError(f"feature sizes audio {h.audio_dim}, visual {h.visual_dim} differ "
                             f"from {first.path}'s ({first.audio_dim}, {first.visual_dim})",
                             h.path)
        for clip in h.clip_id.tolist():
            if clip in seen:
                where = "earlier in this file" if seen[clip] == h.path else f"in {seen[clip]}"
                raise AviliError(f"duplicate clip id {clip!r} (already {where})", h.path)
            seen[clip] = h.path


def _copy_all(headers: list[_Header], writer: DatasetWriter, events: tuple[str, ...],
              chunk_rows: int, progress: Progress) -> None:
    progress.start("merging datasets", sum(h.n for h in headers))
    try:
        pos = 0
        for h in headers:
            with _open(h.path) as f:
                for start in range(0, h.n, chunk_rows):
                    rows = slice(start, min(start + chunk_rows, h.n))
                    k = rows.stop - rows.start
                    audio, visual = f["audio"][rows], f["visual"][rows]
                    _check_finite({"audio": audio, "visual": visual}, rows.start, h.path)
                    try:
                        writer.write(slice(pos, pos + k), audio, visual, f["label"][rows],
                                     h.split[rows], h.clip_id[rows],
                                     **{key: f[key][rows] for key in events})
                    except AviliError as exc:  # name the part, not the output
                        raise AviliError(exc.problem, h.path) from None
                    pos += k
                    progress.advance(k)
    finally:
        progress.stop()


def _check_finite(blocks: dict[str, np.ndarray], start: int, path: Path) -> None:
    """Name the part and its own row: the writer would only know the output row."""
    for key, block in blocks.items():
        if not np.issubdtype(block.dtype, np.number):
            raise AviliError(f"'{key}' must be numeric, found dtype {block.dtype}", path)
        bad = np.flatnonzero(~np.isfinite(block).all(axis=1))
        if bad.size:
            raise AviliError(f"'{key}' contains NaN or Inf values (rows {start + int(bad[0])}..)",
                             path)
