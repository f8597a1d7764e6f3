"""The LIR forms, the false-negative probability and the weighted contrastive losses,
each against an explicit loop over a small batch."""

import math

import pytest
import torch

from avili.losses.combined import StudentLoss
from avili.losses.contrastive import InfoNCE, SupCon
from avili.losses.falseneg import false_negative_probability, oracle_probability
from avili.losses.graded import Ladder
from avili.losses.lir import PairAlignment
from tests.helpers import batch, nce_loop


def soft_batch(seed=0, b=6, c=3):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, c, generator=g), torch.rand(b, c, generator=g), torch.rand(
        2, c, c, generator=g)


def test_false_negative_probability_matches_a_loop():
    a, v, y = batch()
    sa, sv, links = soft_batch()
    q = false_negative_probability(y, sa, sv, links, graph_weight=0.3)
    soft, lab, mod = torch.cat([sa, sv]), torch.cat([y, y]), [0] * 6 + [1] * 6
    for i in range(12):
        for j in range(12):
            yi, yj = int(lab[i]), int(lab[j])
            want = 0.0 if yi == yj else float(soft[j, yi]) * (0.7 + 0.3 * float(
                links[mod[j], yj, yi]))
            assert float(q[i, j]) == pytest.approx(want, abs=1e-6)


def test_graph_weight_zero_ignores_the_graph_and_one_gates_by_it():
    _, _, y = batch()
    sa, sv, links = soft_batch()
    assert torch.equal(false_negative_probability(y, sa, sv, links, 0.0),
                       false_negative_probability(y, sa, sv, None))
    gated = false_negative_probability(y, sa, sv, torch.zeros_like(links), 1.0)
    assert (gated == 0).all()


def test_oracle_flags_are_the_event_truth():
    y = torch.tensor([0, 1])
    ea = torch.tensor([[1, 1], [0, 1]])  # audio of clip 0 also holds class 1's event
    ev = torch.tensor([[1, 0], [0, 1]])
    q = oracle_probability(y, ea, ev)
    # item 1 (audio, class 1) vs item 0 (audio of clip 0): clip 0's audio holds class 1
    assert q[1, 0] == 1 and q[0, 1] == 0 and q[3, 2] == 0 and q[1, 2] == 0


def ladder_loop(z, lab, q, t):
    total = 0.0
    for i in range(len(lab)):
        cand = [j for j in range(len(lab)) if lab[j] != lab[i]]
        mass = sum(float(q[i, j]) for j in cand)
        if mass == 0:
            continue
        logits = [float(z[i] @ z[j]) / t for j in cand]
        log_norm = math.log(sum(math.exp(s) for s in logits))
        kl = sum(float(q[i, j]) / mass * (math.log(float(q[i, j]) / mass) - (s - log_norm))
                 for j, s in zip(cand, logits) if q[i, j] > 0)
        total += min(1.0, mass) * kl
    return total / len(lab)


def test_ladder_matches_a_loop():
    a, v, y = batch()
    sa, sv, links = soft_batch()
    q = false_negative_probability(y, sa, sv, links, 0.5)
    got = float(Ladder(0.2)(a, v, y, q)["lir"])
    assert got == pytest.approx(ladder_loop(torch.cat([a, v]), torch.cat([y, y]), q, 0.2),
                                abs=1e-5)


def test_ladder_is_zero_without_false_negatives_and_has_no_nan_on_one_class():
    a, v, y = batch()
    assert float(Ladder()(a, v, y, torch.zeros(12, 12))["lir"]) == 0
    one = torch.zeros(6, dtype=torch.long)
    a.requires_grad_(True)
    out = Ladder()(a, v, one, torch.zeros(12, 12))["lir"]
    out.backward()
    assert torch.isfinite(a.grad).all()


