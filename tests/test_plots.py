"""The evaluation pictures' logic: legend labels, epoch ticks, chosen-epoch marks, class
styles and t-SNE progress (not their pixels)."""

from types import SimpleNamespace

import numpy as np
import pytest

from avili.config import EvalConfig
from avili.eval import plots
from tests.helpers import Recorder


@pytest.fixture
def figures(monkeypatch):
    """Keep each figure a plot function would save, instead of writing it."""
    kept = []
    monkeypatch.setattr(plots, "save", lambda fig, path: kept.append(fig) or path)
    yield kept
    for fig in kept:
        plots.pyplot().close(fig)


def test_pr_legend_names_each_models_map(figures):
    curves = {"baseline": np.linspace(1, 0, 101), "student": np.linspace(1, 0.2, 101)}
    plots.pr_curves(curves, "a2v", "pr.png", {"baseline": 0.8, "student": 0.81234})
    texts = [t.get_text() for t in figures[0].axes[0].get_legend().get_texts()]
    assert texts == ["baseline (mAP 0.800)", "student (mAP 0.812)"]
    assert plots.model_label("m", None) == "m" and plots.model_label("m", float("nan")) == "m"


@pytest.mark.parametrize("last", [1, 5, 12, 13, 22, 30, 99, 100, 1000])
def test_epoch_ticks_are_few_integers_from_one(last):
    ticks = plots.epoch_ticks(last)
    assert ticks[0] == 1 and ticks == sorted(set(ticks)) and ticks[-1] <= last
    assert all(isinstance(t, int) for t in ticks) and len(ticks) <= 12
    assert last - ticks[-1] < max(np.diff(ticks), default=1)  # no long tail without ticks
    if last <= 12:
        assert ticks == list(range(1, last + 1))


def test_training_curves_count_epochs_from_one_and_ring_the_chosen_one(figures):
    history = [{"epoch": e, "val_score": s} for e, s in enumerate([0.5, 0.7, 0.65])]
    plots.training_curves({"baseline": history, "student": history[:2]}, "t.png",
                          {"baseline": 1, "student": None})
    ax = figures[0].axes[0]
    assert list(ax.get_xticks()) == [1, 2, 3]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts == ["baseline (chosen: epoch 2)", "student"]
    (ring,) = ax.collections  # only the model with a chosen epoch gets one
    np.testing.assert_allclose(ring.get_offsets(), [[2, 0.7]])


@pytest.mark.parametrize("n", [3, 10, 15, 20, 21, 60, 120])
def test_class_styles_tell_classes_apart(n):
    styles = plots.class_styles(n)
    assert len(styles) == n and len(set(styles)) == n
    if n <= 10:  # the ten tab10 hues, all filled
        assert len({c for c, _ in styles}) == n and all(f for _, f in styles)


def test_embedding_map_names_many_classes_on_the_map(figures):
    rng = np.random.default_rng(0)
    label = np.repeat(np.arange(30), 4)
    side = np.tile(["audio", "visual"], 60)
    names = [f"class {k}" for k in range(30)]
    plots.embedding_map(rng.normal(size=(120, 2)), label, side, names, "t", "m.png")
    ax = figures[0].axes[0]
    assert sorted(t.get_text() for t in ax.texts) == sorted(names)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["audio", "visual"]
    plots.embedding_map(rng.normal(size=(120, 2)), label % 5, side, names[:5], "t", "m.png")
    legend = [t.get_text() for t in figures[1].axes[0].get_legend().get_texts()]
    assert legend == ["audio", "visual", *names[:5]] and not figures[1].axes[0].texts


@pytest.mark.slow
def test_tsne_maps_advance_progress_per_model(figures, tmp_path):
    from avili.eval.stage import _tsne_maps

    rng = np.random.default_rng(0)
    part = SimpleNamespace(label=np.arange(24) % 3, class_names=["a", "b", "c"])
    seen = [(f"m{k}.pt", rng.normal(size=(24, 4)), rng.normal(size=(24, 4)))
            for k in range(2)]
    progress = Recorder()
    written = _tsne_maps(seen, ["m0", "m1"], part, EvalConfig(), tmp_path, progress)
    assert [p.name for p in written] == ["tsne_m0.png", "tsne_m1.png"]
    assert progress.calls == [("start", 2), ("advance", 0, "m0"), ("advance", 1, "m0"),
                              ("advance", 0, "m1"), ("advance", 1, "m1"), ("stop",)]
