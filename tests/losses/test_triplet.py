"""The triplet losses against explicit loops on a hand-checkable batch."""

import pytest
import torch
from torch.nn import functional as F

from avili.losses.triplet import CrossModalTriplet, ProxyTriplet
from tests.helpers import batch, dist


def triplet_loop(a, v, y, margin, semihard):
    def direction(anc, ref):
        losses = []
        for i in range(len(y)):
            pos = [j for j in range(len(y)) if y[j] == y[i]]
            neg = [j for j in range(len(y)) if y[j] != y[i]]
            if not pos or not neg:
                continue
            if not semihard:
                dp = max(dist(anc[i], ref[j]) for j in pos)
                dn = min(dist(anc[i], ref[j]) for j in neg)
                losses.append(max(0.0, dp - dn + margin))
                continue
            for p in pos:
                for q in neg:
                    dp, dn = dist(anc[i], ref[p]), dist(anc[i], ref[q])
                    if dp < dn < dp + margin:
                        losses.append(dp - dn + margin)
        return sum(losses) / len(losses) if losses else 0.0
    return (direction(a, v) + direction(v, a)) / 2


@pytest.mark.parametrize("mining", ["hard", "semihard"])
def test_cross_modal_triplet_matches_a_loop(mining):
    a, v, y = batch()
    ours = CrossModalTriplet(0.5, mining)(a, v, y)["metric"]
    assert float(ours) == pytest.approx(triplet_loop(a, v, y, 0.5, mining == "semihard"),
                                        abs=1e-5)


def test_triplet_keeps_each_clips_own_view_as_positive():
    # all labels distinct: a clip's only positive is its own other-modality view, which
    # pytorch-metric-learning drops if labels and ref_labels are the same object
    a, v, y = batch(labels=(0, 1, 2, 3, 4, 5))
    ours = float(CrossModalTriplet(2.0)(a, v, y)["metric"])
    assert ours > 0 and ours == pytest.approx(triplet_loop(a, v, y, 2.0, False), abs=1e-5)
    from pytorch_metric_learning import miners

    trap = miners.BatchHardMiner()(a, y, v, y)  # same object: no positive survives
    assert trap[0].numel() == 0


def test_triplet_zero_when_separated():
    labels = torch.tensor([0, 1])
    emb = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    assert float(CrossModalTriplet(0.3)(emb, emb, labels)["metric"]) == 0.0


def test_proxy_triplet_matches_a_loop():
    a, v, y = batch()
    loss = ProxyTriplet(3, 4, margin=0.4, seed=1)
    p = F.normalize(loss.proxies.detach(), dim=1)
    ref = 0.0
    for x in (a, v):
        ref += sum(max(0.0, dist(x[i], p[y[i]]) - min(dist(x[i], p[c]) for c in range(3)
                                                        if c != y[i]) + 0.4)
                   for i in range(6)) / 6 / 2
    assert float(loss(a, v, y)["metric"].detach()) == pytest.approx(ref, abs=1e-5)
