"""LIR, the latent interaction regularizer, in the forms ``avili distill --lir`` offers.

Every form reads the teacher's soft labels and the graph; they differ in what they do with
a different-label pair that probably shares an event (a false negative):

- ``graded``: a second rung below same-label items (:class:`~avili.losses.graded.Ladder`).
- ``eliminate``: the pair leaves the metric loss's negatives in proportion to its
  false-negative probability (the loss's ``negative_weight``); no extra term.
- ``pull``: the pair is pulled together, in proportion to link strength and soft labels
  (:class:`LatentInteractionRegularizer`, avili's first form).
- ``pair``: the authors' released form (:class:`PairAlignment`), a graph-weighted
  alignment of each clip's own audio and visual embeddings.
"""

from __future__ import annotations

import torch
from torch import nn

from avili.config import LIR_FORMS  # noqa: F401 (the --lir names)


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
    """``pull``: pull graph-linked audio/visual pairs with different labels together.

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


class PairAlignment(nn.Module):
    """``pair``: the authors' released loss. Each clip's own audio and visual embeddings
    are aligned, ``lir = mean_n w_n ||a_n - v_n||^2``, with ``w_n = edge_weight`` when the
    graph has an edge between ``audio:y_n`` and ``visual:y_n`` (either direction) and 1
    otherwise (their code uses 0.4). ``edge_weight = 1`` is the graph-free control.
    ``self_links`` (C,) bool: the classes with that edge. Inputs: audio, visual (B, E),
    labels (B,)."""

    def __init__(self, self_links: torch.Tensor, edge_weight: float = 0.4) -> None:
        super().__init__()
        self.register_buffer("self_links", torch.as_tensor(self_links, dtype=torch.bool))
        self.edge_weight = edge_weight

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, labels: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        w = torch.where(self.self_links[labels], self.edge_weight, 1.0)
        return {"lir": (w * (audio - visual).pow(2).sum(dim=1)).mean()}
