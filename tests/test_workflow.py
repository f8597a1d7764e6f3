"""The public Python API (:mod:`avili.workflow`, re-exported by ``import avili``): keyword
options with the CLI's defaults, objects or paths as inputs, typed results, and results
equal to the file-based stages the CLI runs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

import avili
from tests.helpers import TINY

TEACH = dict(epochs=3, hidden=32, seed=0)
STUDENT = dict(epochs=3, hidden=32, embed_dim=16, seed=0)


@pytest.fixture(scope="module")
def trained():
    ds, planted = avili.synthetic(TINY)
    teacher = avili.train_teacher(ds, **TEACH)
    graph = avili.infer_graph(teacher, seed=0, restarts=1)
    return ds, planted, teacher, graph


def test_options_are_the_config_fields_with_the_cli_defaults():
    assert avili.synthetic.__kwdefaults__ is None  # options are keywords, not positionals
    ds, planted = avili.synthetic(classes=4, clips=200, audio_dim=8, visual_dim=8)
    assert ds.num_classes == 4 and len(ds) == 200 and planted.num_classes == 4
    assert len(planted.edges()) > 0  # the rule count follows the classes (one per class)
    assert avili.SyntheticConfig(classes=4).rules == 4
    assert avili.SyntheticConfig().rules == 15 == avili.SyntheticConfig(classes=15).rules


@pytest.mark.parametrize("call, text", [
    (lambda: avili.synthetic(clases=4), "synthetic: unknown option 'clases'; expected one of "
                                        "classes, clips"),
    (lambda: avili.train_teacher("x.h5", epoch=3), "train_teacher: unknown option 'epoch'"),
    (lambda: avili.synthetic(clips=0), "--clips must be a finite number >= 1; got 0 "
                                       "(Python: clips=)"),
    (lambda: avili.infer_graph(object()), "expected soft labels, a teacher result or a path"),
    (lambda: avili.synthetic(avili.TeachConfig()), "config must be a SyntheticConfig"),
])
def test_bad_options_raise_one_line_errors(call, text):
    with pytest.raises(avili.AviliError) as err:
        call()
    assert text in str(err.value) and "\n" not in str(err.value)


def test_lir_weight_reads_like_the_cli(trained):
    ds, _, teacher, graph = trained
    fixed = avili.train_student(ds, soft=teacher, graph=graph, lir_weight=0.5, **STUDENT)
    assert fixed.config.lir_weight == 0.5 and fixed.config.lir_weight_grid == ()
    assert fixed.selection is None
    auto = avili.train_student(ds, soft=teacher, graph=graph, lir_weight="auto",
                               lir_weight_grid=(0.5,), **STUDENT)
    assert [c["lir_weight"] for c in auto.selection["candidates"]] == [0.0, 0.5]
    assert auto.config.lir_weight in (0.0, 0.5)
    plain = avili.train_student(ds, lir_weight=0, **STUDENT)
    for a, b in zip(auto.candidates[0.0, 0.0].model.parameters(), plain.model.parameters()):
        assert torch.equal(a, b)  # the auto run's plain candidate is the plain student


def test_evaluate_against_a_baseline(trained):
    ds, _, teacher, graph = trained
    plain = avili.train_student(ds, lir_weight=0, **STUDENT)
    lir = avili.train_student(ds, soft=teacher, graph=graph, lir_weight=0.5, **STUDENT)
    alone = avili.evaluate(lir, ds)
    both = avili.evaluate(lir, ds, baseline=plain, ci=True)
    base = avili.evaluate(plain, ds)
    assert isinstance(alone, avili.Evaluation) and alone.split == "test"
    assert alone.avg_mAP == pytest.approx((alone.a2v_mAP + alone.v2a_mAP) / 2)
    assert both.avg_mAP == alone.avg_mAP
    assert both.metrics["delta_avg_mAP"] == pytest.approx(alone.avg_mAP - base.avg_mAP)
    low, high = both.metrics["delta_avg_mAP_ci95"]
    assert low <= both.metrics["delta_avg_mAP"] <= high
    assert "delta_avg_mAP" not in alone.metrics
    events = avili.evaluate(lir, ds, relevance="events", split="val")
    assert events.relevance == "events" and events.split == "val"


def test_retrieve_ranks_the_gallery(trained):
    ds, _, teacher, graph = trained
    student = avili.train_student(ds, lir_weight=0, **STUDENT)
    query = str(ds.clip_id[ds.split == "test"][0])
    hits = avili.retrieve(student, ds, query, k=5)
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    assert all(isinstance(h, avili.Hit) for h in hits)
    assert [h.score for h in hits] == sorted([h.score for h in hits], reverse=True)
    test_ids = set(ds.clip_id[ds.split == "test"].tolist())
    assert {h.clip_id for h in hits} <= test_ids
    with pytest.raises(avili.AviliError, match="query clip id 'nope' is not in the dataset"):
        avili.retrieve(student, ds, "nope")


def test_paths_and_objects_give_the_same_results(trained, tmp_path):
    ds, _, teacher, graph = trained
    avili.write_dataset(ds, tmp_path / "d.h5")
    avili.save_soft_labels(teacher.soft, tmp_path / "soft.npz")
    avili.save_graph(graph, tmp_path / "g.npz")
    from_files = avili.train_student(tmp_path / "d.h5", soft=tmp_path / "soft.npz",
                                     graph=tmp_path / "g.npz", lir_weight=0.5, **STUDENT)
    in_memory = avili.train_student(ds, soft=teacher, graph=graph, lir_weight=0.5, **STUDENT)
    for a, b in zip(from_files.model.parameters(), in_memory.model.parameters()):
        assert torch.equal(a, b)
    again = avili.infer_graph(tmp_path / "soft.npz", seed=0, restarts=1)
    assert np.array_equal(again.weight, graph.weight)


def test_run_pipeline_trains_and_scores_every_student(trained):
    ds, planted, _, _ = trained
    cfg = avili.DemoConfig(synthetic=TINY, teach=avili.TeachConfig(**TEACH),
                           graph=avili.GraphConfig(seed=0, restarts=1),
                           distill=avili.DistillConfig(lir_weight_grid=(0.5,), **STUDENT))
    run = avili.run_pipeline(cfg, relevance=("label",), ci=True)
    assert set(run.students) == {"baseline", "lir"} and run.recovery is not None
    assert run.students["baseline"].config.lir_weight == 0
    lir = run.scores["lir"]["label"]
    assert lir.metrics["delta_avg_mAP"] == pytest.approx(
        lir.avg_mAP - run.scores["baseline"]["label"].avg_mAP)
    given = avili.run_pipeline(replace(cfg, distill=replace(cfg.distill, lir_weight_grid=())),
                               data=ds, students=("baseline",), relevance=("label",), ci=False)
    assert set(given.students) == {"baseline"} and given.recovery is None
