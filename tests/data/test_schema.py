import h5py
import numpy as np
import pytest

from avili.data.schema import read_dataset, write_dataset
from tests.helpers import copy_dataset


def test_roundtrip(tmp_path, tiny):
    ds = tiny[0]
    write_dataset(ds, tmp_path / "d.h5")
    back = read_dataset(tmp_path / "d.h5")
    np.testing.assert_array_equal(back.audio, ds.audio)
    np.testing.assert_array_equal(back.label, ds.label)
    assert back.split.tolist() == ds.split.tolist() and back.class_names == ds.class_names
    np.testing.assert_array_equal(back.visual_events, ds.visual_events)
    assert back.provenance["config"]["clips"] == 240
    assert read_dataset(tmp_path / "d.h5", events=False).audio_events is None


BROKEN = {
    "nan features": (lambda ds: {"audio": np.where(np.arange(ds.audio.size).reshape(
        ds.audio.shape) == 5, np.nan, ds.audio)}, "'audio' contains NaN or Inf"),
    "label out of range": (lambda ds: {"label": np.where(np.arange(len(ds)) == 0, 9, ds.label)},
                           r"'label' values must lie in \[0, 4\)"),
    "negative label": (lambda ds: {"label": np.where(np.arange(len(ds)) == 0, -1, ds.label)},
                       "found -1"),
    "duplicate ids": (lambda ds: {"clip_id": np.where(np.arange(len(ds)) == 1, ds.clip_id[0],
                                                      ds.clip_id)}, "not unique"),
    "unknown split": (lambda ds: {"split": np.where(np.arange(len(ds)) == 0, "dev", ds.split)},
                      "unknown values"),
    "single class": (lambda ds: {"label": np.zeros(len(ds), np.int64)}, "carry one class"),
    "wrong rank": (lambda ds: {"visual": ds.visual[:, :, None]}, "'visual' must be 2-D"),
    "mismatched n": (lambda ds: {"visual": ds.visual[:-1]}, "'visual' has 239 rows"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_write_rejects_broken(tmp_path, tiny, name):
    change, message = BROKEN[name]
    ds = copy_dataset(tiny[0], **change(tiny[0]))
    with pytest.raises(ValueError, match=message):
        write_dataset(ds, tmp_path / "bad.h5")
    assert not (tmp_path / "bad.h5").exists()


def _edit(path, fn):
    with h5py.File(path, "a") as f:
        fn(f)


@pytest.mark.parametrize("edit,message", [
    (lambda f: f.__delitem__("label"), r"missing required key\(s\) \['label'\]"),
    (lambda f: f.attrs.__setitem__("schema", "other"), "not an avili dataset"),
    (lambda f: f.attrs.__setitem__("schema_version", 99), "schema version 99"),
    (lambda f: (f.__delitem__("audio"), f.create_dataset("audio", data=np.array(["x"] * 240,
                                                                                  dtype="S1"))),
     "'audio' must be numeric"),
    (lambda f: (f.__delitem__("label"), f.create_dataset("label", data=np.zeros(240))),
     "'label' must hold integers"),
])
def test_read_rejects_edited_files(tiny_h5, edit, message):
    _edit(tiny_h5, edit)
    with pytest.raises(ValueError, match=message) as info:
        read_dataset(tiny_h5)
    assert str(tiny_h5) in str(info.value) and "\n" not in str(info.value)


def test_read_rejects_missing_text_and_truncated(tmp_path, tiny_h5):
    with pytest.raises(ValueError, match="nope.h5: file not found"):
        read_dataset(tmp_path / "nope.h5")
    text = tmp_path / "notes.h5"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        read_dataset(text)
    cut = tmp_path / "cut.h5"
    cut.write_bytes(tiny_h5.read_bytes()[:2000])
    with pytest.raises(ValueError, match="cut.h5: not a readable HDF5 file"):
        read_dataset(cut)


def test_empty_split_is_named(tiny):
    ds = copy_dataset(tiny[0], split=np.where(tiny[0].split == "val", "train", tiny[0].split))
    with pytest.raises(ValueError, match="split 'val' is empty"):
        ds.indices("val")
