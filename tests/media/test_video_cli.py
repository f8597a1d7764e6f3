"""``avili extract --videos`` through the CLI: summary line, skip report, shards + merge,
and the overwrite rule for the report beside the dataset."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("av", reason="raw-video extraction needs PyAV")

from tests.helpers import fails, ok  # noqa: E402


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_media_file_queries_match_clip_queries(video_dir, labels_csv, tmp_path):
    from avili.data.schema import read_dataset

    data, student, index = tmp_path / "clips.h5", tmp_path / "s.pt", tmp_path / "g.avx"
    ok(["extract", "--videos", video_dir, "--labels", labels_csv, "--out", data, "-q"])
    ok(["distill", "--data", data, "--out", student, "--epochs", "2", "--lir-weight", "0",
        "--batch-size", "4", "-q"])
    ok(["retrieve", "index", "--model", student, "--data", data, "--out", index])
    ds = read_dataset(data)
    clip = ds.clip_id[0]
    media = next(p for p in video_dir.iterdir() if p.stem in clip or clip in p.name)
    for direction in ("a2v", "v2a"):
        by_file = json.loads(ok(["retrieve", "search", "--index", index, "--query-media",
                                 media, "--model", student, "--direction", direction,
                                 "--k", "3", "--json"]))
        by_id = json.loads(ok(["retrieve", "search", "--index", index, "--query", clip,
                               "--direction", direction, "--k", "3", "--json"]))
        hits = by_file["results"][0]["hits"]
        assert [h["clip_id"] for h in hits] == \
            [h["clip_id"] for h in by_id["results"][0]["hits"]]
        assert by_file["results"][0]["query"] == str(media)
    fails(["retrieve", "search", "--index", index, "--query-media", video_dir / "corrupt.mp4",
           "--model", student], "cannot use this media file")
