"""Property tests: readers given random dtypes, shapes and missing keys raise only the
clean AviliError, never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

import h5py
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from avili.data.schema import SCHEMA, SCHEMA_VERSION, read_dataset
from avili.data.softlabels import load_soft_labels
from avili.errors import AviliError
from avili.data.graphfile import load_graph

DTYPES = [np.float32, np.float64, np.int64, np.int8, np.uint8, np.bool_, "S3", np.complex64]
shapes = st.lists(st.integers(0, 5), min_size=0, max_size=3).map(tuple)


@st.composite
def arrays(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(shapes)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if dtype == "S3":
        return np.full(shape, b"abc", dtype="S3")
    values = rng.normal(size=shape) * 3
    if draw(st.booleans()) and values.size:
        values.flat[0] = draw(st.sampled_from([np.nan, np.inf, -1.0, 99.0]))
    with np.errstate(invalid="ignore"):
        return values.astype(dtype) if dtype != np.bool_ else values > 0


DATASET_KEYS = ("audio", "visual", "label", "split", "clip_id", "class_names",
                "audio_events", "visual_events")


def refuses_cleanly(read, path) -> None:
    try:
        read(path)
    except AviliError:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(DATASET_KEYS), arrays(), max_size=8),
       st.booleans())
def test_random_hdf5_datasets(content, with_schema):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.h5"
        with h5py.File(path, "w") as f:
            if with_schema:
                f.attrs["schema"], f.attrs["schema_version"] = SCHEMA, SCHEMA_VERSION
            for key, value in content.items():
                f[key] = value
        refuses_cleanly(read_dataset, path)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(("audio", "visual", "class_names", "clip_id", "label",
                                        "split", "audio_labels", "visual_labels")),
                       arrays(), max_size=8))
def test_random_soft_label_files(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.npz"
        np.savez(path, **content)
        refuses_cleanly(load_soft_labels, path)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(("schema", "class_names", "weight", "undirected",
                                        "sign", "frequency")), arrays(), max_size=6),
       st.booleans())
def test_random_graph_files(content, with_schema):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "g.npz"
        if with_schema:
            content = {**content, "schema": np.array("avili.graph")}
        np.savez(path, **content)
        refuses_cleanly(load_graph, path)


def valid_content(n: int = 6) -> dict:
    return {"audio": np.ones((n, 3), np.float32), "visual": np.ones((n, 4), np.float32),
            "label": np.arange(n) % 2, "split": np.array([b"train", b"val", b"test"] * (n // 3)),
            "clip_id": np.array([f"c{i}".encode() for i in range(n)]),
            "class_names": np.array([b"a", b"b"])}


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(("audio", "visual", "label", "split", "clip_id", "class_names")),
       st.one_of(st.none(), arrays()))
def test_one_corrupted_key_in_an_otherwise_valid_dataset(key, value):
    content = valid_content()
    if value is None:
        del content[key]
    else:
        content[key] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.h5"
        with h5py.File(path, "w") as f:
            f.attrs["schema"], f.attrs["schema_version"] = SCHEMA, SCHEMA_VERSION
            for k, v in content.items():
                f[k] = v
        refuses_cleanly(read_dataset, path)


def test_the_valid_base_reads(tmp_path):
    with h5py.File(tmp_path / "x.h5", "w") as f:
        f.attrs["schema"], f.attrs["schema_version"] = SCHEMA, SCHEMA_VERSION
        for k, v in valid_content().items():
            f[k] = v
    assert len(read_dataset(tmp_path / "x.h5")) == 6  # the corruptions start from a valid file


def test_text_event_keys_are_refused_cleanly(tmp_path):
    import pytest

    with h5py.File(tmp_path / "x.h5", "w") as f:
        f.attrs["schema"], f.attrs["schema_version"] = SCHEMA, SCHEMA_VERSION
        for k, v in valid_content().items():
            f[k] = v
        f["audio_events"] = np.full((6, 2), b"abc")
    with pytest.raises(AviliError, match="'audio_events' must hold 0/1 flags"):
        read_dataset(tmp_path / "x.h5")
