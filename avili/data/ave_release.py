"""Format ``ave-release``: the official AVE release folder (Tian et al., ECCV 2018).

Files, N clips of T seconds (N = 4143, T = 10 in the release), C + 1 label columns:

=====================  ==========================  ======================================
file                   shape                       meaning
=====================  ==========================  ======================================
``audio_feature.h5``   (N, T, 128)                 VGGish, one vector per second
``visual_feature.h5``  (N, T, 7, 7, 512)           VGG-19 pool5 maps, one per second
``labels.h5``          (N, T, C + 1)               per-second one-hot, last column background
``train_order.h5``     (k,)                        row indices of the train split
``val_order.h5``       (k,)                        optional; carved from train when absent
``test_order.h5``      (k,)                        row indices of the test split
=====================  ==========================  ======================================

Each file holds one dataset, found as its only key or under ``dataset``, ``avadataset``
or ``order``. Features are mean-pooled to clip level over time (and space): audio
(N, 128), visual (N, 512). The clip label is the class with the most non-background
seconds (ties go to the lowest index). Decisions:

- a clip whose seconds are all background has no clip-level class; it is dropped and
  counted as ``dropped["background_only"]`` (the official release has none);
- a row in no order file is dropped as ``dropped["unassigned"]``; a row listed twice is
  an error; the output keeps source row order and names clips ``ave-release-<row>``;
- class names default to the 28 official categories (:data:`AVE28`). Their order was
  checked against several public AVE loaders that index Annotations.txt categories, which
  agree. Annotations.txt spells seven names with commas ("Male speech, man speaking",
  "Baby cry, infant cry", "Rodents, rats, mice"...); avili keeps slash forms so names
  survive comma-separated lists, and ``classes`` accepts the official spellings too
  (:data:`ALIASES`);
- provenance: files up to 256 MiB are hashed whole; bigger ones (``visual_feature.h5``
  is about 4 GB) record their size and the SHA-256 of their first 64 MiB, which tells
  a different or truncated file apart at a small fraction of the cost.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from avili.config import ImportConfig
from avili.data.import_plan import (SUPPORTED, Segment, make_plan, read_rows,
                                    resolve_names, write_plan)
from avili.errors import AviliError, first_line
from avili.progress import Progress

AVE28 = ["Church bell", "Male speech/man speaking", "Bark", "Fixed-wing aircraft/airplane",
         "Race car/auto racing", "Female speech/woman speaking", "Helicopter", "Violin/fiddle",
         "Flute", "Ukulele", "Frying (food)", "Truck", "Shofar", "Motorcycle",
         "Acoustic guitar", "Train horn", "Clock", "Banjo", "Goat", "Baby cry/infant crying",
         "Bus", "Chainsaw", "Cat", "Horse", "Toilet flush", "Rodents/rats", "Accordion",
         "Mandolin"]
ALIASES = {  # other spellings -> AVE28 name: Annotations.txt's, and the AVE15 subset's
    "Male speech, man speaking": "Male speech/man speaking",
    "Fixed-wing aircraft, airplane": "Fixed-wing aircraft/airplane",
    "Race car, auto racing": "Race car/auto racing",
    "Female speech, woman speaking": "Female speech/woman speaking",
    "Violin, fiddle": "Violin/fiddle", "Baby cry, infant cry": "Baby cry/infant crying",
    "Infant cry": "Baby cry/infant crying", "Rodents, rats, mice": "Rodents/rats"}
FILES = {"audio": "audio_feature.h5", "visual": "visual_feature.h5", "labels": "labels.h5",
         "train": "train_order.h5", "val": "val_order.h5", "test": "test_order.h5"}
OPTIONAL = ("val",)
KEYS = ("dataset", "avadataset", "order")
HASH_WHOLE = 256 << 20
HASH_HEAD = 64 << 20


def check_release(folder: str | os.PathLike) -> None:
    """Raise unless ``folder`` holds the required AVE release files."""
    folder = Path(folder)
    missing = [f for role, f in FILES.items()
               if role not in OPTIONAL and not (folder / f).is_file()]
    if missing:
        raise AviliError(f"not an AVE release folder: missing {', '.join(missing)}; "
                         f"{SUPPORTED}", folder)


def convert_release(folder: str | os.PathLike, out: str | os.PathLike, cfg: ImportConfig,
                    progress: Progress | None = None) -> dict:
    """Convert an AVE release folder into the avili dataset ``out``; returns the summary
    described in :func:`avili.data.importers.import_features`."""
    folder = Path(folder)
    check_release(folder)
    with _open_all(folder) as arrays:
        n, width = _check_shapes(arrays, folder)
        label, background = clip_labels(arrays["labels"], width, cfg.chunk_rows, folder)
        split = _splits(arrays, n, folder)
        unassigned = (split == "") & (label >= 0)
        label = np.where(split == "", -1, label)
        names, origin = resolve_names(None, cfg, label, width, folder, default=AVE28)
        plan = make_plan(label, split, np.array([f"ave-release-{i}" for i in range(n)]), names,
                         cfg, folder, aliases=ALIASES if origin == "official" else None,
                         dropped={"background_only": background,
                                  "unassigned": int(unassigned.sum())})
        segment = Segment(arrays["audio"], arrays["visual"], FILES["audio"], FILES["visual"])
        return write_plan([segment], plan, out, cfg, progress, folder,
                          {"format": "ave-release", "label_encoding": "per-second one-hot",
                           "class_names_source": origin},
                          input_record={"source": fingerprint(folder)})


@contextlib.contextmanager
def _open_all(folder: Path) -> Iterator[dict[str, Any]]:
    """Role -> the h5py dataset of each present release file, all open for the block."""
    with contextlib.ExitStack() as stack:
        arrays = {}
        for role, name in FILES.items():
            if (folder / name).is_file():
                arrays[role] = _only_dataset(stack, folder / name)
        yield arrays


def _only_dataset(stack: contextlib.ExitStack, path: Path) -> Any:
    import h5py

    if path.stat().st_size == 0:
        raise AviliError("file is empty (0 bytes)", path)
    try:
        handle = stack.enter_context(h5py.File(path, "r"))
    except OSError as exc:
        raise AviliError(f"not a readable HDF5 file ({first_line(exc)})", path) from None
    keys = [k for k in handle if isinstance(handle[k], h5py.Dataset)]
    key = keys[0] if len(keys) == 1 else next((k for k in KEYS if k in keys), None)
    if key is None:
        raise AviliError(f"expected one dataset (or one named {', '.join(KEYS)}), found "
                         f"keys {keys}", path)
    return handle[key]


def _check_shapes(arrays: dict[str, Any], folder: Path) -> tuple[int, int]:
    """N clips and C classes, after checking ranks, dtypes and row counts."""
    labels = arrays["labels"]
    if labels.ndim != 3 or labels.shape[-1] < 3:
        raise AviliError(f"must be (N, T, C + 1) per-second one-hot with background last, "
                         f"found shape {labels.shape}", folder / FILES["labels"])
    n = int(labels.shape[0])
    for role in ("audio", "visual", "labels"):
        arr, path = arrays[role], folder / FILES[role]
        if arr.ndim < 2 or not np.issubdtype(arr.dtype, np.number):
            raise AviliError(f"must be numeric (N, ..., D) features, found shape {arr.shape} "
                             f"dtype {arr.dtype}", path)
        if arr.shape[0] != n:
            raise AviliError(f"has {arr.shape[0]} rows but {FILES['labels']} has {n}", path)
    return n, int(labels.shape[-1]) - 1


def clip_labels(labels: Any, c: int, chunk_rows: int, folder: Path) -> tuple[np.ndarray, int]:
    """(N, T, C + 1) per-second labels -> (N,) int64 majority class over non-background
    seconds (ties to the lowest index; -1 for background-only clips) and how many clips
    were background-only."""
    n, out = int(labels.shape[0]), []
    for start in range(0, n, chunk_rows):
        block = read_rows(labels, start, min(start + chunk_rows, n), FILES["labels"], folder)
        if not np.isfinite(block).all() or (block < 0).any():
            raise AviliError(f"negative, NaN or Inf values in rows {start}.."
                             f"{start + len(block) - 1}", folder / FILES["labels"])
        seconds = block[..., :c].astype(np.float64).sum(axis=1)  # (k, C) active seconds
        out.append(np.where(seconds.max(axis=1) > 0, seconds.argmax(axis=1), -1))
    label = np.concatenate(out).astype(np.int64)
    return label, int((label < 0).sum())


def _splits(arrays: dict[str, Any], n: int, folder: Path) -> np.ndarray:
    """(N,) str split from the order files; "" for rows in none of them."""
    split = np.full(n, "", dtype="<U5")
    for role in ("train", "val", "test"):
        if role not in arrays:
            continue
        path = folder / FILES[role]
        idx = read_rows(arrays[role], 0, int(arrays[role].shape[0]), FILES[role], folder)
        idx = np.asarray(idx).reshape(-1)
        if not np.issubdtype(idx.dtype, np.number) or not np.all(np.mod(idx, 1) == 0):
            raise AviliError(f"must hold integer row indices, found dtype {idx.dtype}", path)
        idx = idx.astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise AviliError(f"row index {int(idx[(idx < 0) | (idx >= n)][0])} out of range "
                             f"[0, {n})", path)
        taken = idx[split[idx] != ""]
        uniq, counts = np.unique(idx, return_counts=True)
        if taken.size or (counts > 1).any():
            row = int(taken[0]) if taken.size else int(uniq[counts > 1][0])
            raise AviliError(f"row {row} is listed twice (in this or an earlier order file)",
                             path)
        split[idx] = role
    return split


def fingerprint(folder: Path) -> dict[str, Any]:
    """{"path", "files": {name: {"size", "sha256" or "sha256_first_64MiB"}}} for the
    release files present; see the module docstring for why big files are hashed in part."""
    files = {}
    for name in FILES.values():
        path = folder / name
        if not path.is_file():
            continue
        size = path.stat().st_size
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            left = size if size <= HASH_WHOLE else HASH_HEAD
            while left > 0:
                block = handle.read(min(1 << 20, left))
                if not block:
                    break
                digest.update(block)
                left -= len(block)
        key = "sha256" if size <= HASH_WHOLE else "sha256_first_64MiB"
        files[name] = {"size": size, key: digest.hexdigest()}
    return {"path": os.fspath(folder), "files": files}
