import numpy as np
import pytest

from avili.graph.discovery import cpdag_to_masks
from avili.graph.fastgrasp import dag_to_cpdag, fast_grasp
from avili.graph.simulate import linear_gaussian
from tests.helpers import (assert_leaves_global_random_alone, assert_same, random_dag,
                           real_soft_labels)


@pytest.fixture(scope="module")
def ave15():
    return real_soft_labels()


@pytest.mark.slow
@pytest.mark.parametrize("lambda_value", [2.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_causal_learn_on_real_soft_labels(ave15, seed, lambda_value):
    assert_same(ave15, lambda_value, seed)


@pytest.mark.slow
@pytest.mark.parametrize("lambda_value,seed", [(1.0, 0), (1.0, 2), (2.0, 2)])
def test_matches_causal_learn_on_real_soft_labels_more(ave15, seed, lambda_value):
    assert_same(ave15, lambda_value, seed)


@pytest.mark.parametrize("p,n,seed", [(20, 1000, 0), (20, 1000, 1), (30, 1500, 0), (30, 1500, 1)])
def test_matches_causal_learn_on_synthetic_dags(p, n, seed):
    assert_same(linear_gaussian(p, n, seed)[0], 2.0, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed,lambda_value", [(0, 2.0), (1, 1.0)])
def test_matches_causal_learn_on_56_variables(seed, lambda_value):
    assert_same(linear_gaussian(56, 2000, seed)[0], lambda_value, seed)


def test_seed_changes_nothing_outside():
    assert_leaves_global_random_alone(fast_grasp)


def causal_learn_cpdag(dag):
    """causal-learn's dag2cpdag on ``dag`` (p, p) bool, as (directed, undirected)."""
    from causallearn.graph.Dag import Dag
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.utils.DAG2CPDAG import dag2cpdag

    nodes = [GraphNode(f"X{i + 1}") for i in range(dag.shape[0])]
    g = Dag(nodes)
    for i, j in zip(*np.nonzero(dag)):
        g.add_directed_edge(nodes[i], nodes[j])
    return cpdag_to_masks(np.asarray(dag2cpdag(g).graph))


@pytest.mark.parametrize("seed", range(30))
def test_dag_to_cpdag_matches_causal_learn(seed):
    dag, order = random_dag(seed, 12, 0.1)
    directed, undirected = dag_to_cpdag(dag, order)
    ref_directed, ref_undirected = causal_learn_cpdag(dag)
    np.testing.assert_array_equal(directed, ref_directed)
    np.testing.assert_array_equal(undirected, ref_undirected)


def test_dag_to_cpdag_small_cases():
    chain = np.zeros((3, 3), dtype=bool)
    chain[0, 1] = chain[1, 2] = True  # 0 -> 1 -> 2: all reversible
    directed, undirected = dag_to_cpdag(chain, np.arange(3))
    assert not directed.any() and undirected[0, 1] and undirected[1, 2]
    collider = np.zeros((3, 3), dtype=bool)
    collider[0, 2] = collider[1, 2] = True  # 0 -> 2 <- 1: v-structure, compelled
    directed, undirected = dag_to_cpdag(collider, np.arange(3))
    assert directed[0, 2] and directed[1, 2] and not undirected.any()
