"""The gallery index file (``.avx``, HDF5): a split's embeddings, stored once, searched
many times by ``avili retrieve search``.

Keys: ``audio`` and ``visual`` (N, E) float32 L2-normalized embeddings of the same N
clips, ``clip_id`` (N,) str, ``label`` (N,) int, ``class_names`` (C,) str, and optionally
``ivfpq_audio`` / ``ivfpq_visual`` (bytes,) uint8, serialized faiss IVF-PQ indexes of that
modality's embeddings (classic or fast-scan; their candidates are re-ranked exactly
against the stored embeddings, so the format did not change with the refine step). Attributes: ``schema`` = "avili-gallery", ``schema_version``,
``provenance`` (JSON: version, config, the model and data with their SHA-256, the IVF-PQ
recall@10 against exact search).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from avili.artifacts import atomic_output, ids_sha256, require_input, to_jsonable
from avili.data.schema import as_strings
from avili.errors import AviliError, first_line, json_record, reader, wrong_kind

SCHEMA, SCHEMA_VERSION = "avili-gallery", 1
MODALITIES = ("audio", "visual")


@dataclass
class Gallery:
    """Embeddings of one split: audio, visual (N, E) float32; clip_id (N,); label (N,)."""

    audio: np.ndarray | None  # None while being written block by block
    visual: np.ndarray | None
    clip_id: np.ndarray
    label: np.ndarray
    class_names: list[str]
    provenance: dict[str, Any] = field(default_factory=dict)
    ivfpq: dict[str, bytes] = field(default_factory=dict)  # modality -> faiss index bytes
    path: Path | None = None

    def __len__(self) -> int:
        return int(self.clip_id.shape[0])


def write_gallery(g: Gallery, path: str | os.PathLike,
                  chunks: Iterable[tuple[np.ndarray, np.ndarray]] | None = None) -> Path:
    """Write ``g`` atomically to ``path``. With ``chunks`` (consecutive (k, E) audio and
    visual embedding blocks covering the N clips in order), ``g.audio``/``g.visual`` are
    not used and the embeddings go to the file block by block, never all in memory."""
    import h5py

    from avili.data.h5write import new_h5

    with atomic_output(path) as tmp:
        with new_h5(tmp, path) as f:
            f.attrs["schema"], f.attrs["schema_version"] = SCHEMA, SCHEMA_VERSION
            f.attrs["provenance"] = json.dumps(to_jsonable(g.provenance), sort_keys=True)
            if chunks is None:
                for key in MODALITIES:
                    f.create_dataset(key, data=np.asarray(getattr(g, key), dtype=np.float32))
            else:
                _write_chunks(f, chunks, len(g), path)
            strings = h5py.string_dtype("utf-8")
            f.create_dataset("clip_id", data=np.asarray(g.clip_id, dtype=object), dtype=strings)
            f.create_dataset("class_names", data=np.asarray(g.class_names, dtype=object),
                             dtype=strings)
            f.create_dataset("label", data=np.asarray(g.label, dtype=np.int64))
            for key, blob in g.ivfpq.items():
                f.create_dataset(f"ivfpq_{key}", data=np.frombuffer(blob, dtype=np.uint8))
    return Path(path)


def _write_chunks(f: Any, chunks: Iterable[tuple[np.ndarray, np.ndarray]], n: int,
                  path: str | os.PathLike) -> None:
    start = 0
    for block in chunks:
        if start == 0:
            for key, part in zip(MODALITIES, block):
                f.create_dataset(key, shape=(n, part.shape[1]), dtype=np.float32)
        k = block[0].shape[0]
        for key, part in zip(MODALITIES, block):
            f[key][start:start + k] = part
        start += k
    if start != n:
        raise AviliError(f"gallery got {start} embedded clips for {n} ids", path)


@reader
def read_gallery(path: str | os.PathLike) -> Gallery:
    """Open and check a gallery index; every problem is an AviliError naming the file."""
    import h5py

    path = require_input(path)
    try:
        with h5py.File(path, "r") as f:
            check_layout(f, path)
            return Gallery(audio=f["audio"][()], visual=f["visual"][()],
                           clip_id=as_strings(f["clip_id"][()]), label=f["label"][()],
                           class_names=as_strings(f["class_names"][()]).tolist(),
                           provenance=json_record(f.attrs.get("provenance", "{}"), path),
                           ivfpq={m: f[f"ivfpq_{m}"][()].tobytes() for m in MODALITIES
                                  if f"ivfpq_{m}" in f}, path=path)
    except OSError as exc:
        raise wrong_kind(f"not a readable HDF5 file ({first_line(exc)})", path,
                         "gallery") from None


def check_layout(f: Any, path: Path) -> None:
    """Check an open gallery file's schema, keys, clip counts and embedding shapes from
    shapes alone (no embedding is read), and its labels' range."""
    if f.attrs.get("schema") != SCHEMA:
        raise wrong_kind("not an avili gallery index (build one with 'avili "
                         "retrieve index')", path, "gallery")
    missing = [k for k in (*MODALITIES, "clip_id", "label", "class_names") if k not in f]
    if missing:
        raise AviliError(f"missing required key(s) {missing}", path)
    n = f["clip_id"].shape[0] if f["clip_id"].ndim == 1 else -1
    rows = [f[k].shape[0] if f[k].ndim else -1 for k in (*MODALITIES, "label")]
    if rows != [n] * 3 or f["label"].ndim != 1:
        raise AviliError(f"keys disagree on the number of clips ({', '.join(map(str, rows))}, "
                         f"{n})", path)
    dims = [f[m].shape for m in MODALITIES]
    if any(len(d) != 2 for d in dims) or dims[0][1] != dims[1][1]:
        raise AviliError(f"embeddings must be (N, E) arrays of one size E; found "
                         f"{', '.join(f'{m} {d}' for m, d in zip(MODALITIES, dims))}", path)
    label, classes = f["label"][()], f["class_names"].shape[0] if f["class_names"].ndim else 0
    if not np.issubdtype(label.dtype, np.integer) or (label.size and (
            label.min() < 0 or label.max() >= classes)):
        raise AviliError(f"'label' must hold class indices in [0, {classes}); found "
                         f"{label.dtype} values {label.min() if label.size else ''}.."
                         f"{label.max() if label.size else ''}", path)


def describe_gallery(f: Any, path: Path) -> dict[str, Any]:
    """What ``avili info`` shows of an open gallery file: shapes, class names, the clip-id
    list hash, provenance. Reads ids and class names, never the (N, E) embeddings."""
    check_layout(f, path)
    provenance = json_record(f.attrs.get("provenance", "{}"), path)
    split = (provenance.get("config") or {}).get("split")
    return {"kind": "gallery", "schema": SCHEMA,
            "schema_version": int(f.attrs.get("schema_version", -1)),
            "shapes": {k: list(f[k].shape) for k in (*MODALITIES, "clip_id", "label")},
            "class_names": as_strings(f["class_names"][()]).tolist(),
            "clip_ids_sha256": ids_sha256(as_strings(f["clip_id"][()]).tolist()),
            "provenance": provenance,
            "splits": {split: int(f["clip_id"].shape[0])} if split else None,
            "details": {"ivfpq": [m for m in MODALITIES if f"ivfpq_{m}" in f],
                        **({} if split else {"clips": "every clip of its dataset"})}}
