"""The numba search (avili.graph.compiled*) against the Python one it replaces: the same
random draws, the same graphs, and the fallback when numba is missing."""

import random
import sys

import numpy as np
import pytest

import avili.graph
from avili.graph import fastgrasp
from avili.graph.fastgrasp import dag_to_cpdag, fast_grasp
from avili.graph.simulate import linear_gaussian
from tests.helpers import random_dag, real_soft_labels

pytest.importorskip("numba")


def assert_same_graph(a, b):
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_shuffle_draws_as_random_shuffle():
    from avili.graph.compiled import mt_state, shuffle

    rng = random.Random(7)
    mt = mt_state(rng)
    for n in [0, 1, 2, 3, 30, 700, 5] * 20:  # 700: past one 624-word MT block per call
        expected = list(range(n))
        rng.shuffle(expected)
        got = np.arange(n)
        shuffle(mt, got)
        assert got.tolist() == expected


@pytest.mark.parametrize("p,n,seed,lambda_value", [(20, 1000, 0, 2.0), (30, 1500, 1, 1.0),
                                                   (56, 2000, 2, 2.0), (120, 3000, 0, 1.0)])
def test_compiled_matches_python_search_on_synthetic_dags(p, n, seed, lambda_value):
    data = linear_gaussian(p, n, seed)[0]
    assert_same_graph(fast_grasp(data, lambda_value, 3, seed),
                      fast_grasp(data, lambda_value, 3, seed, compiled=False))


@pytest.mark.parametrize("lambda_value", [1.0, 2.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_matches_python_search_on_real_soft_labels(seed, lambda_value):
    data = real_soft_labels()
    assert_same_graph(fast_grasp(data, lambda_value, 3, seed),
                      fast_grasp(data, lambda_value, 3, seed, compiled=False))


@pytest.mark.parametrize("depth", [0, 1, 2, 4])
def test_compiled_matches_python_search_at_other_depths(depth):
    data = linear_gaussian(40, 1500, 3)[0]
    assert_same_graph(fast_grasp(data, 2.0, depth, 3),
                      fast_grasp(data, 2.0, depth, 3, compiled=False))


def _search(data, budget):
    from avili.graph.compiledsearch import grasp_search
    from avili.graph.fastscore import BicScore

    scorer = BicScore(data, 2.0)
    p = data.shape[1]
    consts = np.array([-0.5 * scorer.n, scorer.lambda_value, scorer.log_n])
    roots = np.array([scorer.empty(v) for v in range(p)])
    mt = np.array(random.Random(1).getstate()[1], dtype=np.int64)
    return grasp_search(np.arange(p), scorer.cov, consts, roots, mt, 3, budget)


def test_trees_emptied_to_stay_in_budget_give_the_same_graph():
    """Trees over their byte budget are emptied and rebuilt: same order and parents."""
    data = linear_gaussian(30, 1500, 1)[0]
    small, roomy = _search(data, 20_000), _search(data, 1 << 26)
    assert small[3] > 10 and roomy[3] == 0  # emptied many times, and never
    for a, b in zip(small[:3], roomy[:3]):
        np.testing.assert_array_equal(a, b)


def test_falls_back_to_python_without_numba(monkeypatch):
    data = linear_gaussian(20, 1000, 1)[0]
    expected = fast_grasp(data, 2.0, 3, 1)
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba now fails
    for name in ("compiled", "compiledsearch"):
        monkeypatch.delitem(sys.modules, f"avili.graph.{name}", raising=False)
        monkeypatch.delattr(avili.graph, name, raising=False)
    assert fastgrasp._compiled() is None
    assert_same_graph(fast_grasp(data, 2.0, 3, 1), expected)


@pytest.mark.parametrize("seed", range(30))
def test_compiled_dag_to_cpdag_matches_python(seed):
    from avili.graph.compiled import dag_to_cpdag as compiled_cpdag

    dag, order = random_dag(seed, 40, 0.05)
    assert_same_graph(compiled_cpdag(dag, order), dag_to_cpdag(dag, order))


def test_trees_that_fill_up_rerun_with_more_room_to_the_same_graph(monkeypatch):
    from avili.graph import compiledsearch

    data = linear_gaussian(30, 1500, 1)[0]
    roomy = _search(data, 1 << 26)
    monkeypatch.setattr(compiledsearch, "first_room", lambda p: (p + 1, 4, 1))
    small = _search(data, 1 << 26)
    assert small[3] == 0  # grown, never emptied
    for a, b in zip(small[:3], roomy[:3]):
        np.testing.assert_array_equal(a, b)


def test_any_budget_finishes_with_the_same_graph():
    """The room never drops below what one trace needs: a 1-byte budget still works."""
    data = linear_gaussian(30, 1500, 1)[0]
    tiny, roomy = _search(data, 1), _search(data, 1 << 26)
    assert tiny[3] > roomy[3]
    for a, b in zip(tiny[:3], roomy[:3]):
        np.testing.assert_array_equal(a, b)


def test_an_interrupt_stops_the_search_and_is_raised(monkeypatch):
    """Ctrl-C or SIGTERM reaches the waiting thread; it stops the search thread (which
    checks a flag in its loops) and raises, leaving no search running."""
    import threading

    join = threading.Thread.join

    def interrupted(self, timeout=None):
        if self.name == "avili-grasp" and timeout is not None:
            raise KeyboardInterrupt
        return join(self, timeout)

    monkeypatch.setattr(threading.Thread, "join", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _search(linear_gaussian(120, 3000, 0)[0], 1 << 26)
    assert not any(t.name == "avili-grasp" for t in threading.enumerate())


def test_errors_in_the_search_thread_are_raised_in_the_caller(monkeypatch):
    from avili.graph import compiledsearch

    def broken(*args):
        raise MemoryError("no room")

    monkeypatch.setattr(compiledsearch, "_start", broken)
    with pytest.raises(MemoryError, match="no room"):
        _search(linear_gaussian(10, 300, 0)[0], 1 << 20)
