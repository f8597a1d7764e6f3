import h5py
import numpy as np
import pytest

import avili.data.ave_release as ave
from avili.artifacts import file_sha256
from avili.config import ImportConfig
from avili.data.ave_release import AVE28, clip_labels
from avili.data.importers import detect_format, import_features
from avili.data.schema import read_dataset
from tests.helpers import RELEASE_CLIPS as N
from tests.helpers import RELEASE_SECONDS as T
from tests.helpers import release, seconds


def test_round_trip_with_official_names(tmp_path):
    src = release(tmp_path / "AVE")
    assert detect_format(tmp_path / "AVE") == "ave-release"
    out = tmp_path / "out.h5"
    summary = import_features(tmp_path / "AVE", out, ImportConfig(chunk_rows=5))
    ds = read_dataset(out)
    audio = src["audio_feature.h5"].astype(np.float64).mean(axis=1).astype(np.float32)
    visual = src["visual_feature.h5"].astype(np.float64).mean(axis=(1, 2, 3)).astype(np.float32)
    np.testing.assert_array_equal(ds.audio, audio)
    np.testing.assert_array_equal(ds.visual, visual)
    np.testing.assert_array_equal(ds.label, np.arange(N) % 4 * 5)
    assert ds.class_names == AVE28 and len(AVE28) == 28 and AVE28[19] == "Baby cry/infant crying"
    for split, name in (("train", "train_order.h5"), ("val", "val_order.h5"),
                        ("test", "test_order.h5")):
        assert sorted(np.flatnonzero(ds.split == split)) == sorted(src[name])
    assert ds.clip_id.tolist() == [f"ave-release-{i}" for i in range(N)]
    assert summary["format"] == "ave-release" and summary["visual_dim"] == 5
    assert summary["pooling"] == "mean over time and space" and not summary["val_carved"]
    assert summary["class_names_source"] == "official"
    assert summary["dropped"] == {"background_only": 0, "unassigned": 0}
    files = ds.provenance["inputs"]["source"]["files"]
    assert files["labels.h5"]["sha256"] == file_sha256(tmp_path / "AVE" / "labels.h5")
    assert files["labels.h5"]["size"] == (tmp_path / "AVE" / "labels.h5").stat().st_size


def test_clip_label_is_majority_ignoring_background_ties_lowest(tmp_path):
    labels = np.stack([seconds([3, None, None], 28), seconds([7, 2, None], 28),
                       seconds([9, 4, 4], 28), seconds([None] * T, 28)])
    label, background = clip_labels(labels, 28, chunk_rows=3, folder=tmp_path)
    assert label.tolist() == [3, 2, 4, -1] and background == 1


def test_background_only_and_unassigned_clips_are_dropped(tmp_path):
    labels = np.stack([seconds([None] * T if i == 5 else [i % 3] * T, 28) for i in range(N)])
    src = release(tmp_path / "AVE", labels=labels)
    with h5py.File(tmp_path / "AVE" / "test_order.h5", "w") as f:
        f.create_dataset("order", data=src["test_order.h5"][1:])
    summary = import_features(tmp_path / "AVE", tmp_path / "out.h5", ImportConfig())
    ds = read_dataset(tmp_path / "out.h5")
    unassigned = int(src["test_order.h5"][0])
    dropped_rows = {5, unassigned}
    assert summary["dropped"] == {"background_only": 1, "unassigned": int(unassigned != 5)}
    assert len(ds) == N - len(dropped_rows) == summary["clips"]
    assert not set(ds.clip_id.tolist()) & {f"ave-release-{i}" for i in dropped_rows}


def test_missing_val_order_is_carved(tmp_path):
    release(tmp_path / "AVE", val=False)
    summary = import_features(tmp_path / "AVE", tmp_path / "out.h5",
                              ImportConfig(val_fraction=0.5, seed=1))
    ds = read_dataset(tmp_path / "out.h5")
    assert summary["val_carved"] and ds.provenance["val_carved"] is True
    assert summary["splits"]["val"] > 0 and summary["splits"]["test"] == 6