def test_ladder_prefers_ranking_false_negatives_above_unrelated_items():
    # anchor audio 0 (class 0); visual 1 (class 1) holds class 0's event, visual 2 does not
    y = torch.tensor([0, 1, 2])
    q = torch.zeros(6, 6)
    q[0, 4] = 1.0
    base = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]), dim=1)
    close, far = base.clone(), base.clone()
    close[1] = torch.nn.functional.normalize(torch.tensor([0.7, 0.7]), dim=0)
    far[2] = torch.nn.functional.normalize(torch.tensor([0.7, 0.7]), dim=0)
    assert float(Ladder()(base, close, y, q)["lir"]) < float(Ladder()(base, far, y, q)["lir"])


def test_supcon_with_negative_weights_matches_a_loop_and_unit_weights_match_pml():
    from pytorch_metric_learning import losses

    a, v, y = batch()
    z, lab, t = torch.cat([a, v]), torch.cat([y, y]), 0.2
    w = torch.rand(12, 12, generator=torch.Generator().manual_seed(3))
    per_anchor = []
    for i in range(12):
        pos = [p for p in range(12) if p != i and lab[p] == lab[i]]
        denom = sum(math.exp(float(z[i] @ z[k]) / t) * (1.0 if lab[k] == lab[i] else
                                                         float(w[i, k]))
                    for k in range(12) if k != i)
        per_anchor.append(-sum(float(z[i] @ z[p]) / t - math.log(denom) for p in pos)
                          / len(pos))
    got = float(SupCon(t)(a, v, y, negative_weight=w)["metric"])
    assert got == pytest.approx(sum(per_anchor) / 12, abs=1e-4)
    ref = float(losses.SupConLoss(temperature=t)(z, lab))
    assert float(SupCon(t)(a, v, y)["metric"]) == pytest.approx(ref, abs=1e-5)
    assert float(SupCon(t)(a, v, y, torch.ones(12, 12))["metric"]) == pytest.approx(ref, abs=1e-5)


def test_infonce_negative_weights_match_a_loop():
    a, v, y = batch()
    w = torch.rand(12, 12, generator=torch.Generator().manual_seed(4))
    t, total = 0.1, 0.0
    for x, z, block in ((a, v, w[:6, 6:]), (v, a, w[6:, :6])):
        for i in range(6):
            terms = [math.exp(float(x[i] @ z[j]) / t) * (1.0 if i == j else float(block[i, j]))
                     for j in range(6)]
            total += -(float(x[i] @ z[i]) / t - math.log(sum(terms)))
    got = float(InfoNCE(t)(a, v, y, negative_weight=w)["metric"])
    assert got == pytest.approx(total / 12, abs=1e-4)
    assert float(InfoNCE(t)(a, v, y, torch.ones(12, 12))["metric"]) == pytest.approx(
        nce_loop(a, v, t), abs=1e-5)


def test_pair_alignment_weights_linked_classes():
    a, v, y = batch()
    self_links = torch.tensor([True, False, False])
    got = float(PairAlignment(self_links, 0.4)(a, v, y)["lir"])
    want = sum((0.4 if int(y[n]) == 0 else 1.0) * float(((a[n] - v[n]) ** 2).sum())
               for n in range(6)) / 6
    assert got == pytest.approx(want, abs=1e-6)


def test_student_loss_sums_named_terms_for_every_form():
    a, v, y = batch()
    sa, sv, links = soft_batch()
    metric = SupCon(0.1)
    plain = StudentLoss(metric)(a, v, y)
    assert plain["total"] == plain["metric"]
    for form in ("graded", "pull", "pair"):
        loss = StudentLoss(metric, form, 2.0, event_links=links, class_links=links.max(0).values,
                           self_links=torch.tensor([True, False, True]), graph_weight=0.5)
        terms = loss(a, v, y, sa, sv)
        assert torch.isclose(terms["total"], terms["metric"] + 2.0 * terms["lir"])
    elim = StudentLoss(metric, "eliminate", 1.0, event_links=links, graph_weight=0.5)(
        a, v, y, sa, sv)
    assert "lir" not in elim and elim["total"] == elim["metric"]
    assert float(elim["metric"]) < float(plain["metric"])  # fewer negatives in the denominator
    assert StudentLoss(metric, "graded", 0.0).form is None  # weight 0: the plain loss
    with pytest.raises(ValueError, match="unknown LIR form"):
        StudentLoss(metric, "nope", 1.0)
