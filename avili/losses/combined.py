"""The student's loss: a metric loss plus one form of LIR (:mod:`avili.losses.lir`),
returning every named term and their weighted sum as ``"total"``."""

from __future__ import annotations

import torch
from torch import nn

from avili.losses.falseneg import false_negative_probability
from avili.losses.graded import Ladder
from avili.losses.lir import LIR_FORMS, LatentInteractionRegularizer, PairAlignment

ELIMINATING = ("supcon", "infonce", "fnac")  # losses that take a negative_weight


class StudentLoss(nn.Module):
    """``total = metric + weight * lir`` (``eliminate``: the metric loss alone, its
    negatives scaled by ``1 - min(1, weight * q)``).

    ``event_links`` (2, C, C): :meth:`Graph.event_links`, the prior on the false-negative
    probability ``q`` (:func:`false_negative_probability`) with influence
    ``graph_weight``; ``class_links`` (C, C) feeds ``pull``; ``self_links`` (C,) bool
    feeds ``pair``. ``form=None`` or ``weight=0`` is the plain metric loss.
    Inputs: audio, visual (B, E), labels (B,), soft_audio, soft_visual (B, C).
    """

    def __init__(self, metric: nn.Module, form: str | None = None, weight: float = 0.0,
                 event_links: torch.Tensor | None = None, class_links: torch.Tensor | None = None,
                 self_links: torch.Tensor | None = None, graph_weight: float = 0.0,
                 temperature: float = 0.1, pair_edge_weight: float = 0.4) -> None:
        super().__init__()
        if form is not None and form not in LIR_FORMS:
            raise ValueError(f"unknown LIR form {form!r}; expected one of {', '.join(LIR_FORMS)}")
        self.metric, self.weight, self.graph_weight = metric, weight, graph_weight
        self.form = form if weight > 0 else None
        self.register_buffer("event_links", None if event_links is None else
                             torch.as_tensor(event_links, dtype=torch.float32))
        self.term = {"graded": lambda: Ladder(temperature),
                     "pull": lambda: LatentInteractionRegularizer(class_links),
                     "pair": lambda: PairAlignment(self_links, pair_edge_weight)}.get(
                         self.form, lambda: None)()

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, labels: torch.Tensor,
                soft_audio: torch.Tensor | None = None, soft_visual: torch.Tensor | None = None
                ) -> dict[str, torch.Tensor]:
        if self.form is None:
            terms = self.metric(audio, visual, labels)
            return {**terms, "total": terms["metric"]}
        q = None
        if self.form in ("graded", "eliminate"):
            q = false_negative_probability(labels, soft_audio, soft_visual, self.event_links,
                                           self.graph_weight)
        if self.form == "eliminate":
            terms = self.metric(audio, visual, labels,
                                negative_weight=1 - (self.weight * q).clamp(max=1.0))
            return {**terms, "total": terms["metric"]}
        terms = dict(self.metric(audio, visual, labels))
        if self.form == "graded":
            terms.update(self.term(audio, visual, labels, q))
        elif self.form == "pull":
            terms.update(self.term(audio, visual, labels, soft_audio, soft_visual))
        else:
            terms.update(self.term(audio, visual, labels))
        terms["total"] = terms["metric"] + self.weight * terms["lir"]
        return terms
