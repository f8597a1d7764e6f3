import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from avili.eval.metrics import average_precision, mean_average_precision


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


def published_loop(scores: np.ndarray, relevant: np.ndarray, cumulative: bool) -> list:
    """The loop that code in this field runs over each ranked list: standard AP, or with
    the append inside the rank loop (the cumulative variant). Distinct scores only."""
    out = []
    for s, rel in zip(scores, relevant):
        if not rel.any():
            out.append(np.nan)
            continue
        order, p, r, res = np.argsort(-s), 0.0, 0.0, []
        for j in range(len(s)):
            if rel[order[j]]:
                r += 1
                p += r / (j + 1)
            if cumulative:
                res.append(p / r if r > 0 else 0.0)
        out.append(np.mean(res) if cumulative else p / r)
    return out


def naive_cutoffs(s: np.ndarray, rel: np.ndarray, k: int) -> dict:
    """P@k, R@k, RR, mAP@R by walking tie groups from the top; a group counts at a cutoff
    only when all of it fits."""
    total, seen, seen_rel, out = rel.sum(), 0, 0, {"hits": 0, "rr": 0.0, "map_r": 0.0}
    for value in sorted(set(s.tolist()), reverse=True):
        group = s == value
        seen, new_rel = seen + group.sum(), (group & rel).sum()
        seen_rel += new_rel
        if new_rel and out["rr"] == 0.0:
            out["rr"] = 1.0 / seen
        if seen <= k:
            out["hits"] += new_rel
        if seen <= total:
            out["map_r"] += new_rel * seen_rel / seen
    return {f"P@{k}": out["hits"] / k, f"R@{k}": out["hits"] / total, "RR": out["rr"],
            "mAP@R": out["map_r"] / total}


@pytest.mark.parametrize("decimals", [None, 1])
def test_cutoff_metrics_match_a_naive_walk(decimals):
    from avili.eval.metrics import query_metrics

    rng = np.random.default_rng(2)
    scores = rng.standard_normal((40, 30))
    if decimals is not None:
        scores = np.round(scores, decimals)
    relevant = rng.random((40, 30)) < 0.25
    relevant[0] = False
    relevant[1] = False
    relevant[1, 7] = True  # a single positive
    ours = query_metrics(scores, relevant, ks=(1, 5, 10))
    for key in ("AP", "mAP@R", "RR", "P@1", "P@5", "R@10", "cumulative"):
        assert np.isnan(ours[key][0])  # no relevant item: no value
    for i in range(1, 40):
        for k in (1, 5, 10):
            ref = naive_cutoffs(scores[i], relevant[i], k)
            for key, value in ref.items():
                assert ours[key][i] == pytest.approx(value, abs=1e-12), (i, key)
    np.testing.assert_allclose(ours["AP"][1:], sklearn_ap(scores, relevant)[1:], atol=1e-9)


def test_single_positive_query_by_hand():
    from avili.eval.metrics import query_metrics

    scores = np.array([[0.9, 0.8, 0.7, 0.6]])
    out = query_metrics(scores, np.array([[0, 0, 1, 0]], bool), ks=(1, 3))
    assert out["AP"][0] == pytest.approx(1 / 3) and out["RR"][0] == pytest.approx(1 / 3)
    assert out["P@1"][0] == 0 and out["P@3"][0] == pytest.approx(1 / 3)
    assert out["R@3"][0] == 1 and out["mAP@R"][0] == 0  # R = 1: only rank 1 counts
    # cumulative: 0, 0, then 1/3 at ranks 3 and 4 -> (2/3) / 4
    assert out["cumulative"][0] == pytest.approx((2 / 3) / 4)


def test_cumulative_variant_matches_the_published_loop_and_inflates():
    from avili.eval.metrics import query_metrics

    rng = np.random.default_rng(4)
    labels = rng.integers(0, 8, 300)
    noise = rng.standard_normal((300, 300))
    scores = (labels[:, None] == labels[None]) * 1.2 + noise  # AP well below 1
    relevant = labels[:, None] == labels[None]
    ours = query_metrics(scores, relevant)
    np.testing.assert_allclose(ours["cumulative"], published_loop(scores, relevant, True),
                               atol=1e-12)
    np.testing.assert_allclose(ours["AP"], published_loop(scores, relevant, False), atol=1e-12)
    assert ours["cumulative"].mean() > ours["AP"].mean() + 0.01


def test_chunked_metrics_equal_one_pass_and_check_nan():
    from avili.errors import AviliError
    from avili.eval.metrics import chunked_metrics, query_metrics

    rng = np.random.default_rng(5)
    q, g = rng.standard_normal((23, 8)), rng.standard_normal((31, 8))
    ql, gl = rng.integers(0, 3, 23), rng.integers(0, 3, 31)
    rel = ql[:, None] == gl[None]
    whole = query_metrics(q @ g.T, rel)
    for chunk, workers in ((4, 2), (1, 1), (0, 3)):
        parts = chunked_metrics(q, g, lambda i, j: rel[i:j], chunk=chunk, workers=workers)
        for key in whole:  # chunked matmuls may round scores differently in the last bit
            np.testing.assert_allclose(parts[key], whole[key], atol=1e-12)
    q[3, 0] = np.nan
    with pytest.raises(AviliError, match="NaN"):
        chunked_metrics(q, g, lambda i, j: rel[i:j], chunk=4)


