"""The shared training loop: seeded shuffling, named loss terms, per-epoch validation,
and best-epoch selection on the validation split (never the test split)."""

from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from avili.errors import AviliError
from avili.models import resolve_device  # noqa: F401 (its home before eval needed it)
from avili.progress import NullProgress, Progress
from avili.train.precision import Precision
from avili.train.state import Resumable, load_state, save_state

StepFn = Callable[[torch.Tensor], dict[str, torch.Tensor]]
OrderFn = Callable[[int, torch.Generator], list[torch.Tensor]]


def seed_everything(seed: int) -> torch.Generator:
    """Seed ``random``, numpy and torch; return a CPU generator for batch shuffling."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@dataclass
class FitResult:
    """best_state: weights of the best validation epoch; history: one dict per epoch with
    its 0-based ``epoch``, the mean of each loss term, ``val_score``, the learning rate
    ``lr`` and the wall time ``seconds`` (the one key that differs between identical
    runs, so checkpoints store :func:`reproducible` history)."""

    best_state: dict[str, torch.Tensor]
    best_epoch: int
    best_score: float
    history: list[dict[str, float]] = field(default_factory=list)


WALL_CLOCK = ("seconds",)  # history keys that differ between identical runs


def reproducible(history: list[dict[str, float]]) -> list[dict[str, float]]:
    """``history`` without its wall-clock keys: what checkpoints store, so that the same
    seed gives byte-identical files."""
    return [{k: v for k, v in h.items() if k not in WALL_CLOCK} for h in history]


def fit(model: torch.nn.Module, step: StepFn, order: OrderFn, epochs: int, batch_size: int,
        optimizer: torch.optim.Optimizer, validate: Callable[[], float],
        generator: torch.Generator, progress: Progress | None = None,
        description: str = "train", on_epoch: Callable[[int], None] | None = None,
        resumable: Resumable | None = None, batch_multiple: int = 1,
        val_text: Callable[[float], str] = "val {:.4f}".format,
        precision: Precision | None = None) -> FitResult:
    """Train for ``epochs``; ``order(batch_size, generator)`` gives each epoch's batches
    of train positions (:mod:`avili.train.stream`).

    ``step(idx)`` returns named loss terms including ``"total"``, which is minimized.
    ``validate()`` returns a score (higher is better) used to keep the best epoch;
    ``val_text(score)`` shows it on the progress bar under its own name and sign.
    ``on_epoch(epoch)`` runs before each epoch (e.g. a loss's warm-up schedule). With
    ``resumable``, the training state is saved after every epoch and, when asked,
    restored first (:mod:`avili.train.state`). ``batch_multiple`` (the world size under
    torchrun) trims each batch to a multiple of itself, so every rank gets an equal slice.
    ``precision`` (:mod:`avili.train.precision`): autocast and TF32 for the training steps.
    """
    precision = precision or Precision()
    progress = progress or NullProgress()
    progress.start(description, epochs)
    history: list[dict[str, float]] = []
    best = FitResult(copy.deepcopy(model.state_dict()), -1, float("-inf"))
    first = 0
    if resumable is not None and resumable.resume:
        first, state = load_state(resumable, model, optimizer, generator)
        history = state["history"]
        best = FitResult(state["best_state"], state["best_epoch"], state["best_score"])
        progress.advance(first, f"resumed after epoch {first}")
    try:
        for epoch in range(first, epochs):
            started = time.perf_counter()
            if on_epoch is not None:
                on_epoch(epoch)
            terms = _train_epoch(model, step, order(batch_size, generator), optimizer,
                                 batch_multiple, precision)
            model.eval()
            with torch.no_grad():
                terms["val_score"] = float(validate())
            terms.update(epoch=epoch, lr=float(optimizer.param_groups[0]["lr"]),
                         seconds=time.perf_counter() - started)
            history.append(terms)
            if terms["val_score"] > best.best_score:
                best = FitResult(copy.deepcopy(model.state_dict()), epoch, terms["val_score"])
            if resumable is not None and resumable.save:
                save_state(resumable, epoch, model, optimizer, generator, best, history)
            progress.advance(1, f"loss {terms['total']:.4f} {val_text(terms['val_score'])}")
    finally:
        progress.stop()
    best.history = history
    return best


def _train_epoch(model: torch.nn.Module, step: StepFn, batches: list[torch.Tensor],
                 optimizer: torch.optim.Optimizer, multiple: int = 1,
                 precision: Precision | None = None) -> dict[str, float]:
    """One pass over ``batches``; the mean of each loss term. The terms are summed where
    they live (float64, detached), so the device syncs once per epoch, not per step."""
    precision = precision or Precision()
    model.train()
    sums: dict[str, torch.Tensor] = {}
    for idx in batches:
        idx = idx[:idx.numel() - idx.numel() % multiple]
        if idx.numel() < 2 * multiple:  # at least two rows per rank
            continue
        with precision.matmuls():  # TF32 for the step; validation stays float32
            with precision.autocast():
                terms = step(idx)
            optimizer.zero_grad(set_to_none=True)
            precision.backward(terms["total"], optimizer)
        for name, value in terms.items():
            value = value.detach().to(torch.float64)
            sums[name] = sums[name] + value if name in sums else value
    if not sums:
        raise AviliError(f"no training batch: {sum(b.numel() for b in batches)} training rows")
    return {name: float(total) / len(batches) for name, total in sums.items()}
