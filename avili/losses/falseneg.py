"""The pair false-negative probability: how likely a different-label item holds the
anchor's annotated event, from the teacher's soft labels and the graph.

Layout everywhere: the 2B items of a batch are ``[audio_1..audio_B, visual_1..visual_B]``
(the two views of B clips); item ``i`` has label ``y_i`` and modality ``mod_i`` (0 audio,
1 visual).
"""

from __future__ import annotations

import torch


def false_negative_probability(labels: torch.Tensor, soft_audio: torch.Tensor,
                               soft_visual: torch.Tensor, links: torch.Tensor | None = None,
                               graph_weight: float = 0.0) -> torch.Tensor:
    """(2B, 2B) ``q[i, j]``: the probability that item ``j`` holds item ``i``'s annotated
    event, for ``y_i != y_j`` (0 for same-label pairs, which are positives anyway).

    ``q[i, j] = s[j, y_i] * ((1 - g) + g * links[mod_j, y_j, y_i])`` with ``s`` the
    teacher's soft label of item ``j``'s own modality and ``g = graph_weight`` in [0, 1]:
    ``g = 0`` trusts the soft labels alone, ``g = 1`` keeps only pairs whose classes the
    graph links (``links`` (2, C, C) in [0, 1], see ``Graph.event_links``).
    Shapes: labels (B,) int64, soft_* (B, C) probabilities.
    """
    y = torch.cat([labels, labels])
    soft = torch.cat([soft_audio, soft_visual])
    q = soft[:, y].T  # [i, j] = soft[j, y_i]
    if links is not None and graph_weight > 0:
        b = labels.shape[0]
        mod = torch.cat([torch.zeros(b, dtype=torch.long, device=y.device),
                         torch.ones(b, dtype=torch.long, device=y.device)])
        prior = links[mod[None, :], y[None, :], y[:, None]]  # [i, j] = links[mod_j, y_j, y_i]
        q = q * ((1 - graph_weight) + graph_weight * prior)
    return q * (y[:, None] != y[None, :])


def oracle_probability(labels: torch.Tensor, events_audio: torch.Tensor,
                       events_visual: torch.Tensor) -> torch.Tensor:
    """(2B, 2B) 0/1 flags from the per-modality event truth (B, C): the upper bound that
    soft labels approximate (used by benchmarks, never by training on real data)."""
    return false_negative_probability(labels, events_audio.float(), events_visual.float())