def test_bootstrap_ci_brackets_the_mean_and_pairs():
    from avili.eval.metrics import bootstrap_ci

    rng = np.random.default_rng(6)
    values = rng.random(400)
    lo, hi = bootstrap_ci(values, seed=1)
    assert lo < values.mean() < hi and hi - lo < 0.2
    assert bootstrap_ci(values, seed=1) == (lo, hi)  # seeded
    shifted = values + 0.05 + rng.normal(0, 0.01, 400)
    dlo, dhi = bootstrap_ci(shifted, values)
    assert 0.04 < dlo < 0.05 < dhi < 0.06  # paired: tight around the shift
    assert np.isnan(bootstrap_ci(np.array([np.nan]))[0])


def test_pr_curve_is_the_interpolated_precision_of_a_naive_walk():
    from avili.eval.metrics import pr_curve

    rng = np.random.default_rng(7)
    scores = rng.standard_normal((15, 40))
    relevant = rng.random((15, 40)) < 0.3
    relevant[0] = False
    curves = pr_curve(scores, relevant, levels=11)
    assert np.isnan(curves[0]).all()
    for i in range(1, 15):
        order = np.argsort(-scores[i])
        hits = np.cumsum(relevant[i][order])
        prec, rec = hits / np.arange(1, 41), hits / relevant[i].sum()
        for j, level in enumerate(np.linspace(0, 1, 11)):
            ref = prec[rec >= level - 1e-12].max()
            assert curves[i, j] == pytest.approx(ref), (i, level)


def naive_ap(s: np.ndarray, rel: np.ndarray) -> float:
    """AP by counting, for each relevant item, the items and relevant items scoring at
    least as much (scikit-learn's tie rule)."""
    return float(np.mean([(rel & (s >= v)).sum() / (s >= v).sum() for v in s[rel]]))


@pytest.mark.parametrize("case", ["random_ties", "all_tied", "few_relevant", "float32",
                                  "signed_zeros"])
def test_kernel_matches_sklearn_and_a_naive_count(case):
    from avili.eval.metrics import COUNT_MAX, query_metrics

    rng = np.random.default_rng(8)
    scores = rng.integers(0, 6, (50, 200)).astype(np.float64)  # many random ties
    relevant = rng.random((50, 200)) < 0.1
    if case == "all_tied":
        scores[:] = 0.25
    if case == "few_relevant":  # the counting path (R <= COUNT_MAX) and the sort path
        relevant = np.zeros_like(relevant)
        for i in range(50):
            relevant[i, rng.choice(200, i % (COUNT_MAX + 3), replace=False)] = True
    if case == "float32":
        scores = rng.standard_normal((50, 200)).round(2).astype(np.float32)
    if case == "signed_zeros":  # -0.0 == 0.0: one tie group, as in scikit-learn
        scores = np.where(rng.random((50, 200)) < 0.5, -0.0, 0.0) + (scores > 3)
    relevant[3] = False
    ours = query_metrics(scores, relevant)
    ref = sklearn_ap(scores, relevant)
    assert np.isnan(ours["AP"][3]) and np.isnan(ours["mAP@R"][3]) and np.isnan(ours["RR"][3])
    has = relevant.any(axis=1)
    np.testing.assert_allclose(ours["AP"][has], ref[has], atol=1e-9, rtol=0)
    for i in np.flatnonzero(has):
        assert ours["AP"][i] == pytest.approx(naive_ap(scores[i], relevant[i]), abs=1e-12)
        for key, value in naive_cutoffs(scores[i], relevant[i], 5).items():
            assert ours[key][i] == pytest.approx(value, abs=1e-12), (case, i, key)


def test_all_tied_scores_give_the_base_rate():
    scores, relevant = np.ones((2, 10)), np.zeros((2, 10), bool)
    relevant[0, [1, 4, 7]] = True
    relevant[1, 9] = True
    np.testing.assert_allclose(average_precision(scores, relevant), [0.3, 0.1])


def test_chunked_metrics_without_relevant_items_are_nan():
    from avili.eval.metrics import chunked_metrics

    rng = np.random.default_rng(9)
    q, g = rng.standard_normal((6, 4)).astype(np.float32), rng.standard_normal((9, 4))
    rel = np.zeros((6, 9), bool)
    rel[2, 3] = True
    out = chunked_metrics(q, g.astype(np.float32), lambda i, j: rel[i:j], chunk=2)
    assert np.isnan(np.delete(out["AP"], 2)).all() and 0 < out["AP"][2] <= 1
