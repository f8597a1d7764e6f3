"""Contrastive losses: symmetric cross-modal InfoNCE, supervised contrastive, and the
false-negative-aware baselines FNAC and CPSP, adapted to clip-level retrieval.

Inputs everywhere: audio, visual (B, E) L2-normalized embeddings of the same B clips,
labels (B,) int64. Row n of ``audio @ visual.T`` is audio clip n against every visual clip.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def info_nce(audio: torch.Tensor, visual: torch.Tensor, temperature: float,
             negative_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Symmetric InfoNCE: each clip's own other-modality view is its positive, every other
    clip of the batch a negative; mean of the audio->visual and visual->audio CE.
    ``negative_weight`` (2B, 2B) in [0, 1] (layout of :mod:`avili.losses.falseneg`)
    scales each negative's term in the denominator (false-negative elimination)."""
    logits = audio @ visual.T / temperature
    target = torch.arange(audio.shape[0], device=audio.device)
    if negative_weight is None:
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
    b = audio.shape[0]
    return (_weighted_ce(logits, negative_weight[:b, b:])
            + _weighted_ce(logits.T, negative_weight[b:, :b])) / 2


def _weighted_ce(logits: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of (B, B) ``logits`` against the diagonal, each off-diagonal term of
    the denominator scaled by ``weight`` (B, B) (the diagonal keeps weight 1)."""
    eye = torch.eye(logits.shape[0], dtype=torch.bool, device=logits.device)
    w = weight.masked_fill(eye, 1.0).clamp_min(1e-12)
    denominator = torch.logsumexp(logits + w.log(), dim=1)
    return (denominator - logits.diagonal()).mean()


class InfoNCE(nn.Module):
    """Symmetric cross-modal InfoNCE with ``temperature`` (labels unused)."""

    def __init__(self, temperature: float = 0.07) -> None:
        super().__init__()
        self.temperature = temperature

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, labels: torch.Tensor,
                negative_weight: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        return {"metric": info_nce(audio, visual, self.temperature, negative_weight)}


class SupCon(nn.Module):
    """Supervised contrastive loss (Khosla et al., 2020, the "out" form, as
    pytorch-metric-learning's ``SupConLoss``) over the 2B audio and visual embeddings
    together: every other embedding with the same label, of either modality, is a positive.

    Per anchor i: ``-mean_{p in P(i)} [s_ip - log sum_{k != i} w_ik exp(s_ik)]`` with
    ``s = z z^T / temperature``; the mean over anchors that have a positive. ``w`` is 1
    unless ``negative_weight`` (2B, 2B) in [0, 1] is given (layout of
    :mod:`avili.losses.falseneg`): it scales the different-label terms of the denominator
    (false-negative elimination); same-label terms keep weight 1.
    """

    def __init__(self, temperature: float = 0.1) -> None:
        super().__init__()
        self.temperature = temperature

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, labels: torch.Tensor,
                negative_weight: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        z = torch.cat([audio, visual])
        y = torch.cat([labels, labels])
        logits = z @ z.T / self.temperature
        self_mask = torch.eye(z.shape[0], dtype=torch.bool, device=z.device)
        same = (y[:, None] == y[None, :]) & ~self_mask
        w = torch.ones_like(logits) if negative_weight is None else torch.where(
            same, torch.ones_like(logits), negative_weight.to(logits.dtype))
        log_w = w.clamp_min(1e-12).log().masked_fill(self_mask, float("-inf"))
        log_prob = logits - torch.logsumexp(logits + log_w, dim=1, keepdim=True)
        count = same.sum(dim=1)
        has = count > 0
        per_anchor = (log_prob * same).sum(dim=1)[has] / count[has]
        if not bool(has.any()):
            return {"metric": logits.sum() * 0.0}
        return {"metric": -per_anchor.mean()}


class FNAC(nn.Module):
    """False-negative-aware contrastive learning, after FNAC (Sun et al., CVPR 2023).

    metric = InfoNCE(temperature) + weight * (fn_audio + fn_visual), the two suppression
    terms switched on from epoch ``warmup`` (set ``epoch`` from the training loop).
    fn_audio = mean over rows n of the L1 distance between softmax_m(a_n . a_m / T) and
    softmax_m(a_n . v_m / T): clips that look alike within audio should not be pushed
    apart across modalities; fn_visual likewise with v_n . v_m and v_n . a_m. The
    intra-modal softmax is the target and carries no gradient (our choice; the paper's
    code computes it from the same encoders).
    """

    def __init__(self, temperature: float = 0.03, weight: float = 100.0, warmup: int = 5
                 ) -> None:
        super().__init__()
        self.temperature, self.weight, self.warmup, self.epoch = temperature, weight, warmup, 0

    def suppression(self, x: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
        """Mean row-wise L1 distance between the intra-modal and cross-modal softmaxes of
        ``x`` (B, E) against itself and against ``other`` (B, E)."""
        intra = F.softmax(x @ x.T / self.temperature, dim=1).detach()
        cross = F.softmax(x @ other.T / self.temperature, dim=1)
        return (intra - cross).abs().sum(dim=1).mean()

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, labels: torch.Tensor,
                negative_weight: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        terms = {"infonce": info_nce(audio, visual, self.temperature, negative_weight),
                 "fn_audio": self.suppression(audio, visual),
                 "fn_visual": self.suppression(visual, audio)}
        on = float(self.epoch >= self.warmup) * self.weight
        terms["metric"] = terms["infonce"] + on * (terms["fn_audio"] + terms["fn_visual"])
        return terms


class CPSP(nn.Module):
    """Contrastive positive sample propagation, after CPSP (Zhou et al.), clip level.

    The annotated labels define positives (same label) and negatives. Two terms:
    - pair: MSE between the cross-modal cosine matrix a v^T and the label-agreement matrix
      [y_n == y_m], each divided by its Frobenius norm, times ``weight``;
    - rank: per anchor of either modality, relu(mean of the ``negatives`` most similar
      negatives - similarity of the least similar positive + margin), averaged.
    The original's segment-level term, as released, has zero gradient; it is left out.
    """

    def __init__(self, weight: float = 100.0, margin: float = 0.2, negatives: int = 3) -> None:
        super().__init__()
        self.weight, self.margin, self.negatives = weight, margin, negatives

    def _rank(self, sim: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
        hardest_pos = sim.masked_fill(~same, float("inf")).min(dim=1).values
        k = min(self.negatives, sim.shape[1])
        top = sim.masked_fill(same, float("-inf")).topk(k, dim=1).values
        valid = torch.isfinite(top)
        mean_neg = top.where(valid, torch.zeros_like(top)).sum(1) / valid.sum(1).clamp_min(1)
        has_neg = valid.any(dim=1)
        loss = torch.relu(mean_neg - hardest_pos + self.margin)[has_neg]
        return loss.mean() if loss.numel() else sim.sum() * 0.0

    def forward(self, audio: torch.Tensor, visual: torch.Tensor, labels: torch.Tensor
                ) -> dict[str, torch.Tensor]:
        sim = audio @ visual.T
        same = labels[:, None] == labels[None, :]
        agree = same.float()
        pair = F.mse_loss(sim / sim.norm().clamp_min(1e-12), agree / agree.norm())
        rank = (self._rank(sim, same) + self._rank(sim.T, same.T)) / 2
        return {"pair": pair, "rank": rank, "metric": self.weight * pair + rank}
