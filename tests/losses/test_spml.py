"""The teacher's single-positive losses against hand computation."""

import math

import pytest
import torch
from torch.nn import functional as F

from avili.losses.spml import SinglePositiveLoss


def logsig(x):
    return -math.log1p(math.exp(-x))


def test_assume_is_plain_bce():
    z, y = torch.tensor([[2.0, -1.0, 0.5]]), torch.tensor([0])
    want = float(F.binary_cross_entropy_with_logits(z, F.one_hot(y, 3).float()))
    assert float(SinglePositiveLoss("assume")(z, y)["bce"]) == pytest.approx(want)


def test_weak_negatives_down_weight_unannotated_classes():
    z, y = torch.tensor([[2.0, -1.0, 0.5]]), torch.tensor([0])
    w = 0.25
    want = (-logsig(2.0) - w * (logsig(1.0) + logsig(-0.5))) / 3
    assert float(SinglePositiveLoss("weak", w)(z, y)["bce"]) == pytest.approx(want, rel=1e-5)
    default = float(SinglePositiveLoss("weak")(z, y)["bce"])  # w = 1/(C-1)
    assert default == pytest.approx((-logsig(2.0) - 0.5 * (logsig(1.0) + logsig(-0.5))) / 3,
                                    rel=1e-5)


def test_epr_has_no_negative_term_and_penalizes_the_expected_count():
    y = torch.tensor([0, 1])
    z = torch.tensor([[3.0, 3.0, 3.0], [-3.0, 3.0, -3.0]])
    terms = SinglePositiveLoss("epr", expected_positives=1.0)(z, y)
    s = torch.sigmoid(z)
    assert float(terms["bce"]) == pytest.approx(float(-F.logsigmoid(z[[0, 1], [0, 1]]).mean()) / 3)
    assert float(terms["epr"]) == pytest.approx(float((s.sum(1).mean() / 3 - 1 / 3) ** 2))
    # an unannotated class that is present is not pushed down by a negative term
    z2 = z.clone().requires_grad_(True)
    SinglePositiveLoss("epr", expected_positives=3.0)(z2, y)["bce"].backward()
    assert z2.grad[0, 1] == 0 and z2.grad[0, 2] == 0


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown negatives"):
        SinglePositiveLoss("nope")
