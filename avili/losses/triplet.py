"""Cross-modal batch-hard triplet loss."""

from __future__ import annotations

import torch
from torch import nn


class CrossModalBatchHardTriplet(nn.Module):
    """For each audio anchor, the farthest same-label visual clip is the positive and the
    nearest different-label visual clip the negative; likewise for visual anchors.

    loss = mean over anchors of relu(d(anchor, pos) - d(anchor, neg) + margin), averaged
    over the two directions. Distances are Euclidean. Inputs: audio, visual (B, E),
    labels (B,) int64. Anchors without a positive or a negative in the batch are skipped.
    """

    def __init__(self, margin: float = 0.3) -> None:
        super().__init__()
        self.margin = margin

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, labels: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        dist = torch.cdist(audio, visual)  # (B, B): audio rows, visual columns
        same = labels[:, None] == labels[None, :]
        a2v = self._one_direction(dist, same)
        v2a = self._one_direction(dist.T, same.T)
        return {"metric": (a2v + v2a) / 2}

    def _one_direction(self, dist: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
        hardest_pos = dist.masked_fill(~same, float("-inf")).max(dim=1).values
        hardest_neg = dist.masked_fill(same, float("inf")).min(dim=1).values
        valid = torch.isfinite(hardest_pos) & torch.isfinite(hardest_neg)
        if not valid.any():
            return dist.sum() * 0.0
        return torch.relu(hardest_pos - hardest_neg + self.margin)[valid].mean()
