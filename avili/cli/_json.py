"""The ``--json`` documents: one frame and one vocabulary for every command.

A document is one JSON object, strict RFC 8259 (NaN and ±Inf become null), holding the
command's summary plus

- ``schema``: ``avili.<command>/<version>``, e.g. ``avili.teach/1``,
  ``avili.retrieve.search/1``;
- ``avili_version``: the avili that wrote it.

Keys that describe what ``avili info`` describes carry its names: ``best_epoch`` (counted
from 1, :func:`avili.checkpoint.epoch_number`), ``selected_on``, ``best_val_loss`` (a
teacher) or ``best_val_mAP`` (a student), and ``splits`` ({split: clips}). ``avili info``'s
own document names the artifact's schema, schema version and avili version
``artifact_schema``, ``artifact_schema_version`` and ``artifact_avili_version``.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from avili import __version__

SCHEMA_VERSION = 1  # of every command's document; raise it when a key changes meaning


def document(command: str, summary: dict[str, Any]) -> dict[str, Any]:
    """``summary`` (a library result) as the JSON document of ``command``, its words
    after ``avili`` ("teach", "retrieve search")."""
    from avili.artifacts import to_jsonable

    body = _VOCABULARY.get(command, dict)(dict(summary))
    return _finite(to_jsonable({**body, "schema": schema_name(command),
                                "avili_version": __version__}))


def schema_name(command: str) -> str:
    """``avili.<command words joined by dots>/<SCHEMA_VERSION>``."""
    return f"avili.{'.'.join(command.split())}/{SCHEMA_VERSION}"


def _finite(value: Any) -> Any:
    """NaN and ±Inf become null, so --json output is valid JSON (RFC 8259 has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _teach(s: dict[str, Any]) -> dict[str, Any]:
    from avili.checkpoint import best_of

    if "val_loss" in s:
        s.update(best_of("teacher", s.pop("best_epoch"), -s.pop("val_loss")))
    return s


def _distill(s: dict[str, Any]) -> dict[str, Any]:
    from avili.checkpoint import best_of

    if "val_avg_mAP" in s:
        s.update(best_of("student", s.pop("best_epoch"), s.pop("val_avg_mAP")))
    if s.get("selection"):
        s["selection"] = _selection(s["selection"])
    return s


def _selection(record: dict[str, Any]) -> dict[str, Any]:
    """--lir-weight auto's record, its candidates' best epochs counted from 1."""
    from avili.checkpoint import epoch_number

    return {**record, "candidates": [{**c, "best_epoch": epoch_number(c.get("best_epoch"))}
                                     for c in record.get("candidates", [])]}


def _extract(s: dict[str, Any]) -> dict[str, Any]:
    """--synthetic reports train/val/test at the top; every other source under splits."""
    if "splits" not in s and "train" in s:
        s["splits"] = {k: s.pop(k) for k in ("train", "val", "test") if k in s}
    return s


def _demo(s: dict[str, Any]) -> dict[str, Any]:
    chosen = s.get("chosen") or {}
    if chosen.get("selection"):
        s["chosen"] = {**chosen, "selection": _selection(chosen["selection"])}
    return s


def _info(s: dict[str, Any]) -> dict[str, Any]:
    """The artifact's own schema and version, beside the document's."""
    for key in ("schema", "schema_version", "avili_version"):
        s[f"artifact_{key}"] = s.pop(key, None)
    return s


_VOCABULARY: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "teach": _teach, "distill": _distill, "extract": _extract, "demo": _demo, "info": _info}
