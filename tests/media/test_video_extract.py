"""End to end: labels.csv + videos -> avili dataset, report and segments."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("av", reason="raw-video extraction needs PyAV")
pytest.importorskip("transformers", reason="backbones need transformers")

from avili.config import VideoConfig  # noqa: E402
from avili.data.schema import read_dataset  # noqa: E402
from avili.errors import AviliError  # noqa: E402
from avili.media.extract import extract_videos, report_path, segments_path  # noqa: E402
from tests.helpers import Recorder  # noqa: E402

CFG = VideoConfig(val_fraction=0.34, batch_size=4, workers=2, device="cpu")


@pytest.fixture(scope="module")
def weight_free(video_dir, labels_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("wf") / "data.h5"
    progress = Recorder()
    summary = extract_videos(video_dir, labels_csv, out, replace(CFG, keep_segments=True),
                             progress)
    return out, summary, progress


def test_dataset_shapes_splits_and_provenance(weight_free, labels_csv):
    out, summary, _ = weight_free
    ds = read_dataset(out)
    assert ds.audio.shape == (9, 128) and ds.visual.shape == (9, 52)
    assert ds.class_names == ["brass", "flute", "siren"]
    assert summary["splits"] == {"train": 3, "val": 3, "test": 3}
    for c in range(3):  # carved per class: one val and one test clip each
        assert sorted(ds.split[ds.label == c].tolist()) == ["test", "train", "val"]
    prov = ds.provenance
    assert prov["splits"]["source"] == "carved" and prov["splits"]["val_fraction"] == 0.34
    assert prov["inputs"]["labels"]["path"] == str(labels_csv)
    assert prov["backbones"]["audio"]["name"] == "logmel"
    assert prov["backbones"]["visual"]["name"] == "pixels"
    assert sorted(prov["skipped"]) == ["corrupt.mp4", "empty.mp4", "silent_film.mp4"]


def test_skip_report_and_progress(weight_free, bad_rows):
    out, summary, progress = weight_free
    report = json.loads(report_path(out).read_text())
    reasons = {s["file"]: s["reason"] for s in report["skipped"]}
    assert set(reasons) == {f for f, _ in bad_rows}
    assert reasons["silent_film.mp4"] == "no audio stream"
    assert reasons["corrupt.mp4"].startswith("cannot decode")
    assert report["written"] == 9 and report["in_shard"] == 12
    assert [s["file"] for s in summary["skipped"]] == [s["file"] for s in report["skipped"]]
    assert progress.calls[0] == ("start", 12) and progress.calls[-1] == ("stop",)
    assert sum(c[1] for c in progress.calls if c[0] == "advance") == 12
    assert progress.calls[-2][2].endswith("clips/s")


def test_keep_segments_file(weight_free):
    out, summary, _ = weight_free
    seg = np.load(segments_path(out))
    ds = read_dataset(out)
    assert seg["audio_segments"].shape == (9, 2, 128)
    assert seg["visual_segments"].shape == (9, 2, 52)
    assert seg["clip_id"].tolist() == ds.clip_id.tolist()
    np.testing.assert_allclose(np.nanmean(seg["audio_segments"], axis=1), ds.audio, rtol=1e-5)
    assert float(seg["audio_segment_seconds"]) == 1.0


def test_logmel_and_pixels_separate_the_classes(weight_free):
    """Each clip's nearest other clip (Euclidean) has its class: tones differ in pitch,
    frames in colour."""
    ds = read_dataset(weight_free[0])
    for feats in (ds.audio, ds.visual):
        dist = np.linalg.norm(feats[:, None] - feats[None], axis=-1)
        np.fill_diagonal(dist, np.inf)
        assert (ds.label[dist.argmin(1)] == ds.label).all()


def test_same_inputs_same_bytes(weight_free, video_dir, labels_csv, tmp_path):
    first = read_dataset(weight_free[0])
    out = tmp_path / "again.h5"
    extract_videos(video_dir, labels_csv, out, replace(CFG, workers=1, batch_size=3))
    again = read_dataset(out)
    assert first.audio.tobytes() == again.audio.tobytes()
    assert first.visual.tobytes() == again.visual.tobytes()
    assert first.clip_id.tolist() == again.clip_id.tolist()


def test_strict_stops_at_the_first_bad_file(video_dir, labels_csv, tmp_path):
    out = tmp_path / "strict.h5"
    with pytest.raises(AviliError, match="no audio stream") as info:
        extract_videos(video_dir, labels_csv, out, replace(CFG, strict=True))
    assert info.value.path == str(video_dir / "silent_film.mp4")
    assert not out.exists()


def test_all_files_failing_is_an_error(video_dir, bad_rows, write_csv, tmp_path):
    csv = write_csv(tmp_path / "bad.csv", bad_rows)
    out = tmp_path / "none.h5"
    with pytest.raises(AviliError, match="none of the 3 videos could be used") as info:
        extract_videos(video_dir, csv, out, CFG)
    assert info.value.path == str(csv)
    assert not out.exists() and report_path(out).exists()


def test_shards_are_disjoint_complete_datasets(video_dir, good_rows, write_csv, tmp_path):
    csv = write_csv(tmp_path / "split.csv", [r + (("train", "val", "test")[i % 3],)
                                             for i, r in enumerate(good_rows)],
                    header="path,label,split")
    ids = []
    for i in range(2):
        out = tmp_path / f"shard{i}.h5"
        summary = extract_videos(video_dir, csv, out, replace(CFG, shard=f"{i}/2"))
        ds = read_dataset(out)
        assert ds.class_names == ["brass", "flute", "siren"]
        assert ds.provenance["shard"] == {"index": i, "count": 2, "rows": summary["in_shard"],
                                          "rule": "row % count == index"}
        assert ds.provenance["splits"] == {"source": "csv"}
        ids.append(set(ds.clip_id.tolist()))
    assert not ids[0] & ids[1]
    assert ids[0] | ids[1] == {f for f, _ in good_rows}


@pytest.mark.slow
def test_transformers_backbones_from_local_folders(video_dir, labels_csv, tiny_weights,
                                                   tmp_path):
    audio_w, visual_w = tiny_weights
    cfg = replace(CFG, audio_backbone="hf", audio_weights=str(audio_w),
                  visual_backbone="hf", visual_weights=str(visual_w), keep_segments=True)
    runs = [extract_videos(video_dir, labels_csv, tmp_path / f"hf{i}.h5", cfg) for i in range(2)]
    a, b = (read_dataset(tmp_path / f"hf{i}.h5") for i in range(2))
    assert a.audio.shape == (9, 32) and a.visual.shape == (9, 32)
    assert a.audio.tobytes() == b.audio.tobytes() and a.visual.tobytes() == b.visual.tobytes()
    ident = a.provenance["backbones"]["audio"]
    assert ident["model_class"] == "ASTModel" and ident["local"] is True
    assert ident["segment_samples"] == 16000  # the tiny AST's own window: 100 x 10 ms
    assert set(ident["files_sha256"]) >= {"model.safetensors", "config.json"}
    assert a.provenance["backbones"]["visual"]["model_class"] == "CLIPVisionModel"
    assert runs[0]["audio_dim"] == 32 and len(runs[0]["skipped"]) == 3


@pytest.mark.parametrize("change, problem", [
    ({"audio_backbone": "hf"}, "needs --audio-weights"),
    ({"visual_backbone": "hf", "visual_weights": "./no/such/folder"}, "weights folder not found"),
    ({"audio_backbone": "wav"}, "unknown audio backbone"),
    ({"fps": 0.0}, "--fps must be a finite number > 0"),
])
def test_backbone_errors(video_dir, labels_csv, tmp_path, change, problem):
    with pytest.raises(AviliError, match=problem):
        extract_videos(video_dir, labels_csv, tmp_path / "x.h5", replace(CFG, **change))


def test_unloadable_weights_name_the_folder(video_dir, labels_csv, tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text("{not json")
    cfg = replace(CFG, audio_backbone="hf", audio_weights=str(folder))
    with pytest.raises(AviliError, match="cannot load the audio model") as info:
        extract_videos(video_dir, labels_csv, tmp_path / "x.h5", cfg)
    assert info.value.path == str(folder)
