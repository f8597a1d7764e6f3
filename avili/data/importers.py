"""Import published clip-level feature files into an avili dataset (``avili extract --from``).

Supported inputs, by the name :func:`detect_format` returns:

- ``flagged-h5``: one HDF5 file. Features ``audio_feat``/``visual_feat`` or
  ``vggish_Features``/``inception_Features``, each (N, D) or per-second (N, T, D);
  labels ``Label_ID`` as (N,) integers or (N, C) one-hot; split flag ``Train_test`` or
  ``Split``, (N,) strings, bytes or ints where 1 is train and 0 is test (the words
  ``train``/``val``/``test`` are accepted too). This is how AVE's 15-class subset and
  VEGAS (10 classes) are published: VGGish 128-d audio, Inception 1024-d visual.
- ``presplit-h5``: one HDF5 file with ``audio_train``, ``audio_test``, ``visual_train``,
  ``visual_test``, ``lab_train``, ``lab_test`` (and optionally ``*_val``).
- ``flagged-npz`` / ``presplit-npz``: the same keys in an NPZ. NPZ members cannot be
  memory-mapped, so each key is loaded whole; HDF5 inputs are read ``chunk_rows`` rows at a
  time.
- ``ave-release``: the official AVE release folder, see :mod:`avili.data.ave_release`.

Optional keys: ``class_names`` (C,) strings; ``clip_id`` or ``video_id`` (N,) strings
(presplit: ``clip_id_train``...). Without ids, clips are named ``<format>-<row>`` in
source order (presplit: ``<format>-<split>-<row>``). Without names in the file or in
``class_names_file``, classes are named ``class_00``... and the provenance says so
(``class_names_source: "default"``); names are never guessed from the class count.
3-D features are mean-pooled over time. When the source has no validation split, one
is carved from train (stratified by class, seeded) and ``val_carved`` is recorded.
"""

from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from avili.config import ImportConfig
from avili.data.import_plan import (PRESPLIT, SUPPORTED, Segment, make_plan, read_rows,
                                    resolve_names, write_plan)
from avili.artifacts import require_input
from avili.errors import AviliError, first_line
from avili.progress import Progress

FORMATS = ("flagged-h5", "presplit-h5", "flagged-npz", "presplit-npz", "ave-release")
FLAGGED_FEATURES = (("audio_feat", "visual_feat"), ("vggish_Features", "inception_Features"))
FLAG_LABEL = "Label_ID"
FLAG_SPLITS = ("Train_test", "Split")
ID_KEYS = ("clip_id", "video_id")
NAMES_KEY = "class_names"
FLAG_WORDS = {"1": "train", "0": "test", "train": "train", "test": "test", "val": "val",
              "validation": "val"}


@dataclass
class _Part:
    """One split-flagged block of source rows: features, (n,) or (n, C) labels, (n,) str split."""

    segment: Segment
    labels: Any
    label_key: str
    split: np.ndarray


def detect_format(path: str | os.PathLike) -> str:
    """The input's format name, one of :data:`FORMATS`; raises listing them if unknown."""
    path = Path(path)
    if path.is_dir():
        from avili.data.ave_release import check_release

        check_release(path)
        return "ave-release"
    with open_arrays(path) as (container, arrays):
        return f"{_layout(set(arrays), path)}-{container}"


def import_features(source: str | os.PathLike, out: str | os.PathLike, cfg: ImportConfig,
                    progress: Progress | None = None) -> dict:
    """Convert ``source`` (a file or an AVE release folder) into the avili dataset ``out``.

    Returns the summary: format, source, out, clips, splits {train, val, test}, classes,
    class_names, class_names_source, audio_dim, visual_dim, label_encoding, pooling,
    val_carved, dropped {reason: clips}.
    """
    if detect_format(source) == "ave-release":
        from avili.data.ave_release import convert_release

        return convert_release(source, out, cfg, progress)
    return convert_file(source, out, cfg, progress)


