import numpy as np

from avili.config import SyntheticConfig
from avili.data.synthetic import PAIRINGS, generate


def test_same_seed_same_data_other_seed_differs():
    cfg = SyntheticConfig(classes=4, clips=200, audio_dim=8, visual_dim=8, rules=4, seed=3)
    a, ga = generate(cfg)
    b, gb = generate(cfg)
    np.testing.assert_array_equal(a.visual, b.visual)
    np.testing.assert_array_equal(ga.weight, gb.weight)
    c, _ = generate(SyntheticConfig(**{**vars(cfg), "seed": 4}))
    assert not np.array_equal(a.audio, c.audio)


def test_planted_rules_show_in_event_truth():
    cfg = SyntheticConfig(classes=6, clips=6000, audio_dim=8, visual_dim=8, rules=4,
                          background_rate=0.0, seed=1)
    ds, planted = generate(cfg)
    rules = ds.provenance["rules"]
    assert [(r["source_mod"], r["target_mod"]) for r in rules] == list(PAIRINGS)
    events = (ds.audio_events, ds.visual_events)
    for r in rules:
        clips = ds.label == r["source"]
        rate = events[r["target_mod"]][clips, r["target"]].mean()
        assert abs(rate - r["prob"]) < 0.06
        assert planted.weight[r["source_mod"] * 6 + r["source"],
                              r["target_mod"] * 6 + r["target"]] == np.float32(r["prob"])
    # the annotated event is always present, in both modalities
    assert ds.audio_events[np.arange(len(ds)), ds.label].all()
    assert ds.visual_events[np.arange(len(ds)), ds.label].all()
    assert set(np.unique(ds.split)) == {"train", "val", "test"}
