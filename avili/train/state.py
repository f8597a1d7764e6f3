"""Per-epoch training state, for ``--resume`` after an interruption.

After every epoch, ``fit`` writes ``<checkpoint>.state.pt`` atomically: the epoch, the
model, optimizer and loss-module weights, every random-number state (Python's
``random``, numpy's global, torch's global, every CUDA device's when the run uses CUDA,
and the batch-shuffling generator), the best
epoch so far with its weights, the history, and the stage config. Everything is stored as
tensors, strings and numbers and loaded with ``weights_only=True``. Resuming restores all
of it, so an interrupted run ends with the same weights as an uninterrupted one on the
same device. A different config is refused, naming the fields that differ; only
``epochs`` may grow. The state stays after the run finishes, so ``--resume --epochs N+k``
extends a finished run exactly as if it had been started with N+k epochs (no schedule
depends on the epoch count). States written before a config field existed read as
that field's old behaviour (:data:`ADDED_FIELDS`), and before CUDA states were saved as
having none.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from avili.checkpoint import SCHEMA, best_of, load_checkpoint, save_checkpoint
from avili.errors import AviliError, reader

KIND = "train_state"
# config fields added after states were first written, with the value that matches how
# those older runs trained, so their states still resume
ADDED_FIELDS = {"amp": "off", "tf32": False}


@dataclass
class Resumable:
    """Where the training state goes (``path``), the config it must match, whether to
    resume from it, and extra modules with weights (e.g. a loss's class proxies, the fp16
    gradient scaler)."""

    path: Path
    config: dict[str, Any]
    resume: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # anything with a state_dict
    save: bool = True  # False on every rank but 0 under torchrun
    cuda: bool = False  # the run uses CUDA: save and restore the CUDA random states too


def resumable(path: Path | None, config: dict[str, Any], resume: bool, save: bool,
              device: torch.device, extra: dict[str, Any]) -> Resumable | None:
    """The :class:`Resumable` of a run keeping its state at ``path`` (None: keeps none) on
    ``device``; ``extra`` entries that are None (e.g. no gradient scaler) are left out."""
    if path is None:
        return None
    return Resumable(path, config, resume, {k: v for k, v in extra.items() if v is not None},
                     save, device.type == "cuda")


def state_path(checkpoint: str | os.PathLike) -> Path:
    """``student.pt`` -> ``student.pt.state.pt``."""
    return Path(f"{os.fspath(checkpoint)}.state.pt")


def _rng_state(generator: torch.Generator, cuda: bool = False) -> dict[str, Any]:
    """Every random state; ``cuda``: also each CUDA device's, as a list of uint8 tensors."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"python": [version, list(internal), gauss], "torch": torch.get_rng_state(),
             "generator": generator.get_state(),
             "numpy": [kind, torch.as_tensor(keys.astype(np.int64)), pos, has_gauss, cached]}
    if cuda:
        state["cuda"] = list(torch.cuda.get_rng_state_all())
    return state


