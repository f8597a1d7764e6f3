"""Encoders. Feature standardization statistics live in each model as buffers, so the
checkpoint's state dict carries them."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from avili.errors import AviliError


def resolve_device(name: str | torch.device) -> torch.device:
    """``auto`` picks CUDA when present, else the CPU; ``cuda`` without a GPU is an error.
    A torch.device passes through."""
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise AviliError("--device cuda requested but no CUDA device is available")
    if name not in ("cpu", "cuda"):
        raise AviliError(f"unknown device {name!r}; expected auto, cpu or cuda")
    return torch.device(name)


class Standardize(nn.Module):
    """x -> (x - mean) / std with fixed (D,) statistics from the train split."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    def fit(self, x: Any) -> None:
        """Set the statistics from (n, D) features (see :func:`column_moments`)."""
        self.set(*column_moments(x))

    def set(self, mean: np.ndarray, std: np.ndarray) -> None:
        """Set the (D,) statistics."""
        self.mean.copy_(torch.as_tensor(mean))
        self.std.copy_(torch.as_tensor(std).clamp_min(1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def column_moments(x: Any, chunk: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(D,) mean and standard deviation of (n, D) features: an array, or a row source
    whose slices ``x[a:b]`` give arrays (e.g. lazy HDF5 rows), read ``chunk`` rows at a
    time (default: 32 MB of float64) and merged in float64 (Chan et al.'s update)."""
    if isinstance(x, np.ndarray):
        return x.mean(axis=0), x.std(axis=0)
    chunk = chunk or max(1, (1 << 22) // max(1, x.shape[1]))
    count, mean, m2 = 0, np.zeros(x.shape[1]), np.zeros(x.shape[1])
    for start in range(0, x.shape[0], chunk):
        part = np.asarray(x[start:start + chunk], dtype=np.float64)
        k, part_mean = part.shape[0], part.mean(axis=0)
        delta = part_mean - mean
        m2 += ((part - part_mean) ** 2).sum(axis=0) + delta**2 * count * k / (count + k)
        mean += delta * k / (count + k)
        count += k
    if count == 0:
        raise ValueError("no rows to standardize")
    return mean.astype(np.float32), np.sqrt(m2 / count).astype(np.float32)


def mlp(in_dim: int, hidden: int, out_dim: int, dropout: float) -> nn.Sequential:
    """Standardize -> Linear -> ReLU -> Dropout -> Linear."""
    return nn.Sequential(Standardize(in_dim), nn.Linear(in_dim, hidden), nn.ReLU(),
                         nn.Dropout(dropout), nn.Linear(hidden, out_dim))


class TwoTower(nn.Module):
    """One encoder per modality: audio (B, Da) -> (B, out), visual (B, Dv) -> (B, out)."""

    def __init__(self, audio_dim: int, visual_dim: int, hidden: int, out_dim: int,
                 dropout: float, normalize: bool) -> None:
        super().__init__()
        self.audio = mlp(audio_dim, hidden, out_dim, dropout)
        self.visual = mlp(visual_dim, hidden, out_dim, dropout)
        self.normalize = normalize

    def fit_standardizers(self, audio: Any, visual: Any) -> None:
        """From (n, Da) and (n, Dv) train features (arrays or row sources)."""
        self.audio[0].fit(audio)
        self.visual[0].fit(visual)

    def encode(self, x: torch.Tensor, modality: str) -> torch.Tensor:
        out = (self.audio if modality == "audio" else self.visual)(x)
        return F.normalize(out, dim=-1) if self.normalize else out

    def forward(self, audio: torch.Tensor, visual: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encode(audio, "audio"), self.encode(visual, "visual")


class FusedTeacher(nn.Module):
    """One classifier on concatenated features: [audio (B, Da) | visual (B, Dv)] -> (B, C)
    logits, given to both modalities (the ``fused`` teacher baseline)."""

    def __init__(self, audio_dim: int, visual_dim: int, hidden: int, classes: int,
                 dropout: float) -> None:
        super().__init__()
        self.net = mlp(audio_dim + visual_dim, hidden, classes, dropout)

    def fit_standardizers(self, audio: Any, visual: Any) -> None:
        if isinstance(audio, np.ndarray) and isinstance(visual, np.ndarray):
            self.net[0].fit(np.concatenate([audio, visual], axis=1))
            return
        (ma, sa), (mv, sv) = column_moments(audio), column_moments(visual)
        self.net[0].set(np.concatenate([ma, mv]), np.concatenate([sa, sv]))

    def forward(self, audio: torch.Tensor, visual: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.net(torch.cat([audio, visual], dim=-1))
        return logits, logits


def build_teacher(audio_dim: int, visual_dim: int, classes: int, hidden: int,
                  dropout: float, mode: str = "aligned") -> nn.Module:
    """``aligned``/``independent``: per-modality heads with C independent sigmoid logits
    each (not normalized); ``fused``: one head on both modalities' features."""
    if mode == "fused":
        return FusedTeacher(audio_dim, visual_dim, hidden, classes, dropout)
    return TwoTower(audio_dim, visual_dim, hidden, classes, dropout, normalize=False)


def build_student(audio_dim: int, visual_dim: int, hidden: int, embed_dim: int,
                  dropout: float) -> TwoTower:
    """Audio and visual encoders into one L2-normalized embedding space."""
    return TwoTower(audio_dim, visual_dim, hidden, embed_dim, dropout, normalize=True)


def predict(fn: Callable[[torch.Tensor], torch.Tensor], x: Any, device: torch.device,
            batch_size: int = 4096) -> np.ndarray:
    """Apply ``fn`` to (N, D) features in batches without gradients; (N, K) float32.
    ``x`` is an array, a tensor (moved batch by batch; none is copied when on ``device``)
    or anything sliceable into arrays (e.g. lazy HDF5 rows); the output is filled in
    place, so peak memory is the output plus one batch."""
    out = None
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            chunk = x[start:start + batch_size]
            chunk = (chunk.to(device) if isinstance(chunk, torch.Tensor)
                     else torch.as_tensor(np.asarray(chunk), device=device))
            y = fn(chunk).float().cpu().numpy()
            if out is None:
                out = np.empty((x.shape[0], y.shape[1]), dtype=np.float32)
            out[start:start + y.shape[0]] = y
    if out is None:
        raise AviliError("nothing to predict: no rows")
    return out
