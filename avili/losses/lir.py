"""LIR, the latent interaction regularizer."""

from __future__ import annotations

import torch
from torch import nn


def lir_pair_weights(labels: torch.Tensor, soft_audio: torch.Tensor, soft_visual: torch.Tensor,
                     links: torch.Tensor) -> torch.Tensor:
    """(B, B) pull weights between audio clip n (rows) and visual clip m (columns).

    For annotated labels i = y_n != j = y_m:
    ``w[n, m] = links[i, j] * ½ (soft_audio[n, j] + soft_visual[m, i])``, i.e. the graph's
    class-link strength times the teacher's belief that audio n holds j's event and that
    visual m holds i's. Same-label pairs get 0 (the metric loss handles them).
    Shapes: labels (B,) int64, soft_* (B, C) in [0, 1], links (C, C) symmetric.
    """
    link = links[labels][:, labels]
    s_audio = soft_audio[:, labels]        # [n, m] = soft_audio[n, y_m]
    s_visual = soft_visual[:, labels].T    # [n, m] = soft_visual[m, y_n]
    different = labels[:, None] != labels[None, :]
    return link * 0.5 * (s_audio + s_visual) * different


class LatentInteractionRegularizer(nn.Module):
    """Pull graph-linked audio/visual pairs with different labels together.

    ``lir = sum_{n,m} w[n, m] * ||a_n - v_m||^2 / #{(n, m): y_n != y_m}`` with ``w`` from
    :func:`lir_pair_weights`. Every (audio, visual) pair of the batch is considered, which
    covers both the audio->visual and the visual->audio reading of a link.
    ``links`` is the (C, C) class-link matrix from the graph.
    """

    def __init__(self, links: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("links", torch.as_tensor(links, dtype=torch.float32))

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, labels: torch.Tensor,
                soft_audio: torch.Tensor, soft_visual: torch.Tensor) -> dict[str, torch.Tensor]:
        weights = lir_pair_weights(labels, soft_audio, soft_visual, self.links)
        pairs = (labels[:, None] != labels[None, :]).sum().clamp_min(1)
        sq_dist = torch.cdist(audio, visual).pow(2)
        return {"lir": (weights * sq_dist).sum() / pairs}