def _set_rng_state(state: dict[str, Any], generator: torch.Generator,
                   cuda: bool = False) -> None:
    """Restore :func:`_rng_state`; a state without CUDA states (an older or a CPU run's)
    leaves the CUDA generators as seeded."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    generator.set_state(state["generator"])
    if cuda and state.get("cuda"):
        saved = state["cuda"]
        if len(saved) != torch.cuda.device_count():
            raise AviliError(f"the training state holds random states of {len(saved)} CUDA "
                             f"devices, this machine has {torch.cuda.device_count()}; resume "
                             "where the run started")
        torch.cuda.set_rng_state_all(saved)


def save_state(r: Resumable, epoch: int, model: torch.nn.Module, optimizer: Any,
               generator: torch.Generator, best: Any, history: list[dict]) -> None:
    """Write the state after ``epoch`` atomically."""
    payload = {"config": json.dumps(r.config, sort_keys=True), "epoch": epoch,
               "model": model.state_dict(), "optimizer": optimizer.state_dict(),
               "extra": {k: m.state_dict() for k, m in r.extra.items()},
               "rng": _rng_state(generator, r.cuda), "best_state": best.best_state,
               "best_epoch": best.best_epoch, "best_score": best.best_score,
               "history": json.dumps(history)}
    save_checkpoint(r.path, KIND, payload, {"kind": KIND})


@reader
def load_state(r: Resumable, model: torch.nn.Module, optimizer: Any,
               generator: torch.Generator) -> tuple[int, dict[str, Any]]:
    """Restore everything from ``r.path``; returns (first epoch to run, state), the state's
    ``history`` parsed (a list of per-epoch dicts) and its best epoch checked against the
    model. Whatever a damaged file provokes is one error naming it (:func:`reader`)."""
    if not r.path.is_file():
        raise AviliError("--resume: no training state to resume from (it is written after "
                         "each epoch of a run with the same output)", r.path)
    state = load_checkpoint(r.path, KIND)
    stored = {**ADDED_FIELDS, **json.loads(state["config"])}
    current = json.loads(json.dumps(r.config, sort_keys=True))  # tuples read back as lists
    theirs, mine = stored.pop("inputs", None) or {}, current.pop("inputs", None) or {}
    other = _differing(theirs, mine)
    if other:
        raise AviliError(f"--resume with other input files than the interrupted run "
                         f"({', '.join(other)} differ); pass the same inputs, or "
                         "--overwrite without --resume to start over", r.path)
    done = int(state["epoch"]) + 1
    if int(current.get("epochs", done)) < done:
        raise AviliError(f"--resume: this run has already trained {done} epochs; pass "
                         f"--epochs {done} to finish it, or more to extend it", r.path)
    stored.pop("epochs", None)  # more epochs extend the run
    current.pop("epochs", None)
    differ = _differing(stored, current)
    if differ:
        raise AviliError("--resume with a different config; differing fields: "
                         + ", ".join(f"{k} ({stored.get(k)!r} -> {current.get(k)!r})"
                                     for k in differ), r.path)
    _check_weights(state["best_state"], model)
    state["history"] = json.loads(state["history"])
    if not isinstance(state["history"], list) or not all(
            isinstance(h, dict) for h in state["history"]):
        raise AviliError("'history' must be a JSON list of per-epoch records", r.path)
    state["best_epoch"], state["best_score"] = int(state["best_epoch"]), float(
        state["best_score"])
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    for key, module in r.extra.items():
        module.load_state_dict(state["extra"][key])
    _set_rng_state(state["rng"], generator, r.cuda)
    return done, state


def _differing(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The keys whose values differ between ``a`` and ``b`` (missing counts as None)."""
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def _check_weights(weights: Any, model: torch.nn.Module) -> None:
    """``weights`` fit ``model``: the same tensor names and shapes."""
    mine = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if not isinstance(weights, dict) or {k: tuple(getattr(v, "shape", ())) for k, v in
                                         weights.items()} != mine:
        raise AviliError("the best epoch's weights do not fit the model")


def describe_state(content: dict[str, Any]) -> dict[str, Any]:
    """What ``avili info`` shows of a loaded training state: its stage, the epochs done, the
    best epoch so far with its validation score, and the config a resume must match."""
    config = json.loads(content["config"])
    stage = "student" if "loss" in config else "teacher"  # only DistillConfig has a loss
    model = content.get("model") or {}
    return {"kind": KIND, "schema": SCHEMA, "schema_version": content.get("format", 1),
            "avili_version": content.get("avili_version"), "shapes": {}, "class_names": [],
            "splits": None, "provenance": {"config": config, "seed": config.get("seed")},
            "details": {"stage": stage, "epochs_done": int(content["epoch"]) + 1,
                        "epochs": config.get("epochs"),
                        "parameters": sum(int(t.numel()) for t in model.values()),
                        **best_of(stage, content.get("best_epoch"), content.get("best_score")),
                        "resume": "rerun the same command with --resume"}}
