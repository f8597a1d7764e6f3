"""Reading ``labels.csv`` (video file to class, optional split) and choosing a shard.

CSV rules:

- A header row names the columns, case-insensitively: the file column is one of
  ``file``, ``path``, ``video``, ``filename``; the class column ``label`` or ``class``;
  an optional ``split`` column. Other columns are ignored.
- Files are relative to the videos folder (absolute paths are kept). The file value, as
  written, is the clip id; it must be unique. Every listed file must exist.
- Class names are the sorted unique label values (so they do not depend on row order or
  on the shard); label ``k`` is ``class_names[k]``. At least 2 classes.
- Split values are ``train``, ``val`` (or ``valid``/``validation``) and ``test``, any
  case; an empty or other value is an error.
- Without a split column, ``val`` and ``test`` are carved from each class: see
  :func:`carve_splits`.
"""

from __future__ import annotations

import csv
import math
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avili.errors import AviliError

FILE_COLUMNS = ("file", "path", "video", "filename")
LABEL_COLUMNS = ("label", "class")
SPLIT_ALIASES = {"train": "train", "val": "val", "valid": "val", "validation": "val",
                 "test": "test"}


@dataclass
class LabelTable:
    """N rows in CSV order. files: (N,) resolved paths; clip_id, split: (N,) str;
    label: (N,) int64 index into class_names; split_source: ``csv`` or ``carved``."""

    files: list[Path]
    clip_id: np.ndarray
    label: np.ndarray
    split: np.ndarray
    class_names: list[str]
    split_source: str

    def __len__(self) -> int:
        return len(self.files)


def read_labels(csv_path: str | os.PathLike, videos_dir: str | os.PathLike,
                val_fraction: float, seed: int) -> LabelTable:
    """Parse and check ``csv_path``; carve splits when it has no split column."""
    csv_path, videos_dir = Path(csv_path), Path(videos_dir)
    if not csv_path.is_file():
        raise AviliError("labels file not found", csv_path)
    if not videos_dir.is_dir():
        raise AviliError("videos folder not found", videos_dir)
    files, labels, splits = _read_rows(csv_path)
    paths = [Path(f) if Path(f).is_absolute() else videos_dir / f for f in files]
    missing = [f for f, p in zip(files, paths) if not p.is_file()]
    if missing:
        raise AviliError(f"{len(missing)} listed video(s) not found under {videos_dir}, "
                         f"e.g. {', '.join(missing[:3])}", csv_path)
    class_names = sorted(set(labels))
    if len(class_names) < 2:
        raise AviliError(f"need at least 2 classes, found {class_names}", csv_path)
    index = {name: k for k, name in enumerate(class_names)}
    label = np.array([index[x] for x in labels], np.int64)
    clip_id = np.array(files, dtype=str)
    if splits is None:
        split, source = carve_splits(label, clip_id, val_fraction, seed), "carved"
    else:
        split, source = np.array(splits, dtype=str), "csv"
    return LabelTable(paths, clip_id, label, split, class_names, source)


def _read_rows(csv_path: Path) -> tuple[list[str], list[str], list[str] | None]:
    """(files, labels, splits or None) as written, with the checks that need the rows."""
    with open(csv_path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip().lower() for h in next(reader, [])]
        rows = [r for r in reader if any(cell.strip() for cell in r)]
    if not header:
        raise AviliError("labels file is empty (expected a header such as file,label,split)",
                         csv_path)
    file_col = _column(header, FILE_COLUMNS, csv_path)
    label_col = _column(header, LABEL_COLUMNS, csv_path)
    split_col = header.index("split") if "split" in header else None
    if not rows:
        raise AviliError("labels file lists no videos", csv_path)
    files, labels, splits = [], [], []
    for line, row in enumerate(rows, start=2):
        cells = [c.strip() for c in row] + [""] * len(header)
        file, label = cells[file_col], cells[label_col]
        if not file or not label:
            raise AviliError(f"row {line} has an empty file or label", csv_path)
        files.append(file)
        labels.append(label)
        if split_col is not None:
            splits.append(_split_value(cells[split_col], line, csv_path))
    dupes = sorted(f for f, n in Counter(files).items() if n > 1)
    if dupes:
        raise AviliError(f"videos listed more than once: {', '.join(dupes[:3])}", csv_path)
    return files, labels, (splits if split_col is not None else None)


def _column(header: list[str], names: tuple[str, ...], csv_path: Path) -> int:
    for name in names:
        if name in header:
            return header.index(name)
    raise AviliError(f"header {header} has no column named {' or '.join(names)}", csv_path)


def _split_value(value: str, line: int, csv_path: Path) -> str:
    split = SPLIT_ALIASES.get(value.lower())
    if split is None:
        raise AviliError(f"row {line} has unknown split {value!r}; expected train, val or "
                         "test", csv_path)
    return split


def carve_splits(label: np.ndarray, clip_id: np.ndarray, fraction: float,
                 seed: int) -> np.ndarray:
    """(N,) str splits carved per class: ``val`` and ``test`` each take
    ``round(fraction * n_c)`` clips of a class of ``n_c`` clips (at least 1 each when
    ``fraction > 0`` and ``n_c >= 3``, and never so many that train is empty), the rest is
    ``train``. Within a class, clips are ordered by clip id, then permuted with
    ``numpy.random.default_rng(seed)``, so the result ignores CSV row order."""
    if not 0.0 <= fraction < 0.5:
        raise AviliError(f"val_fraction must lie in [0, 0.5), got {fraction}")
    rng = np.random.default_rng(seed)
    split = np.full(label.shape, "train", dtype="<U5")
    for c in np.unique(label):
        idx = np.flatnonzero(label == c)
        idx = idx[np.argsort(clip_id[idx], kind="stable")][rng.permutation(idx.size)]
        k = math.floor(fraction * idx.size + 0.5)
        if fraction > 0 and idx.size >= 3:
            k = max(1, k)
        k = min(k, (idx.size - 1) // 2)
        split[idx[:k]], split[idx[k:2 * k]] = "val", "test"
    return split


def parse_shard(shard: str | None) -> tuple[int, int]:
    """``"i/n"`` to ``(i, n)`` with ``0 <= i < n``; ``None`` is ``(0, 1)``."""
    if shard is None:
        return 0, 1
    try:
        index, count = (int(x) for x in shard.split("/"))
    except ValueError:
        raise AviliError(f"shard must look like i/n (e.g. 0/4), got {shard!r}") from None
    if count < 1 or not 0 <= index < count:
        raise AviliError(f"shard {shard!r} needs 0 <= i < n")
    return index, count


def shard_rows(n_rows: int, shard: str | None) -> np.ndarray:
    """(n,) int64 row indices of one shard: every row whose index % n == i (round robin,
    so shards get similar sizes and class mixes)."""
    index, count = parse_shard(shard)
    return np.arange(index, n_rows, count, dtype=np.int64)
