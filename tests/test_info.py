"""``avili.info.describe``: every artifact kind recognised from its bytes, with the shapes,
names, split counts and provenance that were written, and a clean error for the rest."""

from __future__ import annotations

import json
import zipfile

import h5py
import numpy as np
import pytest
import torch

from avili.artifacts import file_sha256, ids_sha256
from avili.data.schema import SPLITS
from avili.errors import AviliError
from avili.graph.export import read_json
from avili.data.graphfile import load_graph
from avili.info import KINDS, describe
from tests.helpers import TINY


def splits_of(split: np.ndarray) -> dict[str, int]:
    return {s: int((split == s).sum()) for s in SPLITS}


def test_dataset_shapes_names_splits_and_hash(artifacts, tiny):
    ds = tiny[0]
    info = describe(artifacts / "tiny.h5")
    assert (info["kind"], info["container"]) == ("dataset", "HDF5")
    assert (info["schema"], info["schema_version"]) == ("avili.dataset", 1)
    assert info["shapes"]["audio"] == [240, TINY.audio_dim]
    assert info["shapes"]["visual"] == [240, TINY.visual_dim]
    assert info["shapes"]["audio_events"] == [240, TINY.classes]
    assert info["class_names"] == ds.class_names
    assert info["splits"] == splits_of(ds.split) and sum(info["splits"].values()) == 240
    assert info["clip_ids_sha256"] == ids_sha256(ds.clip_id.tolist())
    assert info["seed"] == TINY.seed and info["config"]["clips"] == TINY.clips
    assert info["provenance"]["source"] == "synthetic"


def test_dataset_features_are_not_read(artifacts, monkeypatch):
    read = []
    original = h5py.Dataset.__getitem__

    def spy(self, key):
        read.append(self.name)
        return original(self, key)

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    describe(artifacts / "tiny.h5")
    describe(artifacts / "test.avx")
    assert "/label" in read and "/clip_id" in read
    assert not {"/audio", "/visual"} & set(read)


def test_soft_labels(artifacts, tiny):
    ds = tiny[0]
    info = describe(artifacts / "soft.npz")
    assert (info["kind"], info["container"], info["schema"]) == ("soft_labels", "NPZ",
                                                                  "avili.soft_labels")
    assert info["shapes"]["audio"] == info["shapes"]["audio_labels"] == [240, TINY.classes]
    assert info["class_names"] == ds.class_names and info["splits"] == splits_of(ds.split)
    assert info["clip_ids_sha256"] == ids_sha256(ds.clip_id.tolist())
    assert info["inputs"]["data"]["sha256"] == file_sha256(artifacts / "tiny.h5")
    assert info["inputs"]["teacher"]["sha256"] == file_sha256(artifacts / "teacher.pt")
    assert info["seed"] == 3 and info["config"]["epochs"] == 2


def test_soft_label_arrays_are_read_from_headers_only(artifacts, monkeypatch):
    loaded = []
    original = np.lib.npyio.NpzFile.__getitem__

    def spy(self, key):
        loaded.append(key)
        return original(self, key)

    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", spy)
    assert describe(artifacts / "soft.npz")["kind"] == "soft_labels"
    assert "split" in loaded and not {"audio", "visual", "audio_labels"} & set(loaded)


def test_inferred_graph_npz_and_json_export_agree(artifacts, tiny):
    npz, exported = describe(artifacts / "graph.npz"), describe(artifacts / "graph.json")
    graph = load_graph(artifacts / "graph.npz")
    assert (npz["kind"], npz["container"], exported["container"]) == ("graph", "NPZ", "JSON")
    assert npz["class_names"] == exported["class_names"] == tiny[0].class_names
    assert npz["details"] == exported["details"]
    assert npz["details"]["edges"] == len(graph.edges())
    assert npz["details"]["source"] == "inferred" and npz["shapes"]["weight"] == [8, 8]
    assert npz["inputs"]["soft"]["sha256"] == file_sha256(artifacts / "soft.npz")
    assert npz["clip_ids_sha256"] == ids_sha256(tiny[0].clip_id.tolist())
    again = read_json(artifacts / "graph.json")
    for key in ("weight", "undirected", "sign", "frequency"):
        np.testing.assert_allclose(getattr(again, key), getattr(graph, key), atol=1e-4)


def test_planted_graph(artifacts, tiny):
    info = describe(artifacts / "planted.npz")
    assert info["kind"] == "graph" and info["details"]["source"] == "planted"
    assert info["details"]["edges"] == len(tiny[1].edges())
    assert info["seed"] == TINY.seed and info["class_names"] == tiny[0].class_names


