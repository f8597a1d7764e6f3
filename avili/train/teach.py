"""The teacher: per-modality heads with independent sigmoids and BCE on the annotated label
in each modality. Modes: ``aligned`` (AV-SAL: plus the alignment loss between the two
soft-label distributions), ``independent`` (no alignment: modality-independent teachers,
after VALOR) and ``fused`` (one head on both modalities' features, the same prediction for
both). Temperatures are calibrated on the val split; soft labels are written for every
clip, with VALOR-style harvested modality labels (:func:`harvest`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from avili.artifacts import ids_sha256
from avili.config import TeachConfig
from avili.data.lazy import Columns
from avili.data.schema import Dataset
from avili.data.softlabels import SoftLabels
from avili.losses import SinglePositiveLoss, SoftLabelAlignment
from avili.models import FusedTeacher, TwoTower, build_teacher
from avili.progress import Progress
from avili.train.distributed import setup, wrap
from avili.models import predict
from avili.train.loop import FitResult, fit, resolve_device, seed_everything
from avili.train.precision import create_precision
from avili.train.state import resumable as make_resumable
from avili.train.stream import training_inputs

TEMPERATURE_GRID = np.exp(np.linspace(np.log(0.25), np.log(8.0), 121))


@dataclass
class TeacherResult:
    """The best-epoch model, its calibrated soft labels for all N clips, and the fit log."""

    model: TwoTower
    soft: SoftLabels
    temperatures: dict[str, float]
    fit: FitResult
    training: dict = field(default_factory=dict)  # how features were served (stream.py)


def train_teacher(ds: Dataset, cfg: TeachConfig, progress: Progress | None = None,
                  state_file: Path | None = None, resume: bool = False,
                  inputs: dict | None = None) -> TeacherResult:
    """Train on the train split, select the epoch by the val loss, calibrate, predict all clips.
    ``state_file`` keeps the per-epoch training state; ``resume`` continues from it, if
    ``inputs`` (the identities of the input files) match too.
    Features may be lazy rows (:mod:`avili.data.lazy`): training then reads them in pools
    within ``cfg.max_memory_mb`` (:mod:`avili.train.stream`)."""
    world = setup(resolve_device(cfg.device))
    device = world.device
    precision = create_precision(cfg.amp, cfg.tf32, device)
    generator = seed_everything(cfg.seed)
    train, val = ds.indices("train"), ds.indices("val")
    model = build_teacher(ds.audio.shape[1], ds.visual.shape[1], ds.num_classes, cfg.hidden,
                          cfg.dropout, cfg.mode)
    align_weight = cfg.align_weight if cfg.mode == "aligned" else 0.0
    features, part = training_inputs(model, ds, cfg, device)
    model.to(device)
    label = torch.as_tensor(ds.label[train], device=device)
    va, vv, vlabel = part.audio, part.visual, torch.as_tensor(ds.label[val])
    align = SoftLabelAlignment()
    classify = SinglePositiveLoss(cfg.negatives, cfg.negative_weight, cfg.expected_positives)

    trained = wrap(model, world)

    def step(idx: torch.Tensor) -> dict[str, torch.Tensor]:
        idx = world.shard(idx)  # per-clip losses: DDP's gradient average is the batch mean
        la, lv = trained(*features(idx))
        terms = _classify_terms(classify, la, lv, label[idx])
        if align_weight > 0:
            terms.update(align(la, lv))
            terms["total"] = terms["total"] + align_weight * terms["align"]
        return terms

    def validate() -> float:
        la, lv = (torch.as_tensor(x) for x in teacher_logits(model, va, vv, device).values())
        return -float(_classify_terms(classify, la, lv, vlabel)["total"])

    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    resumable = make_resumable(state_file, {**asdict(cfg), "inputs": inputs}, resume,
                               world.main, device, {"scaler": precision.scaler})
    result = fit(model, step, features.epoch, cfg.epochs, cfg.batch_size, optimizer, validate,
                 generator, progress, "teach", resumable=resumable, batch_multiple=world.size,
                 val_text=lambda score: f"val loss {-score:.4f}",  # the score is -loss
                 precision=precision)
    features.release()
    model.load_state_dict(result.best_state)
    model.eval()
    soft, temps = soft_labels(model, ds, device, cfg.calibrate, classify)
    soft.audio_labels, soft.visual_labels, thresholds = harvest(soft, ds, cfg.harvest_quantile)
    soft.provenance["harvest"] = {"quantile": cfg.harvest_quantile, "thresholds": thresholds}
    return TeacherResult(model=model, soft=soft, temperatures=temps, fit=result,
                         training={**features.describe(), **precision.describe()})


def _classify_terms(classify: SinglePositiveLoss, la: torch.Tensor, lv: torch.Tensor,
                    label: torch.Tensor) -> dict[str, torch.Tensor]:
    """Both heads' classification terms, named ``<term>_audio``/``<term>_visual``, and
    their sum as ``total``; logits (B, C), labels (B,)."""
    terms = {f"{name}_{side}": value for side, logits in (("audio", la), ("visual", lv))
             for name, value in classify(logits, label).items()}
    terms["total"] = sum(terms.values())
    return terms


def calibrate_temperature(logits: np.ndarray, labels: np.ndarray,
                          criterion: SinglePositiveLoss | None = None) -> float:
    """The temperature T on :data:`TEMPERATURE_GRID` minimizing ``criterion`` (default:
    one-hot BCE, i.e. ``assume`` negatives) of logits / T; logits (n, C), labels (n,)
    int64. A teacher trained without assumed negatives is calibrated under its own
    criterion, so calibration does not reintroduce them."""
    criterion = criterion or SinglePositiveLoss("assume")
    z, y = torch.as_tensor(logits, dtype=torch.float64), torch.as_tensor(labels)
    best, best_loss = 1.0, np.inf
    with torch.no_grad():
        for t in TEMPERATURE_GRID:
            loss = float(sum(criterion(z / t, y).values()))
            if loss < best_loss:
                best, best_loss = float(t), loss
    return best


def teacher_logits(model: torch.nn.Module, audio: Any, visual: Any, device: torch.device
                   ) -> dict[str, np.ndarray]:
    """{modality: (N, C) logits} of (N, Da) audio and (N, Dv) visual features (arrays or
    lazy rows, read in batches, or tensors)."""
    if isinstance(model, FusedTeacher):
        both = predict(model.net, torch.cat([audio, visual], dim=1) if isinstance(
            audio, torch.Tensor) else Columns(audio, visual), device)
        return {"audio": both, "visual": both}
    return {m: predict(lambda x: model.encode(x, m), x, device)
            for m, x in (("audio", audio), ("visual", visual))}


def harvest(soft: SoftLabels, ds: Dataset, quantile: float = 0.95
            ) -> tuple[np.ndarray, np.ndarray, dict[str, list[float]]]:
    """VALOR-style modality labels: (N, C) uint8 audio and visual labels, 1 at [n, y_n] when
    the teacher's probability for clip n's annotated class in that modality exceeds the
    class's threshold, and the thresholds. A class's threshold is the ``quantile`` of the
    teacher's probability for it over val clips annotated with another class, so it is
    calibrated on the val split without any modality-level ground truth."""
    val, n = ds.indices("val"), np.arange(len(ds))
    out, thresholds = [], {}
    for modality in ("audio", "visual"):
        p = getattr(soft, modality)
        theta = np.array([np.quantile(p[val][ds.label[val] != c, c], quantile)
                          if (ds.label[val] != c).any() else 0.5
                          for c in range(ds.num_classes)])
        labels = np.zeros(p.shape, dtype=np.uint8)
        labels[n, ds.label] = p[n, ds.label] > theta[ds.label]
        out.append(labels)
        thresholds[modality] = [round(float(t), 6) for t in theta]
    return out[0], out[1], thresholds


def soft_labels(model: torch.nn.Module, ds: Dataset, device: torch.device,
                calibrate: bool = True, criterion: SinglePositiveLoss | None = None
                ) -> tuple[SoftLabels, dict[str, float]]:
    """(N, C) per-modality probabilities for every clip, temperature-calibrated on val
    under ``criterion`` (default one-hot BCE)."""
    val = ds.indices("val")
    out: dict[str, np.ndarray] = {}
    temps: dict[str, float] = {}
    raw = teacher_logits(model, ds.audio, ds.visual, device)
    for modality in ("audio", "visual"):
        logits = raw[modality]
        temps[modality] = (calibrate_temperature(logits[val], ds.label[val], criterion)
                           if calibrate else 1.0)
        out[modality] = (0.5 + 0.5 * np.tanh(logits / (2 * temps[modality]))).astype(np.float32)
    soft = SoftLabels(audio=out["audio"], visual=out["visual"], class_names=ds.class_names,
                      clip_id=ds.clip_id, label=ds.label, split=ds.split,
                      provenance={"clip_ids_sha256": ids_sha256(ds.clip_id.tolist())})
    return soft, temps
