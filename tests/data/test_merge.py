import h5py
import numpy as np
import pytest

from avili.artifacts import file_sha256
from avili.data.merge import merge_datasets
from avili.data.schema import read_dataset, write_dataset
from tests.helpers import copy_dataset


def shards(tmp_path, ds, cuts=(0, 70, 150, 240)):
    paths = []
    for i, (lo, hi) in enumerate(zip(cuts[:-1], cuts[1:])):
        paths.append(write_dataset(ds.take(np.arange(lo, hi)), tmp_path / f"part-{i}.h5"))
    return paths


def test_merge_round_trip(tmp_path, tiny):
    ds = tiny[0]
    parts = shards(tmp_path, ds)
    summary = merge_datasets(parts, tmp_path / "all.h5", chunk_rows=32)
    back = read_dataset(tmp_path / "all.h5")
    for key in ("audio", "visual", "label", "split", "clip_id", "audio_events",
                "visual_events"):
        np.testing.assert_array_equal(getattr(back, key), getattr(ds, key))
    assert back.class_names == ds.class_names
    assert summary["clips"] == 240 and summary["parts"] == [str(p) for p in parts]
    assert summary["splits"] == {s: int((ds.split == s).sum()) for s in ("train", "val", "test")}
    assert summary["events"] == ["audio_events", "visual_events"]
    inputs = back.provenance["inputs"]
    assert [v["sha256"] for v in inputs.values()] == [file_sha256(p) for p in parts]
    assert [m["clips"] for m in back.provenance["merged"]] == [70, 80, 90]


def test_events_kept_only_when_every_part_has_them(tmp_path, tiny):
    ds = tiny[0]
    a = write_dataset(ds.take(np.arange(0, 100)), tmp_path / "a.h5")
    b = write_dataset(copy_dataset(ds.take(np.arange(100, 240)), audio_events=None,
                                   visual_events=None), tmp_path / "b.h5")
    assert merge_datasets([a, b], tmp_path / "all.h5")["events"] == []
    assert read_dataset(tmp_path / "all.h5").audio_events is None


def test_class_mismatch_names_the_part(tmp_path, tiny):
    a, b, c = shards(tmp_path, tiny[0])
    renamed = read_dataset(b)
    write_dataset(copy_dataset(renamed, class_names=["w", "x", "y", "z"]), b)
    with pytest.raises(ValueError, match=r"part-1.h5: class names \['w', 'x', 'y', 'z'\] "
                                         r"differ from .*part-0.h5's"):
        merge_datasets([a, b, c], tmp_path / "all.h5")
    assert not (tmp_path / "all.h5").exists()


def test_duplicate_clip_id_names_the_part(tmp_path, tiny):
    ds = tiny[0]
    a = write_dataset(ds.take(np.arange(0, 100)), tmp_path / "a.h5")
    b = write_dataset(ds.take(np.arange(90, 240)), tmp_path / "b.h5")
    with pytest.raises(ValueError, match=rf"b.h5: duplicate clip id '{ds.clip_id[90]}' "
                                         r"\(already in .*a.h5\)"):
        merge_datasets([a, b], tmp_path / "all.h5")
    assert not (tmp_path / "all.h5").exists()


def test_feature_size_and_schema_errors(tmp_path, tiny):
    ds = tiny[0]
    a = write_dataset(ds.take(np.arange(0, 100)), tmp_path / "a.h5")
    small = ds.take(np.arange(100, 240))
    b = write_dataset(copy_dataset(small, audio=small.audio[:, :5]), tmp_path / "b.h5")
    with pytest.raises(ValueError, match="b.h5: feature sizes audio 5, visual 24 differ"):
        merge_datasets([a, b], tmp_path / "all.h5")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.create_dataset("x", data=[1])
    with pytest.raises(ValueError, match="other.h5: not an avili dataset"):
        merge_datasets([a, other], tmp_path / "all.h5")
    with pytest.raises(ValueError, match="nope.h5: file not found"):
        merge_datasets([a, tmp_path / "nope.h5"], tmp_path / "all.h5")
    with pytest.raises(ValueError, match="no dataset parts"):
        merge_datasets([], tmp_path / "all.h5")


def test_bad_rows_in_a_later_part_leave_no_output(tmp_path, tiny):
    a, b, c = shards(tmp_path, tiny[0])
    with h5py.File(c, "a") as f:
        f["visual"][50, 0] = np.nan
    with pytest.raises(ValueError, match=r"part-2.h5: 'visual' contains NaN or Inf values "
                                         r"\(rows 50\.\.\)"):
        merge_datasets([a, b, c], tmp_path / "all.h5", chunk_rows=16)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part-0.h5", "part-1.h5", "part-2.h5"]
