"""A battery of bad inputs. Each must end with one stderr line naming the file and the
problem, exit code 2, no traceback and no output file."""

from __future__ import annotations

import errno
import shutil

import h5py
import numpy as np
import pytest

from avili.data.schema import write_dataset
from tests.helpers import copy_dataset, fails, ok


@pytest.fixture(scope="module")
def base(pipeline, tmp_path_factory):
    """A valid dataset, teacher, student and soft labels to corrupt: copies of the
    session's pipeline files."""
    d = tmp_path_factory.mktemp("hostile")
    for src, name in (("ave.h5", "good.h5"), ("teacher.pt", "t.pt"), ("student.pt", "s.pt"),
                      ("soft.npz", "soft.npz")):
        shutil.copy(pipeline / src, d / name)
    return d


def edit(base, tmp_path, change):
    """A copy of the good dataset with ``change(h5py.File)`` applied."""
    path = tmp_path / "bad.h5"
    shutil.copy(base / "good.h5", path)
    with h5py.File(path, "a") as f:
        change(f)
    return path


def replace_key(key, value):
    def change(f):
        del f[key]
        f[key] = value
    return change


DATASET_EDITS = {
    "missing key": (lambda f: f.__delitem__("label"), "missing required key(s) ['label']"),
    "string features": (replace_key("audio", np.array([b"x"] * 240)), "'audio' must be numeric"),
    "float labels": (replace_key("label", np.zeros(240, np.float32)), "'label' must hold integers"),
    "1-D features": (replace_key("audio", np.zeros(240, np.float32)), "'audio' must be 2-D"),
    "rows mismatch": (replace_key("visual", np.zeros((200, 24), np.float32)),
                      "'visual' has 200 rows but 'label' has 240"),
    "label out of range": (replace_key("label", np.full(240, 9)), "'label' values must lie in"),
    "negative label": (replace_key("label", np.full(240, -1)), "'label' values must lie in"),
    "one class": (replace_key("label", np.zeros(240, np.int64)), "all clips carry one class"),
    "duplicate ids": (replace_key("clip_id", np.array([b"a"] * 240)),
                      "'clip_id' values are not unique"),
    "schema attribute": (lambda f: f.attrs.__setitem__("schema", "other"),
                         "not an avili dataset"),
}


@pytest.mark.parametrize("case", sorted(DATASET_EDITS))
def test_broken_dataset(base, tmp_path, case):
    change, message = DATASET_EDITS[case]
    bad = edit(base, tmp_path, change)
    err = fails(["teach", "--data", bad, "--out", tmp_path / "t.pt"], message)
    assert "bad.h5" in err and not (tmp_path / "t.pt").exists()


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_features(base, tmp_path, value):
    def change(f):
        x = f["visual"][()]
        x[3, 2] = value
        del f["visual"]
        f["visual"] = x
    fails(["teach", "--data", edit(base, tmp_path, change), "--out", tmp_path / "t.pt"],
          "'visual' contains NaN or Inf values (1 clips)")


