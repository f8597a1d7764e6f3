"""The avili dataset: one HDF5 file, validated on open. h5py stays inside avili/data/
(here, and in the importers and merge that read foreign files and shards).

Layout (schema ``avili.dataset``, version 1), N clips, C classes:

==================  ==============  =============================================
key                 dtype / shape   meaning
==================  ==============  =============================================
``audio``           float32 (N, Da) clip-level audio features
``visual``          float32 (N, Dv) clip-level visual features
``label``           int64 (N,)      annotated class in [0, C)
``split``           str (N,)        ``train``, ``val`` or ``test``
``clip_id``         str (N,)        unique clip identifiers
``class_names``     str (C,)        class names, in label order
``audio_events``    uint8 (N, C)    optional per-modality event truth (evaluation only)
``visual_events``   uint8 (N, C)    optional, likewise
==================  ==============  =============================================

File attributes: ``schema`` = ``avili.dataset``, ``schema_version`` = 1, ``provenance``
(JSON). Training code never reads the ``*_events`` keys. :func:`write_dataset` writes a
whole in-memory :class:`Dataset`; :class:`DatasetWriter` streams the same layout in row chunks.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from avili.artifacts import atomic_output, dumps, require_input
from avili.config import SPLITS
from avili.data.h5write import GuardedH5, new_h5
from avili.errors import AviliError, first_line, json_record, reader, wrong_kind

SCHEMA = "avili.dataset"
SCHEMA_VERSION = 1
EVENT_KEYS = ("audio_events", "visual_events")
REQUIRED = ("audio", "visual", "label", "split", "clip_id", "class_names")


@dataclass
class Dataset:
    """In-memory dataset. Shapes: audio (N, Da) float32, visual (N, Dv) float32,
    label (N,) int64, split (N,) str, clip_id (N,) str, events (N, C) uint8 or None."""

    audio: np.ndarray
    visual: np.ndarray
    label: np.ndarray
    split: np.ndarray
    clip_id: np.ndarray
    class_names: list[str]
    audio_events: np.ndarray | None = None
    visual_events: np.ndarray | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __len__(self) -> int:
        return int(self.label.shape[0])

    def indices(self, split: str) -> np.ndarray:
        """(n,) int64 row indices of one split; raises if the split is empty."""
        if split not in SPLITS:
            raise AviliError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
        idx = np.flatnonzero(self.split == split)
        if idx.size == 0:
            raise AviliError(f"split {split!r} is empty", self.path)
        return idx

    def subset(self, split: str) -> "Dataset":
        """The rows of one split, as a new Dataset."""
        return self.take(self.indices(split))

    def take(self, idx: np.ndarray) -> "Dataset":
        """The rows ``idx`` (n,) int64, in that order, as a new Dataset."""
        pick = lambda a: None if a is None else a[idx]  # noqa: E731
        return replace(self, audio=self.audio[idx], visual=self.visual[idx],
                       label=self.label[idx], split=self.split[idx],
                       clip_id=self.clip_id[idx], audio_events=pick(self.audio_events),
                       visual_events=pick(self.visual_events))


def validate(ds: Dataset, path: str | os.PathLike | None = None) -> None:
    """Check shapes, dtypes, ranges, NaNs, split names and id uniqueness.

    Raises :class:`AviliError` naming ``path`` and the first problem found.
    """
    where = path if path is not None else ds.path
    n = ds.label.shape[0] if ds.label.ndim == 1 else -1
    _check(ds.label.ndim == 1, f"'label' must be 1-D (N,), found shape {ds.label.shape}", where)
    _check(n > 0, "dataset has no clips", where)
    for key in ("audio", "visual"):
        arr = getattr(ds, key)
        _check(arr.ndim == 2, f"'{key}' must be 2-D (N, D), found shape {arr.shape}", where)
        _check(arr.shape[0] == n, f"'{key}' has {arr.shape[0]} rows but 'label' has {n}", where)
        if isinstance(arr, np.ndarray):  # lazy rows are checked as they are read
            _check(np.isfinite(arr).all(), f"'{key}' contains NaN or Inf values "
                   f"({int((~np.isfinite(arr)).any(axis=1).sum())} clips)", where)
    for key in ("split", "clip_id"):
        arr = getattr(ds, key)
        _check(arr.shape == (n,), f"'{key}' must have shape ({n},), found {arr.shape}", where)
    c = len(ds.class_names)
    _check(c >= 2, f"need at least 2 class names, found {c}", where)
    _check(len(set(ds.class_names)) == c, "class names are not unique", where)
    bad = (ds.label < 0) | (ds.label >= c)
    if bad.any():
        raise AviliError(f"'label' values must lie in [0, {c}); found {int(ds.label[bad][0])} "
                         f"({int(bad.sum())} clips out of range)", where)
    unknown = sorted(set(ds.split.tolist()) - set(SPLITS))
    _check(not unknown, f"'split' has unknown values {unknown}; expected {list(SPLITS)}", where)
    _check(len(np.unique(ds.clip_id)) == n, "'clip_id' values are not unique", where)
    _check(len(np.unique(ds.label)) >= 2, "all clips carry one class; need at least 2", where)
    for key in EVENT_KEYS:
        arr = getattr(ds, key)
        if arr is not None:
            _check(arr.shape == (n, c), f"'{key}' must have shape ({n}, {c}), found {arr.shape}",
                   where)


def feature_chunks(shape: tuple[int, int]) -> tuple[int, int]:
    """HDF5 chunk shape of an (N, D) feature array: whole rows, about 1 MiB per chunk, so
    row spans read in streaming (:mod:`avili.data.lazy`) touch only the chunks they need."""
    rows = max(1, min(shape[0], (1 << 20) // (4 * max(1, shape[1]))))
    return (rows, max(1, shape[1]))


def split_counts(split: np.ndarray) -> dict[str, int]:
    """Clips per split name, from (N,) str split names."""
    return {s: int(np.count_nonzero(split == s)) for s in SPLITS}


def _check(ok: bool, message: str, path: str | os.PathLike | None) -> None:
    if not ok:
        raise AviliError(message, path)


def write_dataset(ds: Dataset, path: str | os.PathLike) -> Path:
    """Validate ``ds`` and write it atomically to ``path`` (HDF5)."""
    import h5py

    validate(ds, path)
    strings = h5py.string_dtype("utf-8")
    with atomic_output(path) as tmp:
        with new_h5(tmp, path) as f:
            f.attrs["schema"] = SCHEMA
            f.attrs["schema_version"] = SCHEMA_VERSION
            f.attrs["provenance"] = dumps(ds.provenance)
            for key in ("audio", "visual"):
                x = getattr(ds, key)
                f.create_dataset(key, data=x.astype(np.float32), chunks=feature_chunks(x.shape))
            f.create_dataset("label", data=ds.label.astype(np.int64))
            f.create_dataset("split", data=ds.split.astype(object), dtype=strings)
            f.create_dataset("clip_id", data=ds.clip_id.astype(object), dtype=strings)
            f.create_dataset("class_names", data=np.array(ds.class_names, dtype=object),
                             dtype=strings)
            for key in EVENT_KEYS:
                if getattr(ds, key) is not None:
                    f.create_dataset(key, data=getattr(ds, key).astype(np.uint8))
    return Path(path)


@reader
def read_dataset(path: str | os.PathLike, events: bool = True) -> Dataset:
    """Open and validate an avili dataset. ``events=False`` skips the evaluation-only keys."""
    import h5py

    path = require_input(path)
    try:
        with h5py.File(path, "r") as f:
            return _read_open(f, path, events)
    except OSError as exc:
        raise wrong_kind(f"not a readable HDF5 file ({first_line(exc)})", path,
                         "dataset") from None


def _read_open(f: Any, path: Path, events: bool, features: Any = None) -> Dataset:
    """Read and validate an open file; ``features(f, key)`` reads audio/visual (default:
    whole, as float32)."""
    features = features or (lambda h, key: _numeric(h, key, np.float32, path))
    schema = f.attrs.get("schema")
    if schema != SCHEMA:
        raise wrong_kind(f"not an avili dataset (schema attribute {schema!r}, expected "
                         f"{SCHEMA!r}); convert published features with 'avili extract'", path,
                         "dataset")
    try:
        version = int(f.attrs.get("schema_version", -1))
    except (TypeError, ValueError):
        raise AviliError(f"schema_version {f.attrs.get('schema_version')!r} is not an "
                         "integer", path) from None
    if version != SCHEMA_VERSION:
        raise AviliError(f"dataset schema version {version} is not supported "
                         f"(this avili reads version {SCHEMA_VERSION})", path)
    self_contained(f, path)
    missing = [k for k in REQUIRED if k not in f]
    if missing:
        raise AviliError(f"missing required key(s) {missing}", path)
    ds = Dataset(
        audio=features(f, "audio"), visual=features(f, "visual"),
        label=integers(f["label"][()], "label", path), split=as_strings(f["split"][()]),
        clip_id=as_strings(f["clip_id"][()]), class_names=as_strings(f["class_names"][()]).tolist(),
        provenance=json_record(f.attrs.get("provenance", "{}"), path), path=path)
    if events:
        for key in EVENT_KEYS:
            if key in f:
                setattr(ds, key, flags(f[key][()], key, path))
    validate(ds, path)
    return ds


def self_contained(f: Any, path: Path) -> None:
    """Refuse keys whose data lies outside the file: external links, external raw storage
    and virtual datasets (they could read any file on the machine, or block on one)."""
    import h5py

    for key in f.keys():
        if isinstance(f.get(key, getlink=True), h5py.ExternalLink):
            raise AviliError(f"'{key}' is an external link to another file; avili reads "
                             "self-contained files", path)
        item = f.get(key)
        if isinstance(item, h5py.Dataset) and (item.external or item.is_virtual):
            where = "external raw storage" if item.external else "a virtual dataset"
            raise AviliError(f"'{key}' is stored outside the file ({where}); avili reads "
                             "self-contained files", path)


def _numeric(f: Any, key: str, dtype: type, path: Path) -> np.ndarray:
    arr = f[key][()]
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise AviliError(f"'{key}' must be numeric (real), found dtype {arr.dtype}", path)
    return np.asarray(arr, dtype=dtype)


def flags(arr: np.ndarray, key: str, path: str | os.PathLike | None) -> np.ndarray:
    """``arr`` as uint8 0/1 flags (events, harvested labels); any other value, NaN
    included, is an error naming ``key`` and ``path``."""
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf" or not np.isin(arr, (0, 1)).all():
        raise AviliError(f"'{key}' must hold 0/1 flags", path)
    return arr.astype(np.uint8)


def integers(arr: np.ndarray, key: str, path: str | os.PathLike | None) -> np.ndarray:
    """``arr`` as int64; a non-integer dtype, or a value beyond int64, is an error."""
    arr = np.asarray(arr)
    if arr.dtype.kind not in "iu":
        raise AviliError(f"'{key}' must hold integers, found dtype {arr.dtype}", path)
    if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
        raise AviliError(f"'{key}' holds values beyond the int64 range", path)
    return arr.astype(np.int64)


def as_strings(arr: np.ndarray) -> np.ndarray:
    """(n,) str from an array of str, bytes (UTF-8) or numbers."""
    arr = np.atleast_1d(arr)
    return np.array([a.decode("utf-8") if isinstance(a, bytes) else str(a) for a in arr],
                    dtype=object).astype(str)


class DatasetWriter:
    """Stream an avili dataset to ``path`` in row chunks, atomically.

    ``with DatasetWriter(path, n, da, dv, class_names, provenance) as w:`` then
    ``w.write(rows, audio, visual, label, split, clip_id)`` for consecutive or scattered
    row slices that together cover ``[0, n)`` exactly once. Shapes per call, k rows:
    audio (k, da) float, visual (k, dv) float, label (k,) int in [0, C), split (k,) str,
    clip_id (k,) str, and for each name in ``event_keys`` an ``events[name]`` (k, C) array.

    Rows go to a temporary file beside ``path``; on a clean exit the writer checks that
    every row was written, clip ids are unique and at least two classes occur, then
    fsyncs and renames it into place (:func:`avili.artifacts.atomic_output`). On any
    error nothing appears under ``path``. The layout and attributes equal
    :func:`write_dataset`'s, so :func:`read_dataset` reads the result.
    """

    def __init__(self, path: str | os.PathLike, n: int, audio_dim: int, visual_dim: int,
                 class_names: list[str], provenance: dict[str, Any],
                 event_keys: tuple[str, ...] = ()) -> None:
        self.path = Path(path)
        _check(n > 0, "dataset has no clips", self.path)
        _check(len(class_names) >= 2, f"need at least 2 class names, found {len(class_names)}",
               self.path)
        _check(len(set(class_names)) == len(class_names), "class names are not unique",
               self.path)
        unknown = sorted(set(event_keys) - set(EVENT_KEYS))
        _check(not unknown, f"unknown event keys {unknown}", self.path)
        self.n, self.dims = int(n), {"audio": int(audio_dim), "visual": int(visual_dim)}
        self.class_names, self.provenance = list(class_names), provenance
        self.event_keys = tuple(event_keys)
        self._written = np.zeros(self.n, dtype=bool)
        self._counts = np.zeros(len(self.class_names), dtype=np.int64)
        self._ids: set[str] = set()

    def __enter__(self) -> "DatasetWriter":
        import h5py

        self._atomic = atomic_output(self.path)
        tmp = self._atomic.__enter__()
        try:
            self._h5 = GuardedH5(tmp, self.path)
        except BaseException:
            self._atomic.__exit__(*sys.exc_info())
            raise
        self._file = self._h5.file
        try:
            self._create(self._file, h5py.string_dtype("utf-8"))
        except BaseException as exc:
            self._close_after_error(exc)
            raise
        return self

    def _create(self, f: Any, strings: Any) -> None:
        f.attrs["schema"] = SCHEMA
        f.attrs["schema_version"] = SCHEMA_VERSION
        f.attrs["provenance"] = dumps(self.provenance)
        for key in ("audio", "visual"):
            shape = (self.n, self.dims[key])
            f.create_dataset(key, shape=shape, dtype=np.float32, chunks=feature_chunks(shape))
        f.create_dataset("label", shape=(self.n,), dtype=np.int64)
        f.create_dataset("split", shape=(self.n,), dtype=strings)
        f.create_dataset("clip_id", shape=(self.n,), dtype=strings)
        f.create_dataset("class_names", data=np.array(self.class_names, dtype=object),
                         dtype=strings)
        for key in self.event_keys:
            f.create_dataset(key, shape=(self.n, len(self.class_names)), dtype=np.uint8)

    def write(self, rows: slice, audio: np.ndarray, visual: np.ndarray, label: np.ndarray,
              split: np.ndarray, clip_id: np.ndarray, **events: np.ndarray) -> None:
        """Write k = len(rows) clips; see the class docstring for the shapes."""
        start, stop, k = rows.start or 0, rows.stop, len(label)
        _check(rows.step in (None, 1) and stop is not None and 0 <= start <= stop <= self.n
               and stop - start == k, f"bad row slice {rows} for {k} clips of {self.n}",
               self.path)
        _check(not self._written[start:stop].any(), f"rows {start}..{stop - 1} written twice",
               self.path)
        self._check_chunk(start, k, audio, visual, label, split, clip_id, events)
        self._h5.check()  # a full disk stops the job at once
        f = self._file
        f["audio"][start:stop] = np.asarray(audio, dtype=np.float32)
        f["visual"][start:stop] = np.asarray(visual, dtype=np.float32)
        f["label"][start:stop] = np.asarray(label, dtype=np.int64)
        f["split"][start:stop] = np.asarray(split).astype(str).astype(object)
        f["clip_id"][start:stop] = np.asarray(clip_id).astype(str).astype(object)
        for key in self.event_keys:
            f[key][start:stop] = np.asarray(events[key], dtype=np.uint8)
        self._written[start:stop] = True
        self._counts += np.bincount(np.asarray(label, dtype=np.int64),
                                    minlength=len(self.class_names))

    def _check_chunk(self, start: int, k: int, audio: np.ndarray, visual: np.ndarray,
                     label: np.ndarray, split: np.ndarray, clip_id: np.ndarray,
                     events: dict[str, np.ndarray]) -> None:
        for key, arr in (("audio", audio), ("visual", visual)):
            shape = (k, self.dims[key])
            _check(arr.shape == shape, f"'{key}' chunk must have shape {shape}, found "
                   f"{arr.shape}", self.path)
            bad = np.flatnonzero(~np.isfinite(arr).all(axis=1))
            if bad.size:
                raise AviliError(f"'{key}' contains NaN or Inf values (rows "
                                 f"{start + int(bad[0])}..)", self.path)
        label = np.asarray(label)
        _check(np.issubdtype(label.dtype, np.integer), "'label' must hold integers", self.path)
        c = len(self.class_names)
        bad = (label < 0) | (label >= c)
        if bad.any():
            raise AviliError(f"'label' values must lie in [0, {c}); found {int(label[bad][0])}",
                             self.path)
        unknown = sorted(set(np.asarray(split).astype(str).tolist()) - set(SPLITS))
        _check(not unknown, f"'split' has unknown values {unknown}; expected {list(SPLITS)}",
               self.path)
        ids = np.asarray(clip_id).astype(str).tolist()
        _check(len(split) == k and len(ids) == k, "'split' and 'clip_id' chunks must have "
               f"{k} rows", self.path)
        fresh = set(ids)
        if len(fresh) < k or not self._ids.isdisjoint(fresh):
            raise AviliError(f"'clip_id' values are not unique (e.g. "
                             f"{_first_dup(ids, self._ids)!r})", self.path)
        self._ids |= fresh
        for key in self.event_keys:
            _check(key in events and np.shape(events[key]) == (k, c),
                   f"'{key}' chunk must have shape ({k}, {c})", self.path)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc is not None:
            self._close_after_error(exc)
            return False
        try:
            self._finish()
            self._h5.close()
        except BaseException as error:
            self._close_after_error(error)
            raise
        return bool(self._atomic.__exit__(None, None, None))

    def _close_after_error(self, exc: BaseException) -> None:
        """Close the file and drop the temporary after ``exc``. The disk's refusal, if
        any, is raised instead: it explains whatever failed after it."""
        try:
            self._h5.close()
        except AviliError as refused:
            self._atomic.__exit__(type(refused), refused, refused.__traceback__)
            raise refused from None
        except Exception:  # noqa: BLE001 (the error already on its way out wins)
            pass
        self._atomic.__exit__(type(exc), exc, exc.__traceback__)

    def _finish(self) -> None:
        missing = np.flatnonzero(~self._written)
        if missing.size:
            raise AviliError(f"{missing.size} of {self.n} rows were never written (first "
                             f"{int(missing[0])})", self.path)
        _check(int((self._counts > 0).sum()) >= 2, "all clips carry one class; need at least 2",
               self.path)


def _first_dup(ids: list[str], seen: set[str]) -> str:
    local: set[str] = set()
    for i in ids:
        if i in seen or i in local:
            return i
        local.add(i)
    return ""
