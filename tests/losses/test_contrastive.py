"""The contrastive losses against explicit loops, and gradients of every metric loss."""

import math

import pytest
import torch
from torch.nn import functional as F

from avili.config import METRIC_LOSSES, DistillConfig
from avili.losses import build_metric_loss
from avili.losses.contrastive import CPSP, FNAC, InfoNCE, SupCon
from tests.helpers import batch, nce_loop


def test_infonce_matches_a_loop():
    a, v, y = batch()
    assert float(InfoNCE(0.1)(a, v, y)["metric"]) == pytest.approx(nce_loop(a, v, 0.1),
                                                                   abs=1e-5)


def test_supcon_matches_a_loop():
    a, v, y = batch()
    z, lab, t = torch.cat([a, v]), torch.cat([y, y]), 0.2
    per_anchor = []
    for i in range(12):
        pos = [p for p in range(12) if p != i and lab[p] == lab[i]]
        denom = sum(math.exp(float(z[i] @ z[k]) / t) for k in range(12) if k != i)
        per_anchor.append(-sum(float(z[i] @ z[p]) / t - math.log(denom) for p in pos)
                          / len(pos))
    assert float(SupCon(t)(a, v, y)["metric"]) == pytest.approx(sum(per_anchor) / 12,
                                                                abs=1e-4)


def test_fnac_terms_match_a_loop_and_vanish_when_softmaxes_agree():
    a, v, y = batch()
    loss = FNAC(temperature=0.5, weight=3.0, warmup=1)

    def l1(x, z):
        out = 0.0
        for i in range(6):
            intra = torch.softmax(torch.stack([x[i] @ x[j] for j in range(6)]) / 0.5, 0)
            cross = torch.softmax(torch.stack([x[i] @ z[j] for j in range(6)]) / 0.5, 0)
            out += float((intra - cross).abs().sum())
        return out / 6

    terms = loss(a, v, y)
    assert float(terms["fn_audio"]) == pytest.approx(l1(a, v), abs=1e-5)
    assert float(terms["fn_visual"]) == pytest.approx(l1(v, a), abs=1e-5)
    assert float(terms["metric"]) == pytest.approx(nce_loop(a, v, 0.5), abs=1e-5)  # warm-up
    loss.epoch = 1
    full = loss(a, v, y)
    assert float(full["metric"]) == pytest.approx(
        nce_loop(a, v, 0.5) + 3.0 * (l1(a, v) + l1(v, a)), abs=1e-4)
    same = loss(a, a.clone(), y)
    assert float(same["fn_audio"]) == pytest.approx(0.0, abs=1e-6)
    assert float(same["fn_visual"]) == pytest.approx(0.0, abs=1e-6)


def test_cpsp_matches_a_loop():
    a, v, y = batch()
    loss = CPSP(weight=10.0, margin=0.2, negatives=3)
    sim = [[float(a[i] @ v[j]) for j in range(6)] for i in range(6)]
    agree = [[float(y[i] == y[j]) for j in range(6)] for i in range(6)]
    ns = math.sqrt(sum(s * s for row in sim for s in row))
    na = math.sqrt(sum(s * s for row in agree for s in row))
    pair = sum((sim[i][j] / ns - agree[i][j] / na) ** 2 for i in range(6) for j in range(6)) / 36

    def rank(mat):
        out = []
        for i in range(6):
            pos = [mat[i][j] for j in range(6) if y[i] == y[j]]
            neg = sorted((mat[i][j] for j in range(6) if y[i] != y[j]), reverse=True)[:3]
            out.append(max(0.0, sum(neg) / len(neg) - min(pos) + 0.2))
        return sum(out) / 6

    transposed = [list(col) for col in zip(*sim)]
    terms = loss(a, v, y)
    assert float(terms["pair"]) == pytest.approx(pair, abs=1e-6)
    assert float(terms["rank"]) == pytest.approx((rank(sim) + rank(transposed)) / 2, abs=1e-5)
    assert float(terms["metric"]) == pytest.approx(10.0 * pair + float(terms["rank"]), abs=1e-5)


@pytest.mark.parametrize("name", METRIC_LOSSES)
def test_every_loss_gives_finite_gradients_to_both_encoders(name):
    torch.manual_seed(0)
    enc_a, enc_v = torch.nn.Linear(5, 4), torch.nn.Linear(7, 4)
    xa, xv = torch.randn(8, 5), torch.randn(8, 7)
    y = torch.tensor([0, 0, 1, 1, 2, 2, 0, 1])
    loss = build_metric_loss(DistillConfig(loss=name, embed_dim=4, fnac_warmup=0), 3)
    terms = loss(F.normalize(enc_a(xa), dim=1), F.normalize(enc_v(xv), dim=1), y)
    terms["metric"].backward()
    for enc in (enc_a, enc_v):
        grad = enc.weight.grad
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, name
