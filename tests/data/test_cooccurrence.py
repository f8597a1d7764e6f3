"""The real co-occurrence regime: the shipped AudioSet subset, the true-pair count, and
synthetic data whose event sets are real clips' label sets."""

from __future__ import annotations

import importlib.util
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from avili.config import SyntheticConfig
from avili.data.cooccurrence import (audioset_path, cooccurring_pairs, draw_label_sets,
                                     load_label_sets)
from avili.data.synthetic import generate
from avili.errors import AviliError
from avili.data.graphfile import class_pairs, recovery
from tests.helpers import SHARED, shared_file

ROOT = Path(__file__).resolve().parents[2]
AVE_AS_AUDIOSET = ["Clock", "Motorcycle", "Train horn", "Bark", "Cat", "Bus",
                   "Rodents, rats, mice", "Toilet flush", "Acoustic guitar", "Frying (food)",
                   "Chainsaw", "Horse", "Helicopter", "Baby cry, infant cry", "Truck"]
REAL = SyntheticConfig(cooccurrence="audioset", clips=1450, audio_dim=8, visual_dim=8,
                       latent_dim=8, background_rate=0.0, seed=0)


@pytest.fixture(scope="module")
def sets():
    return load_label_sets()


@pytest.fixture(scope="module")
def real_ds():
    return generate(REAL)


def test_shipped_subset_has_the_documented_classes(sets):
    names = sets.class_names
    assert names[:15] == AVE_AS_AUDIOSET and 18 <= len(names) <= 30
    assert {"Speech", "Music", "Dog"} <= set(names)
    assert not {"Vehicle", "Animal", "Domestic animals, pets"} & set(names)  # parents dropped
    assert sets.member.sum(axis=0).min() >= 40 and sets.member.any(axis=1).all()
    assert len(set(sets.clip_id)) == len(sets.clip_id) > 10_000
    assert "CC BY 4.0" in audioset_path().read_text().split("ytid,labels")[0]


def test_make_script_rebuilds_the_shipped_file(tmp_path):
    data = shared_file(SHARED / "audioset_balanced_train_segments.csv").parent
    spec = importlib.util.spec_from_file_location("make", ROOT / "bench/make_audioset_subset.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    names, clips = make.read_audioset(data)
    subset = make.select_classes([{names[m] for m in mids} for _, mids in clips])
    assert make.subset_csv(names, clips, subset) == audioset_path().read_text()


def test_true_pairs_match_a_hand_count():
    # 10 clips over classes a, b, c, d: a+b together 4 times, a 5 times, b 4 times
    rows = ["ab", "ab", "ab", "ab", "a", "c", "c", "cd", "d", "cd"]
    member = np.array([[k in r for k in "abcd"] for r in rows])
    pairs = cooccurring_pairs(member, min_clips=2, min_lift=1.5)
    # lift(a, b) = 4 * 10 / (5 * 4) = 2; lift(c, d) = 2 * 10 / (4 * 3) = 1.67
    assert [(p.i, p.j, p.clips) for p in pairs] == [(0, 1, 4), (2, 3, 2)]
    np.testing.assert_allclose([p.lift for p in pairs], [2.0, 10 / 6])
    assert [(p.i, p.j) for p in cooccurring_pairs(member, min_clips=3, min_lift=1.5)] == [(0, 1)]
    assert cooccurring_pairs(member, min_clips=2, min_lift=2.0) == []  # lift must exceed it


def test_true_pairs_agree_with_a_plain_loop(sets):
    m, n = sets.member, len(sets.member)
    naive = set()
    for i, j in combinations(range(m.shape[1]), 2):
        both = int(np.sum(m[:, i] & m[:, j]))
        if both >= 20 and both * n / (m[:, i].sum() * m[:, j].sum()) > 2:
            naive.add((i, j))
    assert {(p.i, p.j) for p in cooccurring_pairs(m)} == naive and len(naive) >= 10


def test_event_sets_are_real_clips_and_hold_the_label(real_ds, sets):
    ds, planted = real_ds
    assert ds.class_names == sets.class_names and ds.provenance["config"]["classes"] == 29
    real_rows = {row.tobytes() for row in sets.member}
    assert all(row.astype(bool).tobytes() in real_rows for row in ds.audio_events)
    rows = np.arange(len(ds))
    assert ds.audio_events[rows, ds.label].all() and ds.visual_events[rows, ds.label].all()
    assert (ds.visual_events <= ds.audio_events).all()  # companions may be off-screen
    companions = ds.audio_events.sum() - len(ds)
    assert 0.35 < (ds.visual_events.sum() - len(ds)) / companions < 0.65
    counts = np.bincount(ds.label, minlength=29)
    assert counts.min() > 25 and counts.max() < 80  # class-balanced, 50 expected


def test_truth_graph_is_the_true_pairs(real_ds, sets):
    _, planted = real_ds
    truth = {frozenset((p.i, p.j)) for p in cooccurring_pairs(sets.member)}
    assert class_pairs(planted) == truth
    assert planted.undirected[planted.weight > 0].all()
    assert recovery(planted, planted)["recall"] == 1.0


def test_audioset_regime_is_deterministic_by_seed(real_ds):
    again, _ = generate(REAL)
    np.testing.assert_array_equal(again.audio, real_ds[0].audio)
    np.testing.assert_array_equal(again.visual_events, real_ds[0].visual_events)
    other, _ = generate(SyntheticConfig(**{**vars(REAL), "seed": 1}))
    assert not np.array_equal(other.label, real_ds[0].label)


def test_draw_is_class_balanced_and_real(sets):
    label, member = draw_label_sets(sets, 2900, np.random.default_rng(0))
    assert member[np.arange(2900), label].all()
    assert np.bincount(label, minlength=29).min() > 60


def test_unknown_source_and_bad_files_are_clean_errors(tmp_path):
    with pytest.raises(AviliError, match="planted, audioset"):
        generate(SyntheticConfig(cooccurrence="vggsound"))
    bad = tmp_path / "bad.csv"
    bad.write_text("# class,/m/1,A\n# class,/m/2,B\nytid,labels\nx,A;C\n")
    with pytest.raises(AviliError, match="bad.csv"):
        load_label_sets(bad)
    bad.write_text("ytid,labels\nx,A\n")
    with pytest.raises(AviliError, match="header lines"):
        load_label_sets(bad)
