"""Loading trained students and pairing them with datasets (shared by evaluation and
retrieval)."""

from __future__ import annotations

import os
from typing import Any, Sequence

from avili.config import DistillConfig
from avili.errors import AviliError, reader

PathLike = str | os.PathLike


@reader
def load_student(path: PathLike) -> tuple[Any, dict[str, Any]]:
    """Rebuild a student from its checkpoint (safe loading). Returns (model, checkpoint)."""
    from avili.checkpoint import load_checkpoint
    from avili.config import config_from_dict
    from avili.models import build_student

    ckpt = load_checkpoint(path, "student")
    cfg = config_from_dict(DistillConfig, ckpt["config"])
    model = build_student(ckpt["dims"]["audio"], ckpt["dims"]["visual"], cfg.hidden,
                          cfg.embed_dim, cfg.dropout)
    try:
        model.load_state_dict(ckpt["state_dict"])
    except (RuntimeError, KeyError) as exc:
        raise AviliError(f"weights do not fit the stored config ({str(exc)[:100]})", path) from None
    model.eval()
    return model, ckpt


def student_and_data(model_path: PathLike, data: PathLike, events: bool,
                     max_memory: int | None = None) -> tuple[Any, Any]:
    """The student and the dataset, checked to belong together. Features beyond
    ``max_memory`` bytes stay on disk and are read in chunks (:mod:`avili.data.lazy`)."""
    models, ds = students_and_data([model_path], data, events, max_memory)
    return models[0], ds


def students_and_data(model_paths: Sequence[PathLike], data: PathLike, events: bool,
                      max_memory: int | None = None) -> tuple[list[Any], Any]:
    """Several students and the one dataset they are evaluated on, read once; each
    student is checked to belong to it (classes and feature sizes)."""
    from avili.data.lazy import open_dataset

    loaded = [load_student(path) for path in model_paths]  # model errors come first
    ds = open_dataset(data, max_memory, events=events)
    for model_path, (_, ckpt) in zip(model_paths, loaded):
        if list(ckpt["class_names"]) != list(ds.class_names):
            raise AviliError(f"model {model_path} does not match {data}: trained on other "
                             "classes")
        dims = (ds.audio.shape[1], ds.visual.shape[1])
        if dims != (ckpt["dims"]["audio"], ckpt["dims"]["visual"]):
            raise AviliError(f"model {model_path} does not match {data}: it expects feature "
                             f"sizes {ckpt['dims']['audio']}/{ckpt['dims']['visual']}, the data "
                             f"has {dims[0]}/{dims[1]}")
    return [model for model, _ in loaded], ds
