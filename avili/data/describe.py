"""What ``avili info`` shows of an HDF5 artifact (a dataset or a gallery index): shapes,
class names, split counts, the clip-id list hash and provenance. Only small keys are
read; the (N, D) features and (N, E) embeddings stay on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from avili.artifacts import ids_sha256
from avili.data import gallery, schema
from avili.data.lazy import lazy_rows
from avili.errors import AviliError, first_line


def describe_hdf5(path: Path) -> dict[str, Any]:
    """The :func:`describe_dataset` or :func:`avili.data.gallery.describe_gallery` of the
    HDF5 file at ``path``, chosen by its ``schema`` attribute."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            found = f.attrs.get("schema")
            if found == gallery.SCHEMA:
                return gallery.describe_gallery(f, path)
            if found == schema.SCHEMA:
                return describe_dataset(f, path)
    except (OSError, KeyError, RuntimeError) as exc:
        raise AviliError(f"not a readable HDF5 file ({first_line(exc)})", path) from None
    raise AviliError(f"an HDF5 file, but not an avili artifact (schema attribute {found!r}; "
                     f"avili writes {schema.SCHEMA!r} and {gallery.SCHEMA!r})", path)


def describe_dataset(f: Any, path: Path) -> dict[str, Any]:
    """An open dataset file, validated as :func:`avili.data.schema.read_dataset` does but
    with the features left unread; ``shapes`` also lists the optional event keys."""
    ds = schema._read_open(f, path, False, lambda h, key: lazy_rows(h, key, path))
    present = [k for k in schema.EVENT_KEYS if k in f]
    return {"kind": "dataset", "schema": schema.SCHEMA, "schema_version": schema.SCHEMA_VERSION,
            "shapes": {k: list(f[k].shape) for k in (*schema.REQUIRED, *present)},
            "class_names": ds.class_names,
            "splits": schema.split_counts(ds.split),
            "clip_ids_sha256": ids_sha256(ds.clip_id.tolist()), "provenance": ds.provenance,
            "details": {"feature_dtypes": {k: str(f[k].dtype) for k in ("audio", "visual")},
                        "event_keys": present}}
