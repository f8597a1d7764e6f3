import numpy as np
import pytest

from avili.eval.diagnose import DiagnoseConfig, diagnose, linked_pairs, pair_distance
from avili.data.graphfile import Graph


def graph_with(c: int, edges: dict) -> Graph:
    p = 2 * c
    weight, sign = np.zeros((p, p), np.float32), np.zeros((p, p), np.int8)
    for (u, v), (w, s) in edges.items():
        weight[u, v], sign[u, v] = w, s
    return Graph(class_names=[f"c{i}" for i in range(c)], weight=weight,
                 undirected=np.zeros((p, p), bool), sign=sign)


def test_pairs_follow_the_soft_labels_and_skip_same_labels():
    g = graph_with(3, {(0, 3 + 1): (1.0, 1)})  # audio:c0 -> visual:c1
    audio = np.array([[0.9, 0, 0], [0.8, 0, 0], [0.1, 0, 0], [0.7, 0, 0]])
    visual = np.array([[0, 0.2, 0], [0, 0.9, 0], [0, 0.6, 0], [0, 0.95, 0]])
    label = np.array([0, 1, 2, 1])
    n, m = linked_pairs(g, (audio, visual), label, 0, 4, DiagnoseConfig(tau=0.5),
                        np.random.default_rng(0))
    # audio-active: 0, 1, 3; visual-active: 1, 2, 3; different labels, n != m
    assert sorted(zip(n.tolist(), m.tolist())) == [(0, 1), (0, 2), (0, 3), (1, 2), (3, 2)]


def test_pull_is_positive_only_where_a_model_moves_linked_pairs_closer():
    rng = np.random.default_rng(1)
    c, n = 4, 400
    label = np.arange(n) % c
    audio_soft = np.eye(c)[label] * 0.9
    visual_soft = np.eye(c)[label] * 0.9
    g = graph_with(c, {(0, c + 1): (1.0, 1), (2, 3): (0.5, -1)})  # competition edge skipped

    def unit(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    a = unit(rng.standard_normal((n, 8)))
    v = unit(a + 0.1 * rng.standard_normal((n, 8)))
    moved_a, moved_v = a.copy(), v.copy()
    target = unit(rng.standard_normal((1, 8)))
    for arr in (moved_a, moved_v):  # classes 0 and 1 drawn to one point
        arr[label < 2] = unit(arr[label < 2] + 3 * target)
    out = diagnose(g, (audio_soft, visual_soft), label, [(a, v), (moved_a, moved_v)],
                   DiagnoseConfig(tau=0.5, max_pairs=500))
    assert [e["cause"] for e in out["edges"]] == ["audio:c0"]
    assert out["edges"][0]["pairs"] == 500
    lo, hi = out["all_edges"]["pull_ci95"][0]
    assert out["all_edges"]["pull"][0] > 0.3 and lo > 0
    assert out["all_edges"]["pull"][0] > out["control"]["pull"][0] + 0.2
    same = diagnose(g, (audio_soft, visual_soft), label, [(a, v), (a, v)], DiagnoseConfig())
    assert same["all_edges"]["pull"] == [0.0] and same["control"]["pull"] == [0.0]


def test_pair_distance_is_symmetric_cross_modal():
    a = np.array([[1.0, 0.0], [0.0, 1.0]])
    v = np.array([[0.0, 1.0], [1.0, 0.0]])
    d = pair_distance((a, v), np.array([0]), np.array([1]))
    assert d[0] == pytest.approx(0.0)  # a0 == v1 and v0 == a1
