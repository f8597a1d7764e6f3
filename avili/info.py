"""``avili info``: what an artifact is and where it came from, without loading its big
arrays.

:func:`describe` recognises a file by its first bytes, never by its name:

- HDF5: a dataset (schema ``avili.dataset``) or a gallery index (``avili-gallery``), by
  the ``schema`` attribute (:mod:`avili.data.describe`);
- a zip archive: a torch checkpoint when it holds ``data.pkl`` (loaded with
  ``weights_only=True``; ``kind`` teacher, student or train_state), otherwise an NPZ told
  apart by its ``schema`` key (``avili.soft_labels`` or ``avili.graph``);
- JSON: a graph export (``infer-graph --format json``, schema ``avili.graph``).

Anything else, or a file that is truncated or corrupt, raises :class:`AviliError`.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

from avili.errors import AviliError, first_line, reader

KINDS = ("dataset", "soft_labels", "graph", "teacher", "student", "train_state", "gallery")
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
NOT_AN_ARTIFACT = ("not an avili artifact (avili writes HDF5 datasets and gallery indexes, "
                   "NPZ soft labels and graphs, .pt checkpoints and graph JSON exports)")


@reader
def describe(path: str | os.PathLike) -> dict[str, Any]:
    """One artifact, as a plain dict: ``path``, ``kind`` (one of :data:`KINDS`),
    ``container`` (HDF5, NPZ, torch .pt, JSON), ``schema``, ``schema_version`` (None where
    the format has none), ``avili_version``, ``seed``, ``config``, ``inputs`` ({role:
    {path, sha256}}), ``clip_ids_sha256``, ``shapes`` ({key: [dims]}), ``class_names``,
    ``splits`` ({split: clips} or None), ``details`` (kind-specific), ``history`` (a
    checkpoint's per-epoch records, :func:`avili.train.log.epoch_records`; None for other
    kinds) and ``provenance`` (the stored record, whole)."""
    from avili.artifacts import require_input

    path = require_input(path)
    with open(path, "rb") as handle:
        head = handle.read(64)
    if not head:
        raise AviliError(f"empty file; {NOT_AN_ARTIFACT}", path)
    container, facts = _sniff(path, head)
    return _normalize(path, container, facts)


def _sniff(path: Path, head: bytes) -> tuple[str, dict[str, Any]]:
    if head.startswith(HDF5_MAGIC):
        from avili.data.describe import describe_hdf5

        return "HDF5", describe_hdf5(path)
    if head.startswith(b"PK"):
        return _archive(path)
    text = head.lstrip()
    if text.startswith(b"{"):
        from avili.graph.export import read_json
        from avili.data.graphfile import describe_graph

        return "JSON", describe_graph(read_json(path))
    if text.startswith(b"<?xml") or b"<graphml" in text:
        raise AviliError("an XML file: avili's GraphML export carries no provenance; "
                         "inspect the graph's .npz or .json instead", path)
    raise AviliError(NOT_AN_ARTIFACT, path)


def _archive(path: Path) -> tuple[str, dict[str, Any]]:
    """A torch checkpoint or an avili NPZ, both zip archives."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise AviliError(f"corrupt or truncated zip archive ({first_line(exc)})", path) from None
    if any(n.endswith("data.pkl") for n in names):
        return "torch .pt", _checkpoint(path)
    from avili.data.softlabels import SCHEMA as SOFT, describe_soft_labels, load_npz
    from avili.data.graphfile import SCHEMA as GRAPH, describe_graph, load_graph

    schema = str(load_npz(path, "avili", ["schema"]).get("schema", ""))
    if schema == SOFT:
        return "NPZ", describe_soft_labels(path)
    if schema == GRAPH:
        return "NPZ", describe_graph(load_graph(path))
    keys = ", ".join(n.removesuffix(".npy") for n in names[:6])
    raise AviliError(f"an NPZ file without an avili schema key (keys: {keys}); "
                     f"{NOT_AN_ARTIFACT}", path)


def _checkpoint(path: Path) -> dict[str, Any]:
    from avili.checkpoint import describe_checkpoint, read_checkpoint
    from avili.train.state import KIND, describe_state

    content = read_checkpoint(path)
    if content.get("kind") == KIND:
        return describe_state(content)
    if content.get("kind") in ("teacher", "student"):
        from avili.train.log import epoch_records

        return {**describe_checkpoint(content),
                "history": epoch_records(content.get("history") or [])}
    raise AviliError(f"unknown checkpoint kind {content.get('kind')!r}", path)


def _normalize(path: Path, container: str, facts: dict[str, Any]) -> dict[str, Any]:
    """The common fields, read off each kind's facts and provenance record."""
    record = facts.get("provenance") or {}
    config = record.get("config") or {}
    inputs = dict(record.get("inputs") or {})
    inputs.update({k: v for k, v in record.items() if isinstance(v, dict) and "sha256" in v})
    return {"path": os.fspath(path), "kind": facts["kind"], "container": container,
            "schema": facts.get("schema"), "schema_version": facts.get("schema_version"),
            "avili_version": facts.get("avili_version") or record.get("avili_version"),
            "seed": record.get("seed", config.get("seed")), "config": config or None,
            "inputs": inputs, "clip_ids_sha256": facts.get("clip_ids_sha256")
            or record.get("clip_ids_sha256"), "shapes": facts.get("shapes") or {},
            "class_names": facts.get("class_names") or [], "splits": facts.get("splits"),
            "details": facts.get("details") or {}, "history": facts.get("history"),
            "provenance": record}


def explain(exc: AviliError) -> AviliError:
    """``exc`` reworded when it refuses a file that is in fact another kind of avili
    artifact (told by content, as :func:`describe` tells it): "is soft labels, expected a
    student checkpoint". Any other error comes back unchanged."""
    from avili.errors import KIND_WORDS, WrongKind

    if not isinstance(exc, WrongKind):
        return exc
    try:
        kind = describe(exc.path)["kind"]
    except AviliError:  # not an artifact either: the reader's message stands
        return exc
    same = kind == exc.expected or (exc.expected == "checkpoint" and kind in (
        "teacher", "student", "train_state"))
    if kind in KIND_WORDS and not same:
        return AviliError(f"is {KIND_WORDS[kind]}, expected {KIND_WORDS[exc.expected]}",
                          exc.path)
    return exc
