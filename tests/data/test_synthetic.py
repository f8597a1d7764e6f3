import numpy as np

from avili.config import SyntheticConfig
from avili.data.synthetic import PAIRINGS, class_prototypes, generate


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


def test_prototypes_orthogonal_by_default_and_random_on_request():
    rng = np.random.default_rng(0)
    ortho = class_prototypes(6, 8, True, rng)
    gram = ortho @ ortho.T
    np.testing.assert_allclose(gram, 8 * np.eye(6), atol=1e-9)
    rand = class_prototypes(6, 8, False, rng)
    off = (rand @ rand.T)[~np.eye(6, dtype=bool)]
    assert np.abs(off).max() > 1.0  # i.i.d. Gaussian directions overlap


def test_more_classes_than_latent_dims_still_generates():
    cfg = SyntheticConfig(classes=12, clips=240, audio_dim=8, visual_dim=8, latent_dim=4,
                          rules=3, seed=0)
    ds, _ = generate(cfg)
    assert ds.audio.shape == (240, 8) and np.isfinite(ds.audio).all()
    random_cfg = SyntheticConfig(**{**vars(cfg), "orthogonal_prototypes": False})
    other, _ = generate(random_cfg)
    assert not np.array_equal(ds.audio, other.audio)


def test_absent_rate_removes_the_annotated_event_from_one_modality_only():
    from dataclasses import replace

    from tests.helpers import TINY

    base, _ = generate(TINY)
    ds, _ = generate(replace(TINY, absent_rate=0.4))
    rows = np.arange(len(ds))
    audio = ds.audio_events[rows, ds.label] > 0
    visual = ds.visual_events[rows, ds.label] > 0
    assert (audio | visual).all()  # never gone from both
    missing = 1 - (audio & visual).mean()
    assert 0.3 < missing < 0.5 and (~audio).any() and (~visual).any()
    again, _ = generate(replace(TINY, absent_rate=0.0))
    np.testing.assert_array_equal(again.audio, base.audio)  # rate 0 draws nothing extra


def test_chunked_rendering_draws_the_same_numbers(monkeypatch):
    import avili.data.synthetic as synthetic

    cfg = SyntheticConfig(classes=4, clips=500, audio_dim=8, visual_dim=12, rules=3, seed=5)
    whole, _ = generate(cfg)
    monkeypatch.setattr(synthetic, "CHUNK", 64)  # the skip pass and the chunks both change
    chunked, _ = generate(cfg)
    for key in ("label", "split", "clip_id", "audio_events", "visual_events"):
        np.testing.assert_array_equal(getattr(whole, key), getattr(chunked, key))
    # the same noise; only BLAS row blocking may move the last bit
    np.testing.assert_allclose(chunked.audio, whole.audio, rtol=0, atol=1e-5)
    np.testing.assert_allclose(chunked.visual, whole.visual, rtol=0, atol=1e-5)


def test_extract_streams_the_dataset_generate_returns(tmp_path):
    from avili.api import extract_synthetic
    from avili.data.schema import read_dataset

    cfg = SyntheticConfig(classes=4, clips=300, audio_dim=8, visual_dim=12, rules=3, seed=2)
    summary = extract_synthetic(cfg, tmp_path / "d.h5", tmp_path / "p.npz")
    ds, stored = generate(cfg)[0], read_dataset(tmp_path / "d.h5")
    for key in ("audio", "visual", "label", "split", "clip_id", "audio_events",
                "visual_events"):
        np.testing.assert_array_equal(getattr(stored, key), getattr(ds, key))
    assert stored.provenance["rules"] == ds.provenance["rules"]
    assert summary["train"] == int((ds.split == "train").sum())
