"""Backbone names and the factories that build them from a :class:`VideoConfig`.

Names (the CLI's choices):

- audio ``logmel``: weight-free log-mel statistics, per second (D = 128).
- audio ``hf``: a transformers audio model from ``audio_weights`` (AST, CLAP, wav2vec2...).
- visual ``pixels``: weight-free colour and texture statistics, per frame (D = 52).
- visual ``hf``: a transformers image model from ``visual_weights`` (CLIP, ResNet, ViT...).

An audio backbone has ``name``, ``dim``, ``sample_rate``, ``segment_samples``,
``identity()`` and ``embed_clips(waves) -> [(T_i, D)]``; a visual one has ``name``,
``dim``, ``frame_size``, ``identity()`` and ``embed(frames) -> (B, D)``.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch

from avili.config import AUDIO_BACKBONES, VISUAL_BACKBONES
from avili.config import VideoConfig
from avili.errors import AviliError



class AudioBackbone(Protocol):
    name: str
    dim: int
    sample_rate: int
    segment_samples: int

    def identity(self) -> dict: ...

    def embed_clips(self, waves: list[np.ndarray]) -> list[np.ndarray]:
        """Per clip, (S_i,) float32 waveform to (T_i, D) float32 segment features."""


class VisualBackbone(Protocol):
    name: str
    dim: int
    frame_size: Any  # (width, height), a shorter-side size, or None: see decode_clip

    def identity(self) -> dict: ...

    def embed(self, frames: list[np.ndarray]) -> np.ndarray:
        """(H, W, 3) uint8 frames to (B, D) float32."""


def create_audio_backbone(cfg: VideoConfig, device: torch.device) -> AudioBackbone:
    """The audio backbone ``cfg.audio_backbone`` names, on ``device``."""
    if cfg.audio_backbone == "logmel":
        from avili.media.hf import require_transformers
        from avili.media.features import LogMelBackbone

        require_transformers()  # for its mel filter bank
        return LogMelBackbone(sample_rate=cfg.sample_rate, device=device)
    if cfg.audio_backbone == "hf":
        from avili.media.hf import HFAudioBackbone

        return HFAudioBackbone(cfg.audio_weights, cfg.batch_size, device)
    raise AviliError(f"unknown audio backbone {cfg.audio_backbone!r}; expected one of "
                     f"{', '.join(AUDIO_BACKBONES)}")


def create_visual_backbone(cfg: VideoConfig, device: torch.device) -> VisualBackbone:
    """The visual backbone ``cfg.visual_backbone`` names, on ``device``."""
    if cfg.visual_backbone == "pixels":
        from avili.media.features import PixelsBackbone

        return PixelsBackbone()
    if cfg.visual_backbone == "hf":
        from avili.media.hf import HFVisualBackbone

        return HFVisualBackbone(cfg.visual_weights, device)
    raise AviliError(f"unknown visual backbone {cfg.visual_backbone!r}; expected one of "
                     f"{', '.join(VISUAL_BACKBONES)}")
