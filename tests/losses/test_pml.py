"""avili's losses as pytorch-metric-learning losses (:mod:`avili.losses.pml`)."""

from __future__ import annotations

import pytest
import torch
from pytorch_metric_learning.losses import BaseMetricLossFunction

from avili.losses import (InfoNCE, LatentInteractionRegularizer, StudentLoss, as_pml,
                          metric_loss)


def batch(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    audio = torch.randn(8, 4, generator=g, requires_grad=True)
    visual = torch.randn(8, 4, generator=g)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 0, 1])
    soft = torch.rand(8, 3, generator=g), torch.rand(8, 3, generator=g)
    return audio, visual, labels, soft


def test_a_metric_loss_gives_its_metric_term():
    audio, visual, labels, _ = batch()
    loss = as_pml(InfoNCE(0.07))
    assert isinstance(loss, BaseMetricLossFunction)
    value = loss(audio, labels, ref_emb=visual)
    assert value.ndim == 0
    assert torch.equal(value, InfoNCE(0.07)(audio, visual, labels)["metric"])
    value.backward()
    assert audio.grad.abs().sum() > 0


def test_lir_takes_the_soft_labels_as_keywords():
    audio, visual, labels, (sa, sv) = batch()
    links = torch.rand(3, 3)
    lir = as_pml(LatentInteractionRegularizer(links))
    got = lir(audio, labels, ref_emb=visual, soft_audio=sa, soft_visual=sv)
    assert torch.equal(got, LatentInteractionRegularizer(links)(audio, visual, labels, sa,
                                                                 sv)["lir"])
    both = as_pml(StudentLoss(InfoNCE(0.07), "pull", 0.5, class_links=links))
    total = both(audio, labels, ref_emb=visual, soft_audio=sa, soft_visual=sv)
    assert torch.allclose(total, InfoNCE(0.07)(audio, visual, labels)["metric"] + 0.5 * got)


@pytest.mark.parametrize("kwargs, text", [
    ({}, "needs labels and ref_emb"),
    ({"ref_emb": torch.zeros(3, 4)}, "must hold the same clips"),
    ({"ref_emb": torch.zeros(8, 4), "ref_labels": torch.zeros(8, dtype=torch.long)},
     "ref_labels must equal labels"),
])
def test_refuses_what_is_not_a_cross_modal_batch(kwargs, text):
    audio, _, labels, _ = batch()
    with pytest.raises(ValueError, match=text):
        as_pml(InfoNCE(0.07))(audio, labels, **kwargs)


def test_metric_loss_takes_the_cli_defaults_and_keywords():
    assert metric_loss("infonce").temperature == pytest.approx(0.07)
    assert metric_loss("supcon", temperature=0.2).temperature == pytest.approx(0.2)
    from avili.errors import AviliError

    with pytest.raises(AviliError, match="metric_loss: unknown option 'temp'"):
        metric_loss("infonce", temp=0.1)
