"""The teacher's classification loss under single-positive labels: each clip is annotated
with one class, and every other class is *unknown*, not absent (Cole et al., "Multi-Label
Learning from Single Positive Labels", CVPR 2021).

Inputs: logits (B, C) of one modality's head, labels (B,) int64.

- ``assume``: assumed negatives, plain BCE against the one-hot label. Every co-occurring
  event that nobody annotated is trained towards 0.
- ``weak``: weak assumed negatives. The positive term as in BCE; each unannotated class
  enters as a negative with weight ``negative_weight`` (Cole et al.'s WAN uses 1/(C-1)).
  Loss per clip: ``-log s(z_y) - w * sum_{c != y} log(1 - s(z_c))``, divided by C like
  the mean BCE.
- ``epr``: expected positive regularization. No negatives at all: the positive term plus
  ``(sum_c s(z_c) / C - k / C)^2`` over the batch mean, with ``k`` the expected number of
  events per clip (``expected_positives``), so the head cannot say yes to everything.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from avili.config import TEACHER_NEGATIVES


class SinglePositiveLoss(nn.Module):
    """One modality's classification loss; returns ``{"bce": (), ...}`` named terms."""

    def __init__(self, negatives: str = "epr", negative_weight: float = 0.0,
                 expected_positives: float = 2.0) -> None:
        super().__init__()
        if negatives not in TEACHER_NEGATIVES:
            raise ValueError(f"unknown negatives {negatives!r}; expected one of "
                             f"{', '.join(TEACHER_NEGATIVES)}")
        self.negatives, self.weight, self.k = negatives, negative_weight, expected_positives

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        c = logits.shape[1]
        target = F.one_hot(labels, c).to(logits.dtype)
        if self.negatives == "assume":
            return {"bce": F.binary_cross_entropy_with_logits(logits, target)}
        positive = -F.logsigmoid(logits.gather(1, labels[:, None])).squeeze(1)
        if self.negatives == "weak":
            w = self.weight or 1.0 / max(c - 1, 1)
            negative = (-F.logsigmoid(-logits) * (1 - target)).sum(1)
            return {"bce": ((positive + w * negative) / c).mean()}
        expected = torch.sigmoid(logits).sum(1).mean() / c
        return {"bce": positive.mean() / c, "epr": (expected - self.k / c) ** 2}
