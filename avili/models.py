"""Encoders. Feature standardization statistics live in each model as buffers, so the
checkpoint's state dict carries them."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class Standardize(nn.Module):
    """x -> (x - mean) / std with fixed (D,) statistics from the train split."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    def fit(self, x: np.ndarray) -> None:
        """Set the statistics from (n, D) features."""
        self.mean.copy_(torch.as_tensor(x.mean(axis=0)))
        self.std.copy_(torch.as_tensor(x.std(axis=0)).clamp_min(1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


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

    def fit_standardizers(self, audio: np.ndarray, visual: np.ndarray) -> None:
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

    def fit_standardizers(self, audio: np.ndarray, visual: np.ndarray) -> None:
        self.net[0].fit(np.concatenate([audio, visual], axis=1))

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
