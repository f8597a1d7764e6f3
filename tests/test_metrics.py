import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from avili.metrics import average_precision, cross_modal_map, mean_average_precision


def sklearn_ap(scores: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    return np.array([average_precision_score(r, s) if r.any() else np.nan
                     for s, r in zip(scores, relevant)])


@pytest.mark.parametrize("decimals", [None, 1])  # 1 decimal: many tied scores
def test_ap_matches_sklearn(decimals):
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((60, 50))
    if decimals is not None:
        scores = np.round(scores, decimals)
    relevant = rng.random((60, 50)) < 0.2
    relevant[0] = False
    ours, ref = average_precision(scores, relevant), sklearn_ap(scores, relevant)
    assert np.isnan(ours[0]) and np.isnan(ref[0])
    np.testing.assert_allclose(ours[1:], ref[1:], atol=1e-9, rtol=0)


def test_ap_by_hand():
    # ranking: R N R N -> AP = (1/1 + 2/3) / 2
    ap = average_precision(np.array([[4.0, 3.0, 2.0, 1.0]]), np.array([[1, 0, 1, 0]], bool))
    assert ap[0] == pytest.approx((1 + 2 / 3) / 2)
    # a tie between a relevant and an irrelevant item at the top counts both at once
    ap = average_precision(np.array([[1.0, 1.0]]), np.array([[1, 0]], bool))
    assert ap[0] == pytest.approx(0.5)


def test_no_cutoff_full_gallery():
    # the single relevant item at rank 100 still counts: AP = 1/100
    scores = -np.arange(100.0)[None, :]
    relevant = np.zeros((1, 100), bool)
    relevant[0, 99] = True
    assert average_precision(scores, relevant)[0] == pytest.approx(0.01)


def test_chunks_do_not_change_map():
    rng = np.random.default_rng(1)
    scores, relevant = rng.random((37, 20)), rng.random((37, 20)) < 0.3
    full, ap_full = mean_average_precision(scores, relevant, chunk=1000)
    small, ap_small = mean_average_precision(scores, relevant, chunk=5)
    assert full == small
    np.testing.assert_array_equal(ap_full, ap_small)


def test_cross_modal_map_counts_queries_without_relevant():
    emb = np.eye(3, dtype=np.float32)
    rel = np.eye(3, dtype=bool)
    rel[2, 2] = False
    out = cross_modal_map(emb, emb, rel, np.eye(3, dtype=bool))
    assert out["a2v_mAP"] == pytest.approx(1.0) and out["v2a_mAP"] == pytest.approx(1.0)
    assert out["queries_without_relevant"] == 1
