import numpy as np
import pytest

from avili.data.softlabels import SoftLabels, align_to_dataset, load_soft_labels, save_soft_labels
from tests.helpers import AVE15_SOFT, shared_file


def test_bare_real_file_loads_with_names():
    names = ["Clock", "Motorcycle", "Train horn", "Bark", "Cat", "Bus", "Rodents/rats",
             "Toilet flush", "Acoustic guitar", "Frying (food)", "Chainsaw", "Horse",
             "Helicopter", "Infant cry", "Truck"]
    soft = load_soft_labels(shared_file(AVE15_SOFT), names)
    assert soft.bare and soft.audio.shape == (1564, 15) and soft.class_names[1] == "Motorcycle"
    assert soft.rows("train").size == 1564
    with pytest.raises(ValueError, match="3 class names for 15"):
        load_soft_labels(AVE15_SOFT, ["a", "b", "c"])


def _soft(n=4, c=3, ids=None):
    rng = np.random.default_rng(0)
    return SoftLabels(audio=rng.random((n, c)).astype(np.float32),
                      visual=rng.random((n, c)).astype(np.float32),
                      class_names=["a", "b", "c"][:c],
                      clip_id=np.array(ids or [f"c{k}" for k in range(n)]),
                      label=np.arange(n) % c, split=np.array(["train"] * n))


def test_roundtrip_and_align(tmp_path):
    save_soft_labels(_soft(), tmp_path / "s.npz")
    soft = load_soft_labels(tmp_path / "s.npz")
    aligned = align_to_dataset(soft, np.array(["c2", "c0", "c1", "c3"]), ["a", "b", "c"], "d.h5")
    np.testing.assert_array_equal(aligned.audio[0], soft.audio[2])
    np.testing.assert_array_equal(aligned.clip_id, ["c2", "c0", "c1", "c3"])
    same = align_to_dataset(soft, soft.clip_id.copy(), ["a", "b", "c"], "d.h5")
    assert same.audio is soft.audio  # already in the dataset's order: nothing copied
    part = align_to_dataset(soft, np.array(["c3", "c1"]), ["a", "b", "c"], "d.h5")
    np.testing.assert_array_equal(part.visual, soft.visual[[3, 1]])
    with pytest.raises(ValueError, match="2 dataset clip ids are absent.*first: 'c9'"):
        align_to_dataset(soft, np.array(["c1", "c9", "a0"]), ["a", "b", "c"], "d.h5")
    with pytest.raises(ValueError, match="s.npz does not belong to d.h5.*absent"):
        align_to_dataset(soft, np.array(["zz"]), ["a", "b", "c"], "d.h5")
    with pytest.raises(ValueError, match="does not belong to d.h5: class names differ"):
        align_to_dataset(soft, np.array(["c0"]), ["a", "b", "x"], "d.h5")


def test_rejects_nan_and_missing_key(tmp_path):
    np.savez(tmp_path / "nan.npz", audio=np.full((2, 2), np.nan), visual=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="nan.npz: 'audio' contains NaN"):
        load_soft_labels(tmp_path / "nan.npz")
    np.savez(tmp_path / "half.npz", audio=np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"missing required key\(s\) \['visual'\]"):
        load_soft_labels(tmp_path / "half.npz")
    np.savez(tmp_path / "shape.npz", audio=np.zeros((2, 2)), visual=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="differ in shape"):
        load_soft_labels(tmp_path / "shape.npz")
