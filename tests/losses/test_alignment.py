import math

import torch

from avili.losses import SoftLabelAlignment


def test_alignment_zero_when_heads_agree():
    logits = torch.randn(4, 6)
    assert float(SoftLabelAlignment()(logits, logits.clone())["align"]) < 1e-7


def test_alignment_symmetric_and_bounded_by_log2():
    a = torch.tensor([[20.0, -20.0]])
    v = torch.tensor([[-20.0, 20.0]])
    loss = SoftLabelAlignment()
    ab, ba = float(loss(a, v)["align"]), float(loss(v, a)["align"])
    assert abs(ab - ba) < 1e-7
    assert 0.6 < ab <= math.log(2) + 1e-6
