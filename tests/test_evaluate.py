import numpy as np
import pytest

from avili.config import EvalConfig
from avili.eval.evaluate import direction_metrics, relevance, summarize


def test_event_relevance_rows(tiny):
    ds = tiny[0]
    a2v, v2a = relevance(ds, "events")
    n = len(ds)
    for i, j in ((0, 7), (5, n)):
        rows = a2v(i, j)
        assert rows.shape == (j - i, n)
        for r, query in enumerate(range(i, j)):  # gallery m holds query's event visually
            np.testing.assert_array_equal(rows[r], ds.visual_events[:, ds.label[query]] > 0)
        np.testing.assert_array_equal(v2a(i, j)[0], ds.audio_events[:, ds.label[i]] > 0)
    same = relevance(ds, "label")[0](2, 4)
    np.testing.assert_array_equal(same, ds.label[2:4, None] == ds.label[None])
    with pytest.raises(ValueError, match="unknown relevance"):
        relevance(ds, "tags")


def test_summary_keys_and_per_class(tiny):
    ds = tiny[0].subset("test")
    rng = np.random.default_rng(0)
    audio = rng.standard_normal((len(ds), 4)).astype(np.float32)
    visual = audio + 0.1 * rng.standard_normal(audio.shape).astype(np.float32)
    cfg = EvalConfig(ks=(1, 3))
    stats = direction_metrics(audio, visual, ds, cfg)
    out = summarize(stats, ds, cfg)
    assert {"a2v_mAP", "v2a_mAP@R", "a2v_P@3", "v2a_R@1", "a2v_MRR"} <= set(out)
    assert not any("NONSTANDARD" in k or k.endswith("ci95") for k in out)
    for c, name in enumerate(ds.class_names):
        mine = stats["a2v"]["AP"][ds.label == c]
        assert out["per_class_AP"][name]["a2v"] == pytest.approx(np.nanmean(mine))


def test_summary_counts_queries_without_relevant():
    from avili.data.schema import Dataset
    from avili.eval.metrics import chunked_metrics

    emb = np.eye(3, dtype=np.float32)
    rel = np.eye(3, dtype=bool)
    rel[2, 2] = False
    stats = {"a2v": chunked_metrics(emb, emb, lambda i, j: rel[i:j]),
             "v2a": chunked_metrics(emb, emb, lambda i, j: np.eye(3, dtype=bool)[i:j])}
    part = Dataset(audio=emb, visual=emb, label=np.array([0, 1, 1]),
                   split=np.array(["test"] * 3), clip_id=np.array(["a", "b", "c"]),
                   class_names=["x", "y"])
    out = summarize(stats, part, EvalConfig())
    assert out["a2v_mAP"] == pytest.approx(1.0) and out["v2a_mAP"] == pytest.approx(1.0)
    assert out["queries_without_relevant"] == 1
