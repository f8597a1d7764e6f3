"""The AV-SAL teacher: per-modality heads with independent sigmoids, BCE on the annotated
label in each modality, plus the alignment loss between the two soft-label distributions.
Temperatures are calibrated on the val split; soft labels are written for every clip."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from avili.artifacts import ids_sha256
from avili.config import TeachConfig
from avili.data.schema import Dataset
from avili.data.softlabels import SoftLabels
from avili.losses import SoftLabelAlignment
from avili.models import TwoTower, build_teacher
from avili.progress import Progress
from avili.train.loop import FitResult, fit, predict, resolve_device, seed_everything

TEMPERATURE_GRID = np.exp(np.linspace(np.log(0.25), np.log(8.0), 121))


@dataclass
class TeacherResult:
    """The best-epoch model, its calibrated soft labels for all N clips, and the fit log."""

    model: TwoTower
    soft: SoftLabels
    temperatures: dict[str, float]
    fit: FitResult


def train_teacher(ds: Dataset, cfg: TeachConfig, progress: Progress | None = None
                  ) -> TeacherResult:
    """Train on the train split, select the epoch by val BCE, calibrate, predict all clips."""
    device = resolve_device(cfg.device)
    generator = seed_everything(cfg.seed)
    train, val = ds.indices("train"), ds.indices("val")
    model = build_teacher(ds.audio.shape[1], ds.visual.shape[1], ds.num_classes, cfg.hidden,
                          cfg.dropout)
    model.fit_standardizers(ds.audio[train], ds.visual[train])
    model.to(device)
    xa, xv, target = _tensors(ds, train, device)
    va, vv, vtarget = _tensors(ds, val, device)
    align = SoftLabelAlignment()

    def step(idx: torch.Tensor) -> dict[str, torch.Tensor]:
        la, lv = model(xa[idx], xv[idx])
        terms = {"bce_audio": F.binary_cross_entropy_with_logits(la, target[idx]),
                 "bce_visual": F.binary_cross_entropy_with_logits(lv, target[idx]),
                 **align(la, lv)}
        terms["total"] = terms["bce_audio"] + terms["bce_visual"] + cfg.align_weight * terms["align"]
        return terms

    def validate() -> float:
        la, lv = model(va, vv)
        return -float(F.binary_cross_entropy_with_logits(la, vtarget)
                      + F.binary_cross_entropy_with_logits(lv, vtarget))

    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    result = fit(model, step, train.size, cfg.epochs, cfg.batch_size, optimizer, validate,
                 generator, progress, "teach")
    model.load_state_dict(result.best_state)
    model.eval()
    soft, temps = soft_labels(model, ds, device, cfg.calibrate)
    return TeacherResult(model=model, soft=soft, temperatures=temps, fit=result)


def _tensors(ds: Dataset, idx: np.ndarray, device: torch.device
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    onehot = np.eye(ds.num_classes, dtype=np.float32)[ds.label[idx]]
    return (torch.as_tensor(ds.audio[idx], device=device),
            torch.as_tensor(ds.visual[idx], device=device), torch.as_tensor(onehot, device=device))


def calibrate_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature T on :data:`TEMPERATURE_GRID` minimizing one-hot BCE of
    sigmoid(logits / T); logits (n, C), labels (n,) int64."""
    target = np.eye(logits.shape[1])[labels]
    best, best_loss = 1.0, np.inf
    for t in TEMPERATURE_GRID:
        z = logits / t
        loss = float(np.mean(np.logaddexp(0, z) - target * z))
        if loss < best_loss:
            best, best_loss = float(t), loss
    return best


def soft_labels(model: TwoTower, ds: Dataset, device: torch.device, calibrate: bool = True
                ) -> tuple[SoftLabels, dict[str, float]]:
    """(N, C) per-modality probabilities for every clip, temperature-calibrated on val."""
    val = ds.indices("val")
    out: dict[str, np.ndarray] = {}
    temps: dict[str, float] = {}
    for modality in ("audio", "visual"):
        logits = predict(lambda x: model.encode(x, modality), getattr(ds, modality), device)
        temps[modality] = calibrate_temperature(logits[val], ds.label[val]) if calibrate else 1.0
        out[modality] = (0.5 + 0.5 * np.tanh(logits / (2 * temps[modality]))).astype(np.float32)
    soft = SoftLabels(audio=out["audio"], visual=out["visual"], class_names=ds.class_names,
                      clip_id=ds.clip_id, label=ds.label, split=ds.split,
                      provenance={"clip_ids_sha256": ids_sha256(ds.clip_id.tolist())})
    return soft, temps