def test_class_subset_accepts_official_and_ave15_spellings(tmp_path):
    labels = np.stack([seconds([[19, 25, 0, 2][i % 4]] * T, 28) for i in range(N)])
    release(tmp_path / "AVE", labels=labels)
    wanted = ["Rodents, rats, mice", "Infant cry", "Bark"]
    summary = import_features(tmp_path / "AVE", tmp_path / "out.h5",
                              ImportConfig(classes=wanted))
    ds = read_dataset(tmp_path / "out.h5")
    assert ds.class_names == wanted
    expected = {19: 1, 25: 0, 2: 2}
    kept = [i for i in range(N) if [19, 25, 0, 2][i % 4] in expected]
    assert ds.label.tolist() == [expected[[19, 25, 0, 2][i % 4]] for i in kept]
    assert summary["dropped"]["not_selected"] == N // 4
    with pytest.raises(ValueError, match=r"unknown class name 'Dogg' in --classes; known: "
                                         r"Church bell, Male speech/man speaking"):
        import_features(tmp_path / "AVE", tmp_path / "x.h5", ImportConfig(classes=["Dogg"]))


def test_names_file_for_other_class_counts(tmp_path):
    labels = np.stack([seconds([i % 4] * T, 4) for i in range(N)])
    release(tmp_path / "AVE", width=4, labels=labels)
    with pytest.raises(ValueError, match=r"28 class names \(official\) but labels have 4"):
        import_features(tmp_path / "AVE", tmp_path / "out.h5", ImportConfig())
    names = tmp_path / "names.txt"
    names.write_text("a\nb\nc\nd\n")
    summary = import_features(tmp_path / "AVE", tmp_path / "out.h5",
                              ImportConfig(class_names_file=str(names)))
    assert read_dataset(tmp_path / "out.h5").class_names == ["a", "b", "c", "d"]
    assert summary["class_names_source"] == "class_names_file"


def _rewrite(folder, name, key, value):
    with h5py.File(folder / name, "w") as f:
        f.create_dataset(key, data=value)


BROKEN = {
    "missing labels": (lambda d, s: (d / "labels.h5").unlink(),
                       "AVE: not an AVE release folder: missing labels.h5; supported formats"),
    "rows mismatch": (lambda d, s: _rewrite(d, "audio_feature.h5", "dataset",
                                            s["audio_feature.h5"][:-1]),
                      "audio_feature.h5: has 23 rows but labels.h5 has 24"),
    "labels rank": (lambda d, s: _rewrite(d, "labels.h5", "avadataset",
                                          s["labels.h5"][:, 0]),
                    r"labels.h5: must be \(N, T, C \+ 1\)"),
    "twice": (lambda d, s: _rewrite(d, "test_order.h5", "order",
                                    np.r_[s["train_order.h5"][:1], s["test_order.h5"]]),
              "test_order.h5: row .* is listed twice"),
    "out of range": (lambda d, s: _rewrite(d, "val_order.h5", "order", np.array([3, 99])),
                     r"val_order.h5: row index 99 out of range \[0, 24\)"),
    "two datasets": (lambda d, s: (_rewrite(d, "labels.h5", "a", s["labels.h5"]),
                                   h5py.File(d / "labels.h5", "a").create_dataset(
                                       "b", data=[1]).file.close()),
                     r"labels.h5: expected one dataset .* found keys \['a', 'b'\]"),
    "not hdf5": (lambda d, s: (d / "train_order.h5").write_text("x"),
                 "train_order.h5: not a readable HDF5 file"),
    "empty": (lambda d, s: (d / "train_order.h5").write_bytes(b""),
              "train_order.h5: file is empty"),
    "nan": (lambda d, s: _rewrite(d, "visual_feature.h5", "dataset", np.where(
        np.arange(N)[:, None, None, None, None] == 20, np.nan, s["visual_feature.h5"])),
            r"NaN or Inf in 'visual_feature.h5' rows 20\.\."),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_release_is_named(tmp_path, name):
    change, message = BROKEN[name]
    folder = tmp_path / "AVE"
    change(folder, release(folder))
    with pytest.raises(ValueError, match=message) as info:
        import_features(folder, tmp_path / "out.h5", ImportConfig(chunk_rows=4))
    assert "\n" not in str(info.value) and not (tmp_path / "out.h5").exists()


def test_big_files_are_hashed_in_part(tmp_path, monkeypatch):
    release(tmp_path / "AVE")
    monkeypatch.setattr(ave, "HASH_WHOLE", 1000)
    monkeypatch.setattr(ave, "HASH_HEAD", 100)
    files = ave.fingerprint(tmp_path / "AVE")["files"]
    head = (tmp_path / "AVE" / "visual_feature.h5").read_bytes()[:100]
    import hashlib

    assert files["visual_feature.h5"]["sha256_first_64MiB"] == hashlib.sha256(head).hexdigest()
