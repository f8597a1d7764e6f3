"""--min-lift: co-occurrence edges need the teacher to see their events together more often
than chance; and the modality-aware class links LIR reads off a graph."""

from dataclasses import replace

import numpy as np
import pytest

from avili.config import GraphConfig, TeachConfig
from avili.data.graphfile import Graph
from avili.graph.infer import infer_graph
from avili.graph.inputs import prepare, soft_lift
from avili.train.teach import train_teacher


def test_soft_lift_matches_a_loop():
    p = np.random.default_rng(0).random((50, 4))
    lift = soft_lift(p)
    for i in range(4):
        for j in range(4):
            want = np.mean(p[:, i] * p[:, j]) / (p[:, i].mean() * p[:, j].mean())
            assert lift[i, j] == pytest.approx(want)
    assert soft_lift(np.zeros((5, 2))).tolist() == [[0, 0], [0, 0]]


@pytest.fixture(scope="module")
def soft(tiny):
    ds, _ = tiny
    return train_teacher(ds, TeachConfig(epochs=5)).soft


@pytest.mark.slow
def test_min_lift_drops_only_co_occurrence_edges_below_it(soft):
    everything = infer_graph(soft, GraphConfig(min_lift=0))
    lift = prepare(soft, GraphConfig()).lift
    for bar in (1.5, 1e9):
        kept = infer_graph(soft, GraphConfig(min_lift=bar))
        positive = (kept.weight > 0) & (kept.sign > 0)
        assert (lift[positive] >= bar).all()
        # what was dropped is exactly the co-occurrence edges below the bar
        dropped = (everything.weight > 0) & (kept.weight == 0)
        assert ((everything.sign[dropped] > 0) & (lift[dropped] < bar)).all()
        want = (everything.weight > 0) & ~((everything.sign > 0) & (lift < bar))
        assert np.array_equal(kept.weight > 0, want)
    assert not ((infer_graph(soft, GraphConfig(min_lift=1e9)).sign > 0).any())


@pytest.mark.slow
def test_min_lift_is_skipped_with_a_warning_for_scores(soft):
    scores = replace(soft, audio=soft.audio * 4 - 2, visual=soft.visual * 4 - 2)
    graph = infer_graph(scores, GraphConfig())
    assert graph.provenance["min_lift_applied"] is False
    assert any("--min-lift" in w for w in graph.provenance["warnings"])


def test_event_links_read_each_target_modality():
    c = 3
    weight = np.zeros((2 * c, 2 * c), np.float32)
    weight[0, c + 1] = 0.8  # audio:0 -> visual:1
    weight[c + 2, 1] = 0.5  # visual:2 -> audio:1
    graph = Graph(["a", "b", "c"], weight, np.zeros_like(weight, bool),
                  np.sign(weight).astype(np.int8))
    links = graph.event_links()
    assert links[1, 0, 1] == pytest.approx(0.8)  # a clip of class 0 holds 1's visual event
    assert links[0, 1, 0] == pytest.approx(0.8)  # and, read backwards, 1's clips hold 0's audio
    assert links[0, 2, 1] == pytest.approx(0.5) and links[1, 1, 2] == pytest.approx(0.5)
    assert links[0, 0, 1] == 0 and links[1, 2, 1] == 0
    assert np.array_equal(links.max(axis=0), graph.class_links())