@pytest.mark.parametrize("how", ["empty", "truncated", "text"])
def test_unreadable_hdf5(base, tmp_path, how):
    bad = tmp_path / "bad.h5"
    data = (base / "good.h5").read_bytes()
    bad.write_bytes({"empty": b"", "truncated": data[:len(data) // 2],
                     "text": b"clip,label\na,1\n"}[how])
    fails(["teach", "--data", bad, "--out", tmp_path / "t.pt"],
          "bad.h5: not a readable HDF5 file")


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_empty_split(tiny, tmp_path, base, split):
    other = "train" if split != "train" else "val"
    ds = copy_dataset(tiny[0], split=np.where(tiny[0].split == split, other, tiny[0].split))
    write_dataset(ds, tmp_path / "d.h5")
    if split == "test":
        fails(["eval", "--model", base / "s.pt", "--data", tmp_path / "d.h5"],
              "split 'test' is empty")
    else:
        fails(["teach", "--data", tmp_path / "d.h5", "--out", tmp_path / "t.pt"],
              f"split '{split}' is empty")
    assert not (tmp_path / "t.pt").exists()


@pytest.mark.parametrize("how", ["empty", "truncated", "missing key"])
def test_broken_soft_labels(base, tmp_path, how):
    bad = tmp_path / "soft.npz"
    if how == "missing key":
        np.savez(bad, audio=np.zeros((3, 4)))
        message = "missing required key(s) ['visual']"
    else:
        data = (base / "soft.npz").read_bytes()
        bad.write_bytes(b"" if how == "empty" else data[:len(data) // 3])
        message = "not a readable soft-label NPZ file"
    fails(["infer-graph", bad, "--out", tmp_path / "g.npz"], message)
    assert not (tmp_path / "g.npz").exists()


def test_soft_labels_with_other_class_names(base, tmp_path):
    from dataclasses import replace

    from avili.data.softlabels import load_soft_labels, save_soft_labels

    soft = load_soft_labels(base / "soft.npz")
    save_soft_labels(replace(soft, class_names=[f"x{i}" for i in range(len(soft.class_names))]),
                     tmp_path / "soft.npz")
    ok(["infer-graph", tmp_path / "soft.npz", "--out", tmp_path / "g.npz"])
    fails(["distill", "--data", base / "good.h5", "--soft", tmp_path / "soft.npz", "--graph",
           tmp_path / "g.npz", "--out", tmp_path / "s.pt"], "class names differ")


def test_checkpoint_from_another_format_version(base, tmp_path):
    import torch

    ckpt = torch.load(base / "s.pt", weights_only=True)
    ckpt["format"] = 99
    torch.save(ckpt, tmp_path / "future.pt")
    fails(["eval", "--model", tmp_path / "future.pt", "--data", base / "good.h5"],
          "checkpoint format 99 is not supported")


def test_negative_k_and_unwritable_output(base, tmp_path):
    fails(["retrieve", "--model", base / "s.pt", "--data", base / "good.h5", "--query",
           "syn0-00003", "--k", "-2"], "--k must be at least 1")
    blocker = tmp_path / "file"
    blocker.write_text("I am a file, not a folder")
    fails(["distill", "--data", base / "good.h5", "--out", blocker / "s.pt", "--lir-weight",
           "0"], "cannot make the output's folder")


@pytest.mark.slow
def test_full_disk(base, tmp_path, monkeypatch):
    import avili.artifacts

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(avili.artifacts.os, "fsync", no_space)
    fails(["distill", "--data", base / "good.h5", "--out", tmp_path / "s.pt", "--epochs", "1",
           "--lir-weight", "0", "-q"], "No space left on device")
    assert list(tmp_path.iterdir()) == []  # neither the output nor a temporary is left


@pytest.mark.parametrize("command", ["teach", "info", "infer-graph", "eval"])
def test_a_fifo_or_folder_as_input_is_refused_not_waited_on(tmp_path, command):
    import os

    fifo = tmp_path / "pipe.h5"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.npz"
    folder.mkdir()
    for bad in (fifo, folder):
        args = {"teach": ["teach", "--data", bad, "--out", tmp_path / "t.pt"],
                "info": ["info", bad], "infer-graph": ["infer-graph", bad, "--out",
                                                       tmp_path / "g.npz"],
                "eval": ["eval", "--model", bad, "--data", bad]}[command]
        fails(args, "not a regular file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.npz", "pipe.h5"]


@pytest.mark.parametrize("args, message", [
    (["infer-graph", "{d}/ave.h5", "--out", "{t}/g.npz"], "is an avili dataset, expected soft labels"),
    (["eval", "--model", "{d}/soft.npz", "--data", "{d}/ave.h5"],
     "is soft labels, expected a student checkpoint"),
    (["eval", "--model", "{d}/teacher.pt", "--data", "{d}/ave.h5"],
     "is a teacher checkpoint, expected a student checkpoint"),
    (["eval", "--model", "{d}/student.pt", "--data", "{d}/graph.npz"],
     "is a graph, expected an avili dataset"),
    (["teach", "--data", "{d}/student.pt", "--out", "{t}/t.pt"],
     "is a student checkpoint, expected an avili dataset"),
    (["distill", "--data", "{d}/ave.h5", "--soft", "{d}/graph.npz", "--graph", "{d}/graph.npz",
      "--out", "{t}/s.pt"], "is a graph, expected soft labels"),
    (["distill", "--data", "{d}/ave.h5", "--soft", "{d}/soft.npz", "--graph", "{d}/soft.npz",
      "--out", "{t}/s.pt"], "is soft labels, expected a graph"),
    (["retrieve", "index", "--model", "{d}/ave.h5", "--data", "{d}/ave.h5", "--out", "{t}/g.avx"],
     "is an avili dataset, expected a student checkpoint"),
    (["retrieve", "search", "--index", "{d}/soft.npz", "--query", "syn0-00001", "--model",
      "{d}/student.pt"], "is soft labels, expected a gallery index"),
])
def test_a_file_of_the_wrong_kind_is_named_for_what_it_is(pipeline, tmp_path, args, message):
    filled = [a.format(d=pipeline, t=tmp_path) for a in args]
    fails(filled, message)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("how", ["external link", "external storage", "dangling link"])
def test_data_stored_outside_the_file_is_refused(tmp_path, tiny_h5, how):
    data = tmp_path / "d.h5"
    shutil.copy(tiny_h5, data)
    with h5py.File(data, "r+") as f:
        shape, dtype = f["audio"].shape, f["audio"].dtype
        del f["audio"]
        if how == "external storage":
            raw = tmp_path / "raw.bin"
            raw.write_bytes(b"\0" * (int(np.prod(shape)) * dtype.itemsize))
            f.create_dataset("audio", shape, dtype, external=[(str(raw), 0, h5py.h5f.UNLIMITED)])
        else:
            target = "/etc/passwd" if how == "external link" else str(tmp_path / "gone.h5")
            f["audio"] = h5py.ExternalLink(target, "/x")
    fails(["teach", "--data", data, "--out", tmp_path / "t.pt"],
          "avili reads self-contained files")
    assert not (tmp_path / "t.pt").exists()


def _set(key, value):
    return lambda f: f.attrs.__setitem__(key, value)


def _replace(key, make):
    def edit(f):
        n = f["label"].shape[0]
        del f[key]
        make(f, key, n)
    return edit


MALFORMED_DATASETS = {
    "provenance not JSON": (_set("provenance", "{not json"), "'provenance' is not valid JSON"),
    "provenance a list": (_set("provenance", "[1, 2]"), "must be a JSON object, found list"),
    "schema_version abc": (_set("schema_version", "abc"), "schema_version 'abc' is not an"),
    "split a group": (_replace("split", lambda f, k, n: f.create_group(k)), "malformed file"),
    "clip ids not UTF-8": (_replace("clip_id", lambda f, k, n: f.create_dataset(
        k, data=np.array([b"\xff\xfe%d" % i for i in range(n)], dtype="S8"))),
        "malformed file (UnicodeDecodeError"),
    "2^40 rows declared": (_replace("audio", lambda f, k, n: f.create_dataset(
        k, shape=(2**40, 16), dtype="f4", chunks=(1024, 16))),
        "declares arrays too large to read into memory"),
}


@pytest.mark.parametrize("name", list(MALFORMED_DATASETS))
@pytest.mark.parametrize("command", ["info", "teach"])
def test_malformed_datasets_get_one_line(tmp_path, tiny_h5, name, command):
    edit, message = MALFORMED_DATASETS[name]
    data = tmp_path / "d.h5"
    shutil.copy(tiny_h5, data)
    with h5py.File(data, "r+") as f:
        edit(f)
    args = ["info", data] if command == "info" else ["teach", "--data", data, "--out",
                                                     tmp_path / "t.pt"]
    fails(args, message)
    assert not (tmp_path / "t.pt").exists()


@pytest.mark.parametrize("damage, message", [
    (lambda c: c.pop("dims"), "malformed file (KeyError: 'dims')"),
    (lambda c: c.__setitem__("provenance", "{bad"), "'provenance' is not valid JSON"),
    (lambda c: c.__setitem__("config", {**c["config"], "hidden": 7}),
     "weights do not fit the stored config")])
def test_malformed_checkpoints_get_one_line(pipeline, tmp_path, damage, message):
    import torch

    content = torch.load(pipeline / "student.pt", weights_only=True)
    damage(content)
    torch.save(content, tmp_path / "s.pt")
    evaluate = ["eval", "--model", tmp_path / "s.pt", "--data", pipeline / "ave.h5"]
    fails(["info", tmp_path / "s.pt"] if "provenance" in message else evaluate, message)


def test_a_refused_input_leaves_no_output_folder(tmp_path):
    fails(["teach", "--data", tmp_path / "missing.h5", "--out", tmp_path / "new" / "t.pt"],
          "missing.h5: file not found")
    fails(["infer-graph", tmp_path / "missing.npz", "--out", tmp_path / "new2" / "g.npz"],
          "missing.npz: file not found")
    assert not list(tmp_path.iterdir())


def test_an_npy_header_declaring_1e12_rows_gets_one_line(pipeline, tmp_path):
    import io
    import zipfile

    src, out = zipfile.ZipFile(pipeline / "soft.npz"), tmp_path / "soft.npz"
    with zipfile.ZipFile(out, "w") as archive:
        for name in src.namelist():
            data = src.read(name)
            if name == "audio.npy":
                head = io.BytesIO()
                np.lib.format.write_array_header_1_0(
                    head, {"descr": "<f4", "fortran_order": False, "shape": (10**12, 4)})
                data = head.getvalue() + b"\0" * 64
            archive.writestr(name, data)
    fails(["infer-graph", out, "--out", tmp_path / "g.npz"], "too large to read into memory")
    fails(["info", out], "differ in shape")


@pytest.mark.parametrize("damage, message", [
    (lambda f: f["label"].__setitem__(0, 99), "'label' must hold class indices in [0, 4)"),
    (lambda f: (f.__delitem__("audio"), f.create_dataset("audio", data=np.zeros(
        f["label"].shape[0], "f4"))), "embeddings must be (N, E) arrays of one size E")])
def test_a_damaged_gallery_gets_one_line(pipeline, tmp_path, damage, message):
    index = tmp_path / "g.avx"
    ok(["retrieve", "index", "--model", pipeline / "student.pt", "--data", pipeline / "ave.h5",
        "--out", index])
    with h5py.File(index, "r+") as f:
        damage(f)
    fails(["retrieve", "search", "--index", index, "--query", "syn0-00003", "--model",
           pipeline / "student.pt"], message)
    fails(["info", index], message)
