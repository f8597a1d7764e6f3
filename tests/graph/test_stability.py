import numpy as np
import pytest

from avili.config import GraphConfig
from avili.graph.discovery import run_grasp
from avili.graph.infer import infer_graph
from avili.graph.fastscore import BicScore
from avili.graph.stability import (adjacency_frequency, consistent_extension, cpdag_bic,
                                   mean_jaccard, run_many)
from tests.helpers import linear_gaussian, soft_from


def test_local_bic_is_causal_learns_score():
    from causallearn.score.LocalScoreFunction import local_score_BIC_from_cov

    x, _ = linear_gaussian()
    cov = np.cov(x, rowvar=False, ddof=0)
    for i, parents in ((3, [0, 1]), (0, []), (7, [2, 5, 6])):
        ours = BicScore(x, 1.5).local(i, np.array(parents, dtype=np.int64))
        ref = local_score_BIC_from_cov((cov, x.shape[0]), i, parents, {"lambda_value": 1.5})
        assert ours == pytest.approx(ref, rel=1e-10)


def test_cpdag_score_equals_its_dags_score():
    """BIC is score-equivalent, so a wrong extension (a new v-structure) would change it."""
    from causallearn.graph.Dag import Dag
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.DAG2CPDAG import dag2cpdag

    from avili.graph.discovery import cpdag_to_masks

    x, dag = linear_gaussian(p=9, seed=3)
    scorer = BicScore(x, 1.0)
    nodes = [GraphNode(f"X{i}") for i in range(dag.shape[0])]
    g = Dag(nodes)
    for i, j in zip(*np.nonzero(dag)):
        g.add_directed_edge(nodes[i], nodes[j])
    directed, undirected = cpdag_to_masks(np.asarray(dag2cpdag(g).graph))
    assert undirected.any()  # the test needs something to orient
    ext = consistent_extension(directed, undirected)
    assert (ext & directed).sum() == directed.sum() and not (ext & ext.T).any()
    dag_score = sum(scorer.local(j, np.flatnonzero(dag[:, j])) for j in range(9))
    assert cpdag_bic(x, directed, undirected, 1.0) == pytest.approx(dag_score, rel=1e-12)


def test_frequency_and_jaccard():
    a = np.zeros((3, 3), bool)
    one = (a.copy(), a.copy())
    one[0][0, 1] = True
    two = (a.copy(), a.copy())
    two[0][1, 0] = True
    two[1][1, 2] = two[1][2, 1] = True
    freq = adjacency_frequency([one, two])
    assert freq[0, 1] == freq[1, 0] == 1.0 and freq[1, 2] == 0.5 and freq[0, 2] == 0
    assert mean_jaccard([one, two]) == pytest.approx(0.5)
    assert mean_jaccard([one]) == 1.0


@pytest.mark.slow
def test_runs_do_not_depend_on_the_number_of_workers():
    x, _ = linear_gaussian(p=7, n=400, seed=1)
    rows = [None, np.arange(0, 400, 2)]
    serial = run_many(x, run_grasp, 1.0, 3, [0, 1], rows, 1)
    parallel = run_many(x, run_grasp, 1.0, 3, [0, 1], rows, 2)
    for (d1, u1), (d2, u2) in zip(serial.runs, parallel.runs):
        np.testing.assert_array_equal(d1, d2)
        np.testing.assert_array_equal(u1, u2)
    np.testing.assert_array_equal(serial.scores, parallel.scores)


def test_restarts_keep_the_best_score_and_bootstrap_sets_frequencies():
    x, _ = linear_gaussian(p=8, n=500, seed=2)
    soft = soft_from(x)
    g = infer_graph(soft, GraphConfig(restarts=3, workers=1))
    record = g.provenance["stability"]
    scores = record["restart_scores"]
    assert len(scores) == 3 and record["chosen_seed"] == int(np.argmax(scores))
    assert set(np.unique(g.frequency[g.weight > 0])) <= {1 / 3, 2 / 3, 1.0} | {
        np.float32(1 / 3), np.float32(2 / 3)}
    boot = infer_graph(soft, GraphConfig(bootstrap=6, workers=2))
    assert boot.provenance["stability"]["frequency_from"] == "bootstrap"
    assert 0 < boot.provenance["stability"]["mean_jaccard"] <= 1
    edges = boot.weight > 0
    assert (boot.frequency[edges] > 0).all() and (boot.frequency[~edges] == 0).all()
    strict = infer_graph(soft, GraphConfig(bootstrap=6, workers=2, min_frequency=0.99))
    assert (strict.frequency[strict.weight > 0] >= 0.99).all()
    assert (strict.weight > 0).sum() <= edges.sum()
    assert boot.weight.max() == pytest.approx(1.0)


def test_bad_stability_options():
    soft = soft_from(linear_gaussian(p=4, n=50)[0])
    with pytest.raises(ValueError, match="--restarts must be a finite number >= 1"):
        infer_graph(soft, GraphConfig(restarts=0))


def test_boss_backends_agree_and_unknown_pairs():
    soft = soft_from(linear_gaussian(p=8, n=400, seed=5)[0])
    g = infer_graph(soft, GraphConfig(algorithm="boss", backend="causal-learn"))
    assert (g.weight > 0).any() and g.provenance["stability"]["algorithm"] == "boss"
    fast = infer_graph(soft, GraphConfig(algorithm="boss"))
    np.testing.assert_array_equal(fast.weight, g.weight)
    np.testing.assert_array_equal(fast.undirected, g.undirected)
    with pytest.raises(ValueError, match="unknown --backend 'gpu'; expected one of fast, "
                                         "causal-learn"):
        GraphConfig(backend="gpu")
    with pytest.raises(ValueError, match="unknown --algorithm 'pc'"):
        GraphConfig(algorithm="pc")
    from avili.graph.infer import search_backend

    with pytest.raises(ValueError, match="unknown --algorithm 'pc' or --backend 'fast'"):
        search_backend("pc", "fast")