def test_teacher_reports_val_loss(artifacts, tiny):
    info = describe(artifacts / "teacher.pt")
    ckpt = torch.load(artifacts / "teacher.pt", weights_only=True)
    assert (info["kind"], info["container"], info["schema_version"]) == ("teacher",
                                                                          "torch .pt", 1)
    assert info["shapes"] == {"audio": [TINY.audio_dim], "visual": [TINY.visual_dim]}
    assert info["class_names"] == tiny[0].class_names
    details = info["details"]
    assert details["best_epoch"] == ckpt["best_epoch"] + 1  # shown from 1, stored from 0
    assert details["epochs_trained"] == 2
    assert details["best_val_loss"] == pytest.approx(-ckpt["best_score"])
    assert details["best_val_loss"] > 0
    assert "val loss" in details["selected_on"] and "best_val_mAP" not in details
    assert info["seed"] == 3 and info["inputs"]["data"]["sha256"] == file_sha256(
        artifacts / "tiny.h5")
    assert info["clip_ids_sha256"] == ids_sha256(tiny[0].clip_id.tolist())


def test_student_reports_val_map(artifacts):
    info = describe(artifacts / "student.pt")
    ckpt = torch.load(artifacts / "student.pt", weights_only=True)
    details = info["details"]
    assert info["kind"] == "student" and info["seed"] == 5
    assert details["best_val_mAP"] == pytest.approx(ckpt["best_score"])
    assert 0 < details["best_val_mAP"] <= 1 and "mAP" in details["selected_on"]
    assert details["parameters"] == sum(t.numel() for t in ckpt["state_dict"].values())
    assert set(info["inputs"]) == {"data", "soft", "graph"}
    assert info["inputs"]["graph"]["sha256"] == file_sha256(artifacts / "graph.npz")


@pytest.mark.parametrize("stage, metric", [("teacher", "best_val_loss"),
                                           ("student", "best_val_mAP")])
def test_training_state(artifacts, stage, metric):
    info = describe(artifacts / f"{stage}.pt.state.pt")
    assert info["kind"] == "train_state" and info["details"]["stage"] == stage
    assert info["details"]["epochs_done"] == info["details"]["epochs"] == 1
    assert info["details"]["best_epoch"] == 1 and metric in info["details"]  # counted from 1
    assert info["config"]["seed"] == info["seed"] == (3 if stage == "teacher" else 5)


def test_gallery(artifacts, tiny):
    ds = tiny[0]
    test = ds.subset("test")
    info = describe(artifacts / "test.avx")
    assert (info["kind"], info["schema"], info["schema_version"]) == ("gallery",
                                                                       "avili-gallery", 1)
    assert info["shapes"]["audio"] == [len(test), 16] and info["splits"] == {"test": len(test)}
    assert info["clip_ids_sha256"] == ids_sha256(test.clip_id.tolist())
    assert info["inputs"]["model"]["sha256"] == file_sha256(artifacts / "student.pt")
    assert info["class_names"] == ds.class_names


def test_every_kind_is_covered(artifacts):
    kinds = {describe(p)["kind"] for p in artifacts.iterdir()
             if ".log." not in p.name}  # training logs are text, for other tools
    assert kinds == set(KINDS)


def truncated(src, n):
    return lambda d: d.joinpath(f"cut-{src}").write_bytes((d / src).read_bytes()[:n])


def plain_h5(d):
    with h5py.File(d / "plain.h5", "w") as f:
        f["x"] = np.zeros(3)


BAD = [
    ("missing.h5", None, "file not found"),
    ("empty.bin", lambda d: (d / "empty.bin").write_bytes(b""), "empty file"),
    ("notes.txt", lambda d: (d / "notes.txt").write_text("hello"), "not an avili artifact"),
    ("cut-tiny.h5", truncated("tiny.h5", 3000), "not a readable HDF5 file"),
    ("cut-soft.npz", truncated("soft.npz", 800), "corrupt or truncated zip archive"),
    ("cut-student.pt", truncated("student.pt", 4000), "corrupt or truncated zip archive"),
    ("plain.h5", plain_h5, "an HDF5 file, but not an avili artifact"),
    ("plain.npz", lambda d: np.savez(d / "plain.npz", a=np.zeros(2)), "without an avili schema"),
    ("plain.pt", lambda d: torch.save({"a": torch.zeros(2)}, d / "plain.pt"),
     "not an avili checkpoint"),
    ("other.json", lambda d: (d / "other.json").write_text(json.dumps({"a": 1})),
     "not an avili graph export"),
    ("cut.json", lambda d: (d / "cut.json").write_text('{"schema": "avili.graph", "ed'),
     "not a readable JSON file"),
    ("g.graphml", lambda d: (d / "g.graphml").write_text('<?xml version="1.0"?><graphml/>'),
     "GraphML export carries no provenance"),
]


@pytest.mark.parametrize("name, make, message", BAD, ids=[b[0] for b in BAD])
def test_bad_files_name_the_file_and_the_problem(artifacts, tmp_path, name, make, message):
    for src in ("tiny.h5", "soft.npz", "student.pt"):
        (tmp_path / src).write_bytes((artifacts / src).read_bytes())
    if make is not None:
        make(tmp_path)
    with pytest.raises(AviliError, match=message) as error:
        describe(tmp_path / name)
    assert str(error.value).startswith(str(tmp_path / name))


def test_unsafe_pickle_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"schema": "avili.checkpoint", "obj": zipfile.ZipInfo()}, path)
    with pytest.raises(AviliError, match="unsafe unpickling"):
        describe(path)
