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


def test_log_odds_and_correlation_match_the_plain_expressions():
    """The low-memory transforms give the values of the plain ones, bit for bit (log-odds)
    and to rounding (the chunked correlation)."""
    from avili.graph.inputs import LOGIT_EPS, _correlation, _log_odds

    probs = np.random.default_rng(0).random((20_000, 6))
    probs[:5] = [0.0, 1.0, 1e-9, 1 - 1e-9, 0.5, 0.25]
    clipped = np.clip(probs, LOGIT_EPS, 1 - LOGIT_EPS)
    np.testing.assert_array_equal(_log_odds(probs), np.log(clipped / (1 - clipped)))
    used = np.array([0, 2, 3, 5])
    np.testing.assert_allclose(_correlation(probs, used, chunk=4096),
                               np.corrcoef(probs[:, used], rowvar=False), atol=1e-12)


def test_a_tiny_tree_budget_gives_the_same_graph():
    """--max-memory bounds GRaSP's trees; they are rebuilt as needed, to the same graph."""
    soft = soft_from(linear_gaussian(24, 1500, 3)[0])
    roomy = infer_graph(soft, GraphConfig(lambda_value=2.0, min_lift=0))
    tiny = infer_graph(soft, GraphConfig(lambda_value=2.0, min_lift=0, max_memory_mb=0.01))
    assert roomy.edges() and tiny.edges() == roomy.edges()
    np.testing.assert_array_equal(tiny.weight, roomy.weight)


def test_probs_linear_searches_probabilities_as_they_are_with_the_lift_filter():
    from avili.errors import AviliError
    from avili.graph.inputs import prepare

    soft = soft_from(linear_gaussian(6, 400, 1)[0])
    linear = prepare(soft, GraphConfig(input_kind="probs-linear"))
    np.testing.assert_array_equal(linear.data, np.column_stack([soft.audio, soft.visual]))
    assert linear.record["transform"] == "none" and linear.lift is not None
    logit = prepare(soft, GraphConfig(input_kind="probs"))
    np.testing.assert_array_equal(linear.lift, logit.lift)
    soft.audio[0, 0] = 1.5
    with pytest.raises(AviliError, match=r"--input-kind probs-linear needs values in \[0, 1\]"):
        prepare(soft, GraphConfig(input_kind="probs-linear"))
