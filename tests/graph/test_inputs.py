import numpy as np
import pytest

from avili.config import GraphConfig
from avili.graph.infer import infer_graph
from tests.helpers import linear_gaussian, soft_from


def test_constant_column_is_left_out_with_a_warning():
    x, _ = linear_gaussian(p=8, n=400, seed=4)
    soft = soft_from(x)
    soft.visual[:, 1] = 0.3
    g = infer_graph(soft, GraphConfig())
    warnings = g.provenance["warnings"]
    assert len(warnings) == 1 and "visual:k1" in warnings[0] and "constant" in warnings[0]
    node = 4 + 1
    assert not g.weight[node].any() and not g.weight[:, node].any()
    assert (g.weight > 0).sum() > 0


def test_exactly_collinear_columns_warn_and_still_give_a_sparse_graph():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((500, 4))
    audio = np.exp(z) / np.exp(z).sum(1, keepdims=True)  # rows sum to exactly 1
    from tests.helpers import soft_from as make

    soft = make(np.column_stack([z, z + 0.3 * rng.standard_normal((500, 4))]))
    soft.audio = audio
    g = infer_graph(soft, GraphConfig(input_kind="logits"))
    text = " ".join(g.provenance["warnings"])
    assert "collinear" in text and "sum to 1" in text and "Remedy" in text
    assert (g.weight > 0).sum() < 8 * 7  # not an all-edges graph


def test_all_constant_is_an_error():
    x, _ = linear_gaussian(p=4, n=50)
    soft = soft_from(x)
    soft.audio[:] = 0.5
    soft.visual[:, 1] = 0.5
    with pytest.raises(ValueError, match="3 of 4 soft-label columns are constant"):
        infer_graph(soft, GraphConfig())
