"""labels.csv parsing, split carving and sharding (no decoding involved)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from avili.errors import AviliError
from avili.media.labels import carve_splits, parse_shard, read_labels, shard_rows


def _folder(tmp_path: Path, names: list[str]) -> Path:
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    return tmp_path


def test_lenient_header_and_sorted_classes(tmp_path, write_csv):
    folder = _folder(tmp_path, ["a.mp4", "b.mp4", "c.mp4"])
    csv = write_csv(tmp_path / "l.csv", [("a.mp4", "zebra", "Train"), ("b.mp4", "ant", "val"),
                                         ("c.mp4", "zebra", "TEST")], header="Video,Class,split")
    table = read_labels(csv, folder, 0.1, 0)
    assert table.class_names == ["ant", "zebra"]
    assert table.label.tolist() == [1, 0, 1]
    assert table.split.tolist() == ["train", "val", "test"]
    assert table.split_source == "csv"
    assert table.files[0] == folder / "a.mp4"


@pytest.mark.parametrize("rows, header, problem", [
    ([], "file,label", "lists no videos"),
    ([("a.mp4", "x", "holdout")], "file,label,split", "unknown split 'holdout'"),
    ([("a.mp4", "x"), ("gone.mp4", "y")], "file,label", "1 listed video(s) not found"),
    ([("a.mp4", "x"), ("a.mp4", "y")], "file,label", "listed more than once: a.mp4"),
    ([("a.mp4", "x"), ("b.mp4", "x")], "file,label", "at least 2 classes"),
    ([("a.mp4", "x")], "name,label", "no column named file or path"),
])
def test_bad_csv_names_the_csv(tmp_path, write_csv, rows, header, problem):
    folder = _folder(tmp_path, ["a.mp4", "b.mp4"])
    csv = write_csv(tmp_path / "bad.csv", rows, header=header)
    with pytest.raises(AviliError) as info:
        read_labels(csv, folder, 0.1, 0)
    assert problem in str(info.value)
    assert info.value.path == str(csv)


def test_empty_csv(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(AviliError, match="labels file is empty"):
        read_labels(tmp_path / "empty.csv", tmp_path, 0.1, 0)


def test_carved_splits_are_stratified_and_ignore_row_order():
    label = np.repeat(np.arange(3), [10, 4, 2])
    clip_id = np.array([f"c{i:02d}" for i in range(label.size)])
    split = carve_splits(label, clip_id, 0.2, seed=3)
    for c, (val, test) in {0: (2, 2), 1: (1, 1), 2: (0, 0)}.items():
        assert (split[label == c] == "val").sum() == val
        assert (split[label == c] == "test").sum() == test
    perm = np.random.default_rng(0).permutation(label.size)
    again = carve_splits(label[perm], clip_id[perm], 0.2, seed=3)
    assert dict(zip(clip_id[perm], again)) == dict(zip(clip_id, split))
    assert (carve_splits(label, clip_id, 0.0, 0) == "train").all()


def test_shards_cover_rows_disjointly():
    parts = [shard_rows(10, f"{i}/3") for i in range(3)]
    assert sorted(np.concatenate(parts).tolist()) == list(range(10))
    assert parts[1].tolist() == [1, 4, 7]
    assert shard_rows(4, None).tolist() == [0, 1, 2, 3]
    for bad, message in (("1", "shard must look like i/n (e.g. 0/4), got '1'"),
                         ("a/b", "shard must look like i/n (e.g. 0/4), got 'a/b'"),
                         ("3/3", "shard '3/3' needs 0 <= i < n"),
                         ("0/0", "shard '0/0' needs 0 <= i < n")):
        with pytest.raises(AviliError, match=re.escape(message)):
            parse_shard(bad)
