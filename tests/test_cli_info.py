"""``avili info`` through the CLI: a table or JSON for every artifact kind, and one clean
error line for files that are not avili artifacts."""

from __future__ import annotations

import json

import pytest

from tests.helpers import fails, ok

FILES = {"tiny.h5": "dataset", "soft.npz": "soft_labels", "graph.npz": "graph",
         "graph.json": "graph", "planted.npz": "graph", "teacher.pt": "teacher",
         "student.pt": "student", "student.pt.state.pt": "train_state", "test.avx": "gallery"}


@pytest.mark.parametrize("name", FILES)
def test_json_names_the_kind(artifacts, name):
    info = json.loads(ok(["info", artifacts / name, "--json"]))
    assert info["kind"] == FILES[name] and info["path"] == str(artifacts / name)
    assert info["artifact_avili_version"] and info["seed"] is not None


def test_table_of_a_dataset(artifacts, tiny):
    out = ok(["info", artifacts / "tiny.h5"])
    assert "dataset (HDF5)" in out and "avili.dataset, version 1" in out
    assert "(240, 16)" in out and ", ".join(tiny[0].class_names) in out
    counts = {s: int((tiny[0].split == s).sum()) for s in ("train", "val", "test")}
    assert " / ".join(f"{s} {n}" for s, n in counts.items()) in out


def test_table_of_checkpoints_names_the_selection_score(artifacts):
    student = ok(["info", artifacts / "student.pt"])
    teacher = ok(["info", artifacts / "teacher.pt"])
    assert "best val mAP" in student and "best epoch" in student
    assert "best val loss" in teacher and "lower is better" in teacher
    assert "input: data" in teacher and "sha256" in teacher


def test_not_an_artifact_is_one_clean_line(artifacts, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    fails(["info", tmp_path / "notes.txt"], "notes.txt: not an avili artifact")
    fails(["info", tmp_path / "none.h5"], "none.h5: file not found")
    (tmp_path / "cut.pt").write_bytes((artifacts / "student.pt").read_bytes()[:5000])
    fails(["info", tmp_path / "cut.pt"], "cut.pt: corrupt or truncated zip archive")
    (tmp_path / "cut.h5").write_bytes((artifacts / "tiny.h5").read_bytes()[:5000])
    fails(["info", tmp_path / "cut.h5", "--json"], "cut.h5: not a readable HDF5 file")


def test_help_has_an_example():
    assert "Example: avili info" in ok(["info", "--help"])
