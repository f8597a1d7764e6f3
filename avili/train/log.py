"""Per-epoch training logs beside a checkpoint, and optional TensorBoard scalars.

``teach`` and ``distill`` write ``<checkpoint>.log.jsonl`` (one JSON object per epoch)
and ``<checkpoint>.log.csv`` (the same records as a table) with the checkpoint, in one
:func:`avili.artifacts.output_group`. A record holds ``epoch`` (counted from 1), the
mean of each named training loss term (``total`` and the loss's own terms), ``val_score``
(higher is better: val avg mAP for a student, minus the val loss for a teacher), ``lr``
and the epoch's wall time ``seconds``. Every value but ``seconds`` equals the checkpoint's
``history``. TensorBoard (the ``avili[tensorboard]`` extra) gets the same scalars, step =
epoch, written when training ends.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any, Sequence

from avili.artifacts import atomic_output
from avili.errors import AviliError

SUFFIXES = (".log.jsonl", ".log.csv")
LAST = ("val_score", "lr", "seconds")  # columns after the loss terms


def log_paths(checkpoint: str | os.PathLike) -> list[Path]:
    """``student.pt`` -> [``student.pt.log.jsonl``, ``student.pt.log.csv``]."""
    return [Path(f"{os.fspath(checkpoint)}{suffix}") for suffix in SUFFIXES]


def epoch_records(history: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per epoch of a fit history (:class:`avili.train.loop.FitResult`):
    ``epoch`` counted from 1 (:func:`avili.checkpoint.epoch_number`), loss terms first,
    non-finite numbers as None."""
    from avili.checkpoint import epoch_number

    records = []
    for position, entry in enumerate(history):
        terms = sorted(k for k in entry if k not in LAST and k != "epoch")
        record = {"epoch": epoch_number(entry.get("epoch", position)),
                  **{k: entry[k] for k in ("total", *terms) if k in entry},
                  **{k: entry[k] for k in LAST if k in entry}}
        records.append({k: None if isinstance(v, float) and not math.isfinite(v) else v
                        for k, v in record.items()})
    return records


def write_logs(history: Sequence[dict[str, Any]], checkpoint: str | os.PathLike) -> list[Path]:
    """Write the JSON-lines and CSV logs of ``history`` beside ``checkpoint``, each
    atomically (inside the caller's output group, with the checkpoint)."""
    records = epoch_records(history)
    jsonl, table = log_paths(checkpoint)
    with atomic_output(jsonl) as tmp:
        tmp.write_text("".join(json.dumps(r, allow_nan=False) + "\n" for r in records))
    columns = list(dict.fromkeys(k for r in records for k in r))
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    with atomic_output(table) as tmp:
        tmp.write_text(text.getvalue())
    return [jsonl, table]


def require_tensorboard() -> Any:
    """torch's ``SummaryWriter`` class, or an error naming the extra to install."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise AviliError("--tensorboard needs the tensorboard package: "
                         "pip install 'avili[tensorboard]'") from None
    return SummaryWriter


def write_tensorboard(history: Sequence[dict[str, Any]], logdir: str | os.PathLike) -> None:
    """The epoch records as TensorBoard scalars in ``logdir``: ``train/<term>``,
    ``val/score``, ``lr`` and ``seconds``, step = epoch (from 1)."""
    writer = require_tensorboard()(log_dir=os.fspath(logdir))
    try:
        for record in epoch_records(history):
            for key, value in record.items():
                if key != "epoch" and value is not None:
                    tag = {"val_score": "val/score"}.get(key, key if key in LAST
                                                          else f"train/{key}")
                    writer.add_scalar(tag, value, record["epoch"])
    finally:
        writer.close()
