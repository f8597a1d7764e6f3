"""AV-SAL: the audio and visual soft-label distributions of a clip should agree."""

from __future__ import annotations

import torch
from torch import nn


class SoftLabelAlignment(nn.Module):
    """Jensen-Shannon divergence between the per-clip class distributions of the two heads.

    Each head gives C independent sigmoid probabilities p (B, C); they are normalized to a
    distribution q = p / sum(p) per clip, and the loss is the batch mean of
    JS(q_audio, q_visual) = ½ KL(q_a || m) + ½ KL(q_v || m), m = ½ (q_a + q_v).
    Inputs are logits (B, C).
    """

    def forward(self, audio_logits: torch.Tensor, visual_logits: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        qa = _distribution(audio_logits)
        qv = _distribution(visual_logits)
        m = (qa + qv) / 2
        js = 0.5 * (_kl(qa, m) + _kl(qv, m))
        return {"align": js.mean()}


def _distribution(logits: torch.Tensor) -> torch.Tensor:
    p = torch.sigmoid(logits)
    return p / p.sum(dim=1, keepdim=True).clamp_min(1e-8)


def _kl(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return (p * (p.clamp_min(1e-8).log() - q.clamp_min(1e-8).log())).sum(dim=1)
