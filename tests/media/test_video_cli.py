"""``avili extract --videos`` through the CLI: summary line, skip report, shards + merge,
and the overwrite rule for the report beside the dataset."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("av", reason="raw-video extraction needs PyAV")

from tests.test_cli import fails, ok  # noqa: E402


def test_videos_to_dataset_with_skip_report(video_dir, labels_csv, tmp_path):
    out = tmp_path / "clips.h5"
    line = ok(["extract", "--videos", video_dir, "--labels", labels_csv, "--out", out, "-q"])
    assert "9 clips" in line and "skipped 3 unreadable files" in line
    report = json.loads((tmp_path / "clips.h5.report.json").read_text())
    assert sorted(e["file"] for e in report["skipped"]) == ["corrupt.mp4", "empty.mp4",
                                                            "silent_film.mp4"]
    fails(["extract", "--videos", video_dir, "--labels", labels_csv, "--out",
           tmp_path / "other.h5", "--strict", "-q"], "silent_film.mp4")
    assert not (tmp_path / "other.h5").exists()


def test_shards_merge_to_the_whole(video_dir, labels_csv, tmp_path):
    whole = json.loads(ok(["extract", "--videos", video_dir, "--labels", labels_csv,
                           "--out", tmp_path / "all.h5", "--json", "-q"]))
    parts = []
    for i in range(2):
        parts.append(tmp_path / f"part-{i}.h5")
        ok(["extract", "--videos", video_dir, "--labels", labels_csv, "--shard", f"{i}/2",
            "--out", parts[-1], "-q"])
    merged = json.loads(ok(["extract", "--merge", *parts, "--out", tmp_path / "m.h5",
                            "--json", "-q"]))
    assert merged["clips"] == whole["clips"] == 9
    assert merged["splits"] == whole["splits"]


def test_report_beside_output_is_not_clobbered(video_dir, labels_csv, tmp_path):
    out = tmp_path / "clips.h5"
    (tmp_path / "clips.h5.report.json").write_text("{}")
    fails(["extract", "--videos", video_dir, "--labels", labels_csv, "--out", out],
          "output exists")
    assert (tmp_path / "clips.h5.report.json").read_text() == "{}" and not out.exists()
