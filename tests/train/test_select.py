"""--lir-weight auto: the documented rule, and a selection that trains every candidate."""

from dataclasses import replace

import numpy as np
import pytest

from avili.config import DistillConfig, GraphConfig, TeachConfig
from avili.graph.infer import infer_graph
from avili.train.distill import train_student
from avili.train.select import candidates, choose, select_student
from avili.train.teach import train_teacher


def test_choose_takes_the_strongest_candidate_within_tolerance_of_the_best():
    scores = [(0.0, 0.0, 0.900), (1.0, 0.5, 0.902), (2.0, 0.5, 0.8995), (4.0, 0.5, 0.890)]
    assert choose(scores, 0.003) == (2.0, 0.5)  # 0.8995 >= 0.902 - 0.003; 4.0 is too far
    assert choose(scores, 0.0) == (1.0, 0.5)
    assert choose([(0.0, 0.0, 0.9), (1.0, 0.5, 0.8)], 0.003) == (0.0, 0.0)  # plain kept
    assert choose([(1.0, 0.0, 0.9), (1.0, 1.0, 0.9)], 0.003) == (1.0, 1.0)


def test_candidates_put_the_plain_student_first():
    cfg = DistillConfig(lir_weight_grid=(0.5, 1.0), graph_weight_grid=(0.0, 0.5))
    assert candidates(cfg) == [(0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (1.0, 0.0), (1.0, 0.5)]
    fixed = DistillConfig(lir_weight=2.0, lir_weight_grid=(), graph_weight=0.3)
    assert candidates(fixed) == [(0.0, 0.0), (2.0, 0.3)]


@pytest.fixture(scope="module")
def taught(tiny):
    ds, _ = tiny
    teacher = train_teacher(ds, TeachConfig(epochs=3))
    return ds, teacher.soft, infer_graph(teacher.soft, GraphConfig(min_lift=0))


@pytest.mark.slow
def test_selection_trains_every_candidate_and_keeps_the_one_the_rule_picks(taught):
    ds, soft, graph = taught
    cfg = DistillConfig(epochs=2, lir_weight_grid=(0.5, 2.0))
    sel = select_student(ds, cfg, soft, graph)
    rec = sel.record
    assert [(c["lir_weight"], c["graph_weight"]) for c in rec["candidates"]] == [
        (0.0, 0.0), (0.5, 0.5), (2.0, 0.5)]
    scores = [(c["lir_weight"], c["graph_weight"], c["val_avg_mAP"]) for c in rec["candidates"]]
    w, g = choose(scores, cfg.tolerance)
    assert (rec["chosen"]["lir_weight"], rec["chosen"]["graph_weight"]) == (w, g)
    assert (sel.config.lir_weight, sel.config.graph_weight) == (w, g)
    assert sel.result is sel.trained[w, g]
    # each candidate is the single run with that weight: same seed, same result
    one = train_student(ds, replace(cfg, lir_weight=2.0, lir_weight_grid=()), soft, graph)
    assert one.fit.best_score == sel.trained[2.0, 0.5].fit.best_score
    assert np.allclose(one.fit.history[-1]["total"], sel.trained[2.0, 0.5].fit.history[-1]["total"])