def convert_file(source: str | os.PathLike, out: str | os.PathLike, cfg: ImportConfig,
                 progress: Progress | None = None) -> dict:
    """Convert one flagged or presplit HDF5/NPZ file; see :func:`import_features`."""
    source = Path(source)
    with open_arrays(source) as (container, arrays):
        layout = _layout(set(arrays), source)
        fmt = f"{layout}-{container}"
        parts = _flagged_parts(arrays, source) if layout == "flagged" else \
            _presplit_parts(arrays, source)
        segments = [p.segment for p in parts]
        label, encoding, width = _all_labels(parts, source, cfg.chunk_rows)
        split = np.concatenate([p.split for p in parts])
        names, names_source = resolve_names(_file_names(arrays, source), cfg, label, width,
                                            source)
        ids = _clip_ids(arrays, parts, layout, fmt, source)
        plan = make_plan(label, split, ids, names, cfg, source)
        return write_plan(segments, plan, out, cfg, progress, source, {
            "format": fmt, "label_encoding": encoding, "class_names_source": names_source},
            inputs={"source": source})


@contextlib.contextmanager
def open_arrays(path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Yield (``"h5"`` or ``"npz"``, key -> array-like) for an HDF5 or NPZ file."""
    import h5py

    path = require_input(path)
    if path.stat().st_size == 0:
        raise AviliError("file is empty (0 bytes)", path)
    if h5py.is_hdf5(path):
        try:
            handle = h5py.File(path, "r")
        except OSError as exc:
            raise AviliError(f"not a readable HDF5 file ({first_line(exc)})", path) from None
        with handle:
            yield "h5", {k: handle[k] for k in handle if isinstance(handle[k], h5py.Dataset)}
    elif zipfile.is_zipfile(path):
        try:
            npz = np.load(path, allow_pickle=False)
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise AviliError(f"not a readable NPZ file ({first_line(exc)})", path) from None
        with npz:
            yield "npz", _NpzArrays(npz, path)
    else:
        raise AviliError(f"not an HDF5 or NPZ file; {SUPPORTED}", path)


class _NpzArrays(Mapping):
    """Lazy, cached key access to an open NPZ that turns read failures into AviliError."""

    def __init__(self, npz: Any, path: Path) -> None:
        self._npz, self._path, self._cache = npz, path, {}

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._cache:
            if key not in self._npz.files:
                raise KeyError(key)
            try:
                self._cache[key] = self._npz[key]
            except (OSError, ValueError, zipfile.BadZipFile) as exc:
                raise AviliError(f"cannot read key '{key}' ({first_line(exc)})",
                                 self._path) from None
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._npz.files)

    def __len__(self) -> int:
        return len(self._npz.files)


def _layout(keys: set[str], path: Path) -> str:
    flagged, presplit = _missing_flagged(keys), [f"'{k}'" for k in PRESPLIT if k not in keys]
    if not flagged:
        return "flagged"
    if not presplit:
        return "presplit"
    flag_keys = {k for pair in FLAGGED_FEATURES for k in pair} | {FLAG_LABEL, *FLAG_SPLITS}
    partial = [(len(m), m, name) for m, name, known in (
        (flagged, "flagged", flag_keys), (presplit, "presplit", set(PRESPLIT))) if keys & known]
    if partial:
        _, missing, name = min(partial)
        also = f"; also missing {', '.join(missing[1:])}" if len(missing) > 1 else ""
        raise AviliError(f"missing key {missing[0]} for the {name} layout{also}", path)
    raise AviliError(f"unknown layout (found keys {sorted(keys)}); {SUPPORTED}", path)


def _missing_flagged(keys: set[str]) -> list[str]:
    pair = next((p for p in FLAGGED_FEATURES if keys & set(p)), FLAGGED_FEATURES[0])
    missing = [f"'{k}'" for k in (*pair, FLAG_LABEL) if k not in keys]
    if not keys & set(FLAG_SPLITS):
        missing.append(" or ".join(f"'{k}'" for k in FLAG_SPLITS))
    return missing


def _flagged_parts(arrays: Mapping[str, Any], path: Path) -> list[_Part]:
    """The whole file as one part, split by the flag."""
    ka, kv = next(p for p in FLAGGED_FEATURES if p[0] in arrays and p[1] in arrays)
    ks = next(k for k in FLAG_SPLITS if k in arrays)
    _check_rows(arrays, (ka, kv, ks), FLAG_LABEL, path)
    return [_Part(Segment(arrays[ka], arrays[kv], ka, kv), arrays[FLAG_LABEL], FLAG_LABEL,
                  parse_flags(arrays[ks], ks, path))]


def _presplit_parts(arrays: Mapping[str, Any], path: Path) -> list[_Part]:
    """One part per split present, in train, val, test order."""
    parts = []
    for s in ("train", "val", "test"):
        ka, kv, kl = f"audio_{s}", f"visual_{s}", f"lab_{s}"
        if s == "val" and not all(k in arrays for k in (ka, kv, kl)):
            continue
        _check_rows(arrays, (ka, kv), kl, path)
        n = int(arrays[kl].shape[0])
        parts.append(_Part(Segment(arrays[ka], arrays[kv], ka, kv), arrays[kl], kl,
                           np.full(n, s, dtype="<U5")))
    for key in ("audio", "visual"):
        dims = {getattr(p.segment, f"{key}_key"): int(np.shape(getattr(p.segment, key))[-1])
                for p in parts}
        if len(set(dims.values())) > 1:
            raise AviliError(f"{key} feature sizes differ between keys: {dims}", path)
    return parts


def _check_rows(arrays: Mapping[str, Any], keys: Sequence[str], label_key: str,
                path: Path) -> None:
    """Ranks, numeric features and equal row counts against ``label_key``."""
    n = (_shape(arrays, label_key, path) or (0,))[0]
    for key in keys:
        shape = _shape(arrays, key, path)
        is_feature = key not in FLAG_SPLITS
        if is_feature and len(shape) not in (2, 3):
            raise AviliError(f"'{key}' must be (N, D) or per-second (N, T, D), found shape "
                             f"{shape}", path)
        if is_feature and not np.issubdtype(arrays[key].dtype, np.number):
            raise AviliError(f"'{key}' must be numeric, found dtype {arrays[key].dtype}", path)
        if not shape or shape[0] != n:
            raise AviliError(f"'{key}' has {shape[0] if shape else 0} rows but '{label_key}' "
                             f"has {n}", path)
    if n == 0:
        raise AviliError(f"'{label_key}' has no rows", path)


def _shape(arrays: Mapping[str, Any], key: str, path: Path) -> tuple[int, ...]:
    return tuple(int(s) for s in np.shape(arrays[key]))


def parse_flags(raw: Any, key: str, path: Path) -> np.ndarray:
    """(N,) split flags (str, bytes or numbers; 1 train, 0 test) -> (N,) str split names."""
    flags = read_rows(raw, 0, int(np.shape(raw)[0]) if np.ndim(raw) else 0, key, path)
    if flags.ndim != 1:
        raise AviliError(f"'{key}' must be 1-D (N,), found shape {flags.shape}", path)
    if np.issubdtype(flags.dtype, np.number):
        if not np.all(np.mod(flags, 1) == 0):
            raise AviliError(f"'{key}' holds non-integer flags; expected 1 (train) or 0 (test)",
                             path)
        flags = flags.astype(np.int64)
    text = np.array([f.decode("utf-8", "replace") if isinstance(f, bytes) else str(f)
                     for f in flags.tolist()], dtype=object)
    uniq, inverse = np.unique(text, return_inverse=True)
    mapped = [FLAG_WORDS.get(u.strip().lower()) for u in uniq]
    for i, name in enumerate(mapped):
        if name is None:
            row = int(np.flatnonzero(inverse == i)[0])
            raise AviliError(f"'{key}' has unknown value {uniq[i]!r} at row {row}; expected "
                             "1 (train) or 0 (test)", path)
    return np.array(mapped, dtype="<U5")[inverse]


def _all_labels(parts: list[_Part], path: Path, chunk_rows: int
                ) -> tuple[np.ndarray, str, int | None]:
    """(N,) int64 labels over all parts, the encoding, and the one-hot width (or None)."""
    decoded = [decode_labels(p.labels, p.label_key, path, chunk_rows) for p in parts]
    encodings = {enc for _, enc, _ in decoded}
    widths = {p.label_key: w for p, (_, _, w) in zip(parts, decoded)}
    if len(encodings) > 1:
        raise AviliError(f"label keys mix integer and one-hot encodings: {sorted(encodings)}",
                         path)
    if len(set(widths.values())) > 1:
        raise AviliError(f"one-hot label widths differ between keys: {widths}", path)
    return (np.concatenate([lab for lab, _, _ in decoded]), encodings.pop(),
            next(iter(widths.values())))


def decode_labels(raw: Any, key: str, path: Path, chunk_rows: int
                  ) -> tuple[np.ndarray, str, int | None]:
    """(N,) integers or (N, C) one-hot -> ((N,) int64, "int" | "one-hot", C or None)."""
    shape = tuple(np.shape(raw))
    if len(shape) not in (1, 2) or not np.issubdtype(raw.dtype, np.number):
        raise AviliError(f"'{key}' must be (N,) integers or (N, C) one-hot, found shape "
                         f"{shape} dtype {raw.dtype}", path)
    blocks = []
    for start in range(0, shape[0], chunk_rows):
        block = read_rows(raw, start, min(start + chunk_rows, shape[0]), key, path)
        blocks.append(_one_hot_rows(block, start, key, path) if len(shape) == 2 and
                      shape[1] > 1 else _integer_rows(block.reshape(-1), key, path))
    label = np.concatenate(blocks) if blocks else np.zeros(0, np.int64)
    return (label, "one-hot", shape[1]) if len(shape) == 2 and shape[1] > 1 else \
        (label, "int", None)


def _one_hot_rows(block: np.ndarray, start: int, key: str, path: Path) -> np.ndarray:
    nonzero = (block != 0).sum(axis=1)
    bad = np.flatnonzero(nonzero != 1)
    if bad.size:
        raise AviliError(f"'{key}' row {start + int(bad[0])} is not one-hot "
                         f"({int(nonzero[bad[0]])} nonzero entries)", path)
    return np.argmax(block != 0, axis=1).astype(np.int64)


def _integer_rows(block: np.ndarray, key: str, path: Path) -> np.ndarray:
    if not np.all(np.isfinite(block)) or not np.all(np.mod(block, 1) == 0):
        raise AviliError(f"'{key}' holds non-integer label values", path)
    return block.astype(np.int64)


def _file_names(arrays: Mapping[str, Any], path: Path) -> list[str] | None:
    return _text(arrays, NAMES_KEY, path).tolist() if NAMES_KEY in arrays else None


def _text(arrays: Mapping[str, Any], key: str, path: Path, n: int | None = None) -> np.ndarray:
    """A 1-D key of strings, bytes or numbers -> (n,) str."""
    shape = _shape(arrays, key, path)
    if len(shape) != 1 or (n is not None and shape[0] != n):
        raise AviliError(f"'{key}' has shape {shape}, expected ({n if n is not None else 'N'},)",
                         path)
    raw = read_rows(arrays[key], 0, shape[0], key, path)
    return np.array([r.decode("utf-8", "replace") if isinstance(r, bytes) else str(r)
                     for r in raw.tolist()], dtype=object).astype(str)


def _clip_ids(arrays: Mapping[str, Any], parts: list[_Part], layout: str, fmt: str,
              path: Path) -> np.ndarray:
    """(N,) str clip ids from the file, else ``<format>-<row>`` (presplit: with the split)."""
    splits = [str(p.split[0]) for p in parts]
    keys = [[k] if layout == "flagged" else [f"{k}_{s}" for s in splits] for k in ID_KEYS]
    keys = next((ks for ks in keys if all(k in arrays for k in ks)), None)
    if keys is None:
        prefix = [fmt if layout == "flagged" else f"{fmt}-{s}" for s in splits]
        ids = [np.array([f"{pre}-{i}" for i in range(len(p.split))])
               for p, pre in zip(parts, prefix)]
        return np.concatenate(ids).astype(str)
    ids = np.concatenate([_text(arrays, key, path, len(p.split)) for key, p in zip(keys, parts)])
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        raise AviliError(f"clip ids are not unique (e.g. {str(uniq[counts > 1][0])!r})", path)
    return ids


