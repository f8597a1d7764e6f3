"""Checkpoints (.pt) hold only tensors, strings and numbers, and are always loaded with
``torch.load(..., weights_only=True)``: a file that needs unpickling of arbitrary objects
is refused, never executed.

Keys: ``schema`` (``avili.checkpoint``), ``format`` (layout version), ``kind`` (``teacher`` or ``student``),
``avili_version``, ``config`` (the stage config as a dict), ``state_dict`` (weights and the
feature standardization buffers), ``class_names``, ``dims`` ({"audio": Da, "visual": Dv}),
``history`` (per-epoch loss terms and validation score), ``best_epoch``, ``best_score``,
``extra`` (kind-specific numbers), ``provenance`` (JSON string).
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from avili import __version__
from avili.artifacts import atomic_output, dumps, require_input
from avili.errors import AviliError, first_line, json_record, reader, wrong_kind

SCHEMA = "avili.checkpoint"
FORMAT = 1  # bumped when the layout changes; files without the key are format 1


def save_checkpoint(path: str | os.PathLike, kind: str, payload: dict[str, Any],
                    record: dict[str, Any]) -> Path:
    """Write ``payload`` (config, state_dict, class_names, ...) atomically with provenance."""
    content = {"schema": SCHEMA, "format": FORMAT, "kind": kind, "avili_version": __version__,
               "provenance": dumps(record), **payload}
    buffer = io.BytesIO()  # not the temporary's path: torch names the archive after it,
    torch.save(content, buffer)  # so the same content would not give the same bytes
    with atomic_output(path) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return Path(path)


@reader
def load_checkpoint(path: str | os.PathLike, kind: str) -> dict[str, Any]:
    """Load safely and check schema, format and kind; clear errors for anything else."""
    content = read_checkpoint(path, kind)
    if content.get("kind") != kind:
        raise AviliError(f"is a {content.get('kind')} checkpoint, expected a {kind} checkpoint",
                         path)
    return content


@reader
def read_checkpoint(path: str | os.PathLike, expected: str = "checkpoint") -> dict[str, Any]:
    """Load an avili checkpoint of any kind safely and check its schema and format;
    ``expected`` names the kind the caller wants, for the error when the file is another
    artifact (:func:`avili.errors.wrong_kind`)."""
    path = require_input(path)
    if not zipfile.is_zipfile(path):
        raise wrong_kind("not a readable avili checkpoint (not a torch .pt archive)", path,
                         expected)
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise AviliError("checkpoint needs unsafe unpickling (arbitrary code); refused",
                         path) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise wrong_kind(f"not a readable avili checkpoint ({first_line(exc)[:120]})", path,
                         expected) from None
    if not isinstance(content, dict) or content.get("schema") != SCHEMA:
        raise wrong_kind("not an avili checkpoint", path, expected)
    if content.get("format", 1) != FORMAT:
        raise AviliError(f"checkpoint format {content.get('format')} is not supported (this "
                         f"avili {__version__} reads format {FORMAT})", path)
    return content


def describe_checkpoint(content: dict[str, Any]) -> dict[str, Any]:
    """What ``avili info`` shows of a loaded teacher or student checkpoint: input dims,
    class names, parameter count, the best epoch and its validation score."""
    kind, weights = str(content.get("kind")), content.get("state_dict") or {}
    details = {"parameters": sum(int(t.numel()) for t in weights.values()),
               "epochs_trained": len(content.get("history") or []),
               **best_of(kind, content.get("best_epoch"), content.get("best_score"))}
    temperatures = (content.get("extra") or {}).get("temperatures")
    if temperatures is not None:
        details["temperatures"] = temperatures
    record = json_record(content.get("provenance") or "{}", None)
    if record.get("training"):  # streamed from disk, or in memory (avili.train.stream)
        details["training"] = record["training"]
    if record.get("selection"):  # --lir-weight auto: the val curve (avili.train.select)
        sel = record["selection"]
        details["lir_chosen_on_val"] = sel["chosen"]
        details["lir_candidates"] = "; ".join(  # (lir weight, graph weight): val mAP
            f"({c['lir_weight']:g}, {c['graph_weight']:g}): {c['val_avg_mAP']:.4f}"
            for c in sel["candidates"])
    return {"kind": kind, "schema": SCHEMA, "schema_version": content.get("format", 1),
            "avili_version": content.get("avili_version"),
            "shapes": {m: [int(d)] for m, d in (content.get("dims") or {}).items()},
            "class_names": list(content.get("class_names") or []), "splits": None,
            "provenance": record, "details": details}


def epoch_number(index: Any) -> int | None:
    """An epoch as users see it, counted from 1, from the 0-based index that training,
    checkpoints and training states store (``best_epoch``, ``history[i]["epoch"]``). The
    one conversion: stdout, --json and ``avili info`` all go through it."""
    return None if index is None or int(index) < 0 else int(index) + 1


def best_of(kind: str, epoch: Any, score: Any) -> dict[str, Any]:
    """The best epoch (counted from 1, :func:`epoch_number`; ``epoch`` is the stored
    0-based index) and its validation score, named: a student keeps the epoch of the
    highest val mAP; a teacher the lowest val loss (stored as ``best_score`` = -loss)."""
    epoch = epoch_number(epoch)
    if score is None:
        return {"best_epoch": epoch}
    if kind == "teacher":
        return {"best_epoch": epoch, "selected_on": "val loss (lower is better)",
                "best_val_loss": -float(score)}
    return {"best_epoch": epoch, "selected_on": "val mAP (average of a2v and v2a)",
            "best_val_mAP": float(score)}
