"""Graded relevance as a ladder: same-label items above likely false negatives, and likely
false negatives above unrelated items.

The metric loss keeps every same-label item above every different-label one (the top
rung). :class:`Ladder` adds the second rung: among the anchor's different-label items only,
a contrastive softmax whose targets are the false-negative probabilities, so items that
probably hold the anchor's event rank above items that do not, without rising into the
same-label rung (the metric loss still treats them as negatives).
"""

from __future__ import annotations

import torch
from torch import nn


class Ladder(nn.Module):
    """``lir = mean_i min(1, m_i) * KL(t_i || p_i)`` over the 2B anchors, where for anchor
    ``i`` the candidates are the items ``j`` with ``y_j != y_i``, ``p_i = softmax_j(z_i .
    z_j / temperature)``, ``t_i = q_i / m_i`` and ``m_i = sum_j q[i, j]`` the anchor's
    false-negative mass (anchors without any get no term).

    Inputs: audio, visual (B, E) L2-normalized; labels (B,); q (2B, 2B) from
    :func:`~avili.losses.falseneg.false_negative_probability`.
    """

    def __init__(self, temperature: float = 0.1) -> None:
        super().__init__()
        self.temperature = temperature

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, labels: torch.Tensor,
                q: torch.Tensor) -> dict[str, torch.Tensor]:
        z = torch.cat([audio, visual])
        y = torch.cat([labels, labels])
        other = y[:, None] != y[None, :]
        logits = (z @ z.T / self.temperature).masked_fill(~other, -1e4)  # finite: no NaN
        log_p = torch.log_softmax(logits, dim=1).masked_fill(~other, 0.0)
        mass = q.sum(dim=1)
        t = q / mass.clamp_min(1e-12)[:, None]
        kl = (t * (t.clamp_min(1e-12).log() - log_p)).sum(dim=1)
        return {"lir": (mass.clamp(max=1.0) * kl).mean()}
