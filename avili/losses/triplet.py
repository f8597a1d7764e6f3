"""Triplet losses: cross-modal (pytorch-metric-learning's miner and loss) and class-proxy."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class CrossModalTriplet(nn.Module):
    """Cross-modal triplets: audio anchors against visual positives and negatives, and
    visual anchors against audio ones; the mean of the two directions.

    ``mining="hard"``: per anchor the farthest same-label clip of the other modality and
    the nearest different-label one (pytorch-metric-learning's ``BatchHardMiner``);
    ``"semihard"``: every triplet with d(a, p) < d(a, n) < d(a, p) + margin
    (``TripletMarginMiner``). loss = mean over mined triplets of
    relu(d(a, p) - d(a, n) + margin), Euclidean d. Inputs: audio, visual (B, E), labels
    (B,) int64. The reference labels are passed as a clone: given the same tensor object,
    the library assumes one embedding set and drops each clip's own other-modality view,
    a true positive.
    """

    def __init__(self, margin: float = 0.3, mining: str = "hard") -> None:
        super().__init__()
        from pytorch_metric_learning import distances, losses, miners, reducers

        if mining not in ("hard", "semihard"):
            raise ValueError(f"unknown triplet mining {mining!r}; expected hard or semihard")
        distance = distances.LpDistance(normalize_embeddings=False)
        self.miner = (miners.BatchHardMiner(distance=distance) if mining == "hard" else
                      miners.TripletMarginMiner(margin, distance=distance,
                                                type_of_triplets="semihard"))
        self.loss = losses.TripletMarginLoss(margin, distance=distance,
                                             reducer=reducers.MeanReducer())

    def _direction(self, anchors: torch.Tensor, refs: torch.Tensor, labels: torch.Tensor
                   ) -> torch.Tensor:
        ref_labels = labels.clone()  # never the same object: see the class docstring
        triplets = self.miner(anchors, labels, refs, ref_labels)
        if triplets[0].numel() == 0:
            return (anchors.sum() + refs.sum()) * 0.0
        return self.loss(anchors, labels, triplets, refs, ref_labels)

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, labels: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        a2v, v2a = self._direction(audio, visual, labels), self._direction(visual, audio, labels)
        return {"metric": (a2v + v2a) / 2}


class ProxyTriplet(nn.Module):
    """Class-proxy triplet: one learnable, L2-normalized proxy per class; each audio and
    visual embedding is pulled to its class's proxy and pushed from the nearest other one:
    mean of relu(d(x, p_y) - min_{c != y} d(x, p_c) + margin) over both modalities.
    Proxies (C, E) are parameters of this module, trained with the encoders."""

    def __init__(self, num_classes: int, embed_dim: int, margin: float = 0.3,
                 seed: int = 0) -> None:
        super().__init__()
        init = torch.randn(num_classes, embed_dim, generator=torch.Generator().manual_seed(seed))
        self.proxies = nn.Parameter(F.normalize(init, dim=1))
        self.margin = margin

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, labels: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        proxies = F.normalize(self.proxies, dim=1)
        own = F.one_hot(labels, proxies.shape[0]).bool()
        terms = []
        for x in (audio, visual):
            d = torch.cdist(x, proxies)
            pos = d[own]
            neg = d.masked_fill(own, float("inf")).min(dim=1).values
            terms.append(torch.relu(pos - neg + self.margin).mean())
        return {"metric": (terms[0] + terms[1]) / 2}
