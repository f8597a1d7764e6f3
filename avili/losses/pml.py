"""avili's losses as pytorch-metric-learning losses, for users' own training loops.

pytorch-metric-learning calls a loss as ``loss(embeddings, labels, indices_tuple=None,
ref_emb=None, ref_labels=None)`` and returns a scalar. Cross-modal losses read that as:
``embeddings`` (B, E) the audio embeddings, ``ref_emb`` (B, E) the visual embeddings of
the same clips (row n of both is clip n), ``labels`` (B,) their classes. LIR also needs the
clips' soft labels, passed as keywords::

    from avili.losses import LatentInteractionRegularizer, as_pml
    lir = as_pml(LatentInteractionRegularizer(links))       # links (C, C) from a Graph
    loss = metric(audio, labels, ref_emb=visual) + 0.5 * lir(
        audio, labels, ref_emb=visual, soft_audio=sa, soft_visual=sv)   # sa, sv (B, C)
"""

from __future__ import annotations

from typing import Any

import torch
from pytorch_metric_learning.losses import BaseMetricLossFunction
from torch import nn

TERMS = ("total", "metric", "lir")  # the term reported, in order of preference


class PMLLoss(BaseMetricLossFunction):
    """Any avili cross-modal loss module (``forward(audio, visual, labels, **extra)``
    returning named terms) as a pytorch-metric-learning loss returning one scalar: the
    ``total`` term, else ``metric``, else ``lir``. Extra keyword arguments of a call (soft
    labels, a ``negative_weight``) go to the wrapped loss."""

    def __init__(self, loss: nn.Module, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = loss
        self._extra: dict[str, Any] = {}

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor | None = None,
                indices_tuple: Any = None, ref_emb: torch.Tensor | None = None,
                ref_labels: torch.Tensor | None = None, **extra: Any) -> torch.Tensor:
        if ref_emb is None or labels is None:
            raise ValueError("a cross-modal loss needs labels and ref_emb: the other "
                             "modality's embeddings of the same clips, row for row")
        if ref_emb.shape != embeddings.shape:
            raise ValueError(f"embeddings {tuple(embeddings.shape)} and ref_emb "
                             f"{tuple(ref_emb.shape)} must hold the same clips")
        if ref_labels is not None and not torch.equal(ref_labels.to(labels.device), labels):
            raise ValueError("ref_labels must equal labels: row n of both is clip n")
        self._extra = extra
        try:
            return super().forward(embeddings, labels, indices_tuple, ref_emb, None)
        finally:
            self._extra = {}

    def compute_loss(self, embeddings: torch.Tensor, labels: torch.Tensor, indices_tuple: Any,
                     ref_emb: torch.Tensor, ref_labels: Any) -> dict[str, Any]:
        terms = self.inner(embeddings, ref_emb, labels, **self._extra)
        name = next(t for t in (*TERMS, *terms) if t in terms)
        return {"loss": {"losses": terms[name], "indices": None,
                         "reduction_type": "already_reduced"}}


def as_pml(loss: nn.Module, **kwargs: Any) -> PMLLoss:
    """``loss`` (any avili metric loss, LIR form or :class:`StudentLoss`) as a
    pytorch-metric-learning loss (see :class:`PMLLoss`)."""
    return PMLLoss(loss, **kwargs)
