"""Datasets over the memory budget: lazy rows give the same results as in-memory data."""

import json

import h5py
import numpy as np
import pytest

from avili.data.lazy import Rows, open_dataset
from avili.data.schema import write_dataset
from avili.errors import AviliError
from tests.helpers import fails, ok


@pytest.fixture()
def stored(tmp_path, tiny):
    write_dataset(tiny[0], tmp_path / "d.h5")
    return tmp_path / "d.h5", tiny[0]


def test_small_budget_keeps_features_on_disk(stored):
    path, ds = stored
    lazy = open_dataset(path, max_memory=1024)
    assert isinstance(lazy.audio, Rows) and lazy.audio.shape == ds.audio.shape
    assert isinstance(open_dataset(path).audio, np.ndarray)  # fits the default budget
    test = lazy.subset("test")
    assert isinstance(test.visual, Rows)
    np.testing.assert_array_equal(test.visual[0:7], ds.subset("test").visual[0:7])
    np.testing.assert_array_equal(test.audio[5:], ds.subset("test").audio[5:])
    with pytest.raises(AviliError, match="increasing order"):
        lazy.audio[np.array([3, 1])]


def test_nan_found_while_reading(stored, tmp_path):
    path, _ = stored
    with h5py.File(path, "a") as f:
        f["audio"][7, 0] = np.nan
    lazy = open_dataset(path, max_memory=1024)  # small keys validate; features later
    with pytest.raises(AviliError, match="'audio' contains NaN or Inf"):
        lazy.audio[0:20]


@pytest.mark.slow
def test_eval_and_index_agree_with_and_without_the_budget(tmp_path, stored):
    path, _ = stored
    ok(["distill", "--data", path, "--out", tmp_path / "s.pt", "--epochs", "2",
        "--lir-weight", "0", "-q"])
    whole = json.loads(ok(["eval", "--model", tmp_path / "s.pt", "--data", path, "--json"]
                          ))["models"][0]
    lazy = json.loads(ok(["eval", "--model", tmp_path / "s.pt", "--data", path, "--json",
                          "--max-memory", "0.01"]))["models"][0]  # 10 KB: < 38 KB of features
    assert whole["avg_mAP"] == lazy["avg_mAP"]
    from avili.data.gallery import read_gallery
    from avili.retrieval.stage import build_index
    from avili.config import IndexConfig

    build_index(tmp_path / "s.pt", path, tmp_path / "a.avx", IndexConfig())
    build_index(tmp_path / "s.pt", path, tmp_path / "b.avx", IndexConfig(max_memory_mb=0.01))
    a, b = read_gallery(tmp_path / "a.avx"), read_gallery(tmp_path / "b.avx")
    np.testing.assert_array_equal(a.audio, b.audio)
    fails(["eval", "--model", tmp_path / "s.pt", "--data", path, "--max-memory", "-1"],
          "--max-memory")


@pytest.mark.slow
def test_teach_and_distill_stream_what_does_not_fit(stored, tmp_path, monkeypatch):
    import avili.train.stream as stream

    monkeypatch.setattr(stream, "RUNTIME_BYTES", 0)  # a tiny budget for tiny data
    monkeypatch.setattr(stream, "CLIP_BYTES", 0)
    path, _ = stored
    teacher, soft, student = tmp_path / "t.pt", tmp_path / "s.npz", tmp_path / "st.pt"
    budget = ["--max-memory", "0.06", "--batch-size", "16", "--epochs", "2", "--quiet"]
    out = ok(["teach", "--data", path, "--out", teacher, "--soft-out", soft, "--json", *budget])
    assert json.loads(out)["best_epoch"] >= 1  # counted from 1
    ok(["distill", "--data", path, "--out", student, "--lir-weight", "0", *budget])
    from avili.students import load_student

    record = json.loads(load_student(student)[1]["provenance"])
    assert record["training"] == {"streamed": True, "pool_rows": 96, "block_rows": 12,
                                  "device": "cpu", "amp": "off", "tf32": False}
    assert record["config"]["max_memory_mb"] == 0.06
    from avili.info import describe

    assert describe(student)["details"]["training"]["streamed"] is True
    fails(["distill", "--data", path, "--out", tmp_path / "x.pt", "--lir-weight", "0",
           "--max-memory", "0.01"], "too small to stream these features")
    assert not (tmp_path / "x.pt").exists()


def test_sparse_rows_are_read_window_by_window(stored, monkeypatch):
    import avili.data.lazy as lazy

    path, ds = stored
    monkeypatch.setattr(lazy, "WINDOW_BYTES", 10 * 4 * 24)  # ten visual rows per window
    rows = open_dataset(path, max_memory=0).visual
    spans = []
    source = rows.source

    class Spy:
        shape = source.shape

        def __getitem__(self, key):
            spans.append(key.stop - key.start)
            return source[key]

    pick = np.array([0, 3, 4, 50, 51, 52, 200, 239])
    sparse = lazy.Rows(Spy(), pick, path, "visual")
    np.testing.assert_array_equal(sparse[:], ds.visual[pick])
    assert spans == [5, 3, 1, 1]  # never the whole 240-row covering span
