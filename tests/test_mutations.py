"""Mutation properties: valid files of every kind avili reads, damaged at random (bytes
flipped, truncated or spliced; keys dropped; arrays, attributes and checkpoint entries
replaced by values of other types, shapes and ranges). Each reader, and ``avili info``'s
describe, must either read the file or raise the one-line AviliError: never anything else,
which the command line would show as a traceback. 500 examples per reader, derandomized so
CI sees the same ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Callable

import h5py
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, reject, settings, strategies as st
from hypothesis.extra import numpy as hnp

from avili.errors import AviliError
from avili.info import describe

pytestmark = pytest.mark.slow  # 500 examples per reader: minutes

EXAMPLES = settings(max_examples=500, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))

# -- damage ---------------------------------------------------------------------------------

position = st.floats(0, 1, exclude_max=True)
byte_damage = st.one_of(
    st.tuples(st.just("truncate"), position),
    st.tuples(st.just("flip"), st.lists(st.tuples(position, st.integers(0, 255)), min_size=1,
                                        max_size=16)),
    st.tuples(st.just("splice"), position, st.binary(min_size=1, max_size=64)))

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)
numeric = st.sampled_from(["f4", "f8", "i8", "i1", "u1", "bool"])
h5_arrays = hnp.arrays(st.one_of(numeric, st.just("S4")), shapes)
npz_arrays = hnp.arrays(st.one_of(numeric, st.sampled_from(["S4", "U3"])), shapes)
attr_values = st.one_of(st.text(max_size=30), st.integers(-2**31, 2**31), st.floats(),
                        st.sampled_from(['{"kind": 1}', "[]", "{}", "null", "avili.dataset"]))
plain_values = st.one_of(st.none(), st.integers(-2**63, 2**63 - 1), st.floats(),
                         st.text(max_size=20), st.lists(st.integers(-5, 5), max_size=4),
                         st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


def damage_bytes(data: bytes, how: tuple) -> bytes:
    """``data`` truncated, with bytes overwritten, or with junk inserted."""
    at = lambda p: int(p * len(data))  # noqa: E731
    if how[0] == "truncate":
        return data[:at(how[1])]
    if how[0] == "splice":
        return data[:at(how[1])] + how[2] + data[at(how[1]):]
    out = bytearray(data)
    for p, byte in how[1]:
        out[at(p)] = byte
    return bytes(out)


def same_shape(values: Any) -> Any:
    """A strategy: an array of the original's shape with extreme or arbitrary values."""
    return values.flatmap(lambda original: hnp.arrays(
        st.sampled_from([original.dtype if original.dtype.kind in "biuf" else "f4", "f4", "i8"]),
        original.shape, elements=None))


# -- readers ----------------------------------------------------------------------------------


def reads_or_refuses(read: Callable[[Path], Any], path: Path) -> None:
    """``read(path)`` and ``describe(path)`` succeed or raise a one-line AviliError."""
    for fn in (read, describe):
        try:
            fn(path)
        except AviliError as exc:
            assert "\n" not in str(exc) and str(path) in str(exc), str(exc)


@pytest.fixture(scope="module")
def valid(artifacts, tmp_path_factory):
    """(folder with one valid file per kind, scratch folder for the damaged copies)."""
    from avili import api
    from avili.config import IndexConfig

    d = tmp_path_factory.mktemp("valid")
    for name in ("tiny.h5", "soft.npz", "graph.npz", "student.pt", "teacher.pt",
                 "student.pt.state.pt"):
        shutil.copy(artifacts / name, d / name)
    api.build_index(d / "student.pt", d / "tiny.h5", d / "g.avx", IndexConfig(split="val"))
    np.save(d / "query.npy", np.random.default_rng(0).normal(size=(3, 16)).astype("f4"))
    return d, tmp_path_factory.mktemp("damaged")


def _write_bytes(valid, name: str, how: tuple) -> Path:
    d, scratch = valid
    out = scratch / name
    out.write_bytes(damage_bytes((d / name).read_bytes(), how))
    return out


# -- HDF5: the dataset and the gallery index ------------------------------------------------


def key_damage(keys: list[str], arrays: Any, *more: Any) -> Any:
    """Damage to a file of named arrays: its bytes, or one key dropped, replaced by another
    array, or refilled with other values of its shape; plus ``more`` kinds."""
    return st.one_of(
        st.tuples(st.just("bytes"), byte_damage),
        st.tuples(st.just("delete"), st.sampled_from(keys)),
        st.tuples(st.just("replace"), st.sampled_from(keys), arrays),
        st.tuples(st.just("values"), st.sampled_from(keys)), *more)


def h5_damage(keys: list[str], attrs: list[str]) -> Any:
    return key_damage(keys, h5_arrays,
                      st.tuples(st.just("attr"), st.sampled_from(attrs), attr_values),
                      st.tuples(st.just("group"), st.sampled_from(keys)))


def damaged_h5(valid, name: str, how: tuple, data: Any) -> Path:
    if how[0] == "bytes":
        return _write_bytes(valid, name, how[1])
    d, scratch = valid
    out = scratch / name
    shutil.copy(d / name, out)
    with h5py.File(out, "r+") as f:
        if how[0] == "attr":
            try:
                f.attrs[how[1]] = how[2]
            except ValueError:  # h5py cannot store it (e.g. an embedded NUL): not a case
                reject()
            return out
        original = f[how[1]][()]
        del f[how[1]]
        if how[0] == "replace":
            f[how[1]] = how[2]
        elif how[0] == "values":
            f[how[1]] = data.draw(same_shape(st.just(np.asarray(original))))
        elif how[0] == "group":
            f.create_group(how[1])
    return out


DATASET_KEYS = ["audio", "visual", "label", "split", "clip_id", "class_names", "audio_events",
                "visual_events"]
GALLERY_KEYS = ["audio", "visual", "label", "clip_id", "class_names"]
H5_ATTRS = ["schema", "schema_version", "provenance"]


# -- NPZ: soft labels and graphs; NPY/NPZ query features -------------------------------------


SOFT_KEYS = ["schema", "audio", "visual", "class_names", "clip_id", "label", "split",
             "audio_labels", "visual_labels", "provenance"]
GRAPH_KEYS = ["schema", "nodes", "class_names", "weight", "undirected", "sign", "frequency",
              "provenance"]


def damaged_npz(valid, name: str, how: tuple, data: Any) -> Path:
    if how[0] == "bytes":
        return _write_bytes(valid, name, how[1])
    d, scratch = valid
    with np.load(d / name) as z:
        content = {k: z[k] for k in z.files}
    if how[0] == "delete":
        content.pop(how[1], None)
    elif how[0] == "replace":
        content[how[1]] = how[2]
    elif how[1] in content:
        content[how[1]] = data.draw(same_shape(st.just(content[how[1]])))
    out = scratch / name
    with open(out, "wb") as handle:
        np.savez(handle, **content)
    return out


def _reader(name: str) -> Callable[[Path], Any]:
    from avili.data.gallery import read_gallery
    from avili.data.schema import read_dataset
    from avili.data.softlabels import load_soft_labels
    from avili.data.graphfile import load_graph

    return {"read_dataset": read_dataset, "read_gallery": read_gallery,
            "load_soft_labels": load_soft_labels, "load_graph": load_graph}[name]


KEYED_FILES = {  # reader: (valid file, damage, how to apply it)
    "read_dataset": ("tiny.h5", h5_damage(DATASET_KEYS, H5_ATTRS), damaged_h5),
    "read_gallery": ("g.avx", h5_damage(GALLERY_KEYS, H5_ATTRS), damaged_h5),
    "load_soft_labels": ("soft.npz", key_damage(SOFT_KEYS, npz_arrays), damaged_npz),
    "load_graph": ("graph.npz", key_damage(GRAPH_KEYS, npz_arrays), damaged_npz),
}


@pytest.mark.parametrize("reader", list(KEYED_FILES))
@EXAMPLES
@given(data=st.data())
def test_damaged_files_of_named_arrays(valid, reader, data):
    name, damage, apply = KEYED_FILES[reader]
    how = data.draw(damage, label="damage")
    reads_or_refuses(_reader(reader), apply(valid, name, how, data))


@EXAMPLES
@given(how=st.one_of(st.tuples(st.just("bytes"), byte_damage),
                     st.tuples(st.just("array"), npz_arrays)))
def test_damaged_query_files(valid, how):
    from avili.retrieval.index import read_query_features

    path = valid[1] / "query.npy"
    if how[0] == "bytes":
        path = _write_bytes(valid, "query.npy", how[1])
    else:
        np.save(path, how[1])
    try:
        read_query_features(path)
    except AviliError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)


# -- torch checkpoints and training states ---------------------------------------------------

tensors = st.builds(lambda shape, fill: torch.full(shape, fill),
                    st.lists(st.integers(0, 4), max_size=3).map(tuple),
                    st.floats(width=32))


def checkpoint_damage(keys: list[str]) -> Any:
    return st.one_of(
        st.tuples(st.just("bytes"), byte_damage),
        st.tuples(st.just("delete"), st.sampled_from(keys)),
        st.tuples(st.just("replace"), st.sampled_from(keys), st.one_of(plain_values, tensors)),
        st.tuples(st.just("weight"), position, st.one_of(tensors, plain_values)))


def damaged_checkpoint(valid, name: str, how: tuple, weights: str) -> Path:
    if how[0] == "bytes":
        return _write_bytes(valid, name, how[1])
    d, scratch = valid
    content = torch.load(d / name, weights_only=True)
    if how[0] == "delete":
        content.pop(how[1], None)
    elif how[0] == "replace":
        content[how[1]] = how[2]
    else:
        names = sorted(content[weights])
        content[weights][names[int(how[1] * len(names))]] = how[2]
    out = scratch / name
    torch.save(content, out)
    return out


CHECKPOINT_KEYS = ["schema", "format", "kind", "avili_version", "provenance", "config",
                   "state_dict", "class_names", "dims", "history", "best_epoch", "best_score",
                   "extra"]


@EXAMPLES
@given(how=checkpoint_damage(CHECKPOINT_KEYS))
def test_damaged_student_checkpoints(valid, how):
    from avili.students import load_student

    reads_or_refuses(load_student, damaged_checkpoint(valid, "student.pt", how, "state_dict"))


@EXAMPLES
@given(how=checkpoint_damage(CHECKPOINT_KEYS))
def test_damaged_teacher_checkpoints(valid, how):
    from avili.checkpoint import load_checkpoint

    reads_or_refuses(lambda p: load_checkpoint(p, "teacher"),
                     damaged_checkpoint(valid, "teacher.pt", how, "state_dict"))


@EXAMPLES
@given(how=checkpoint_damage(["config", "epoch", "model", "optimizer", "extra", "rng",
                              "best_state", "best_epoch", "best_score", "history", "kind",
                              "format"]))
def test_damaged_training_states(valid, how):
    from avili.config import DistillConfig, config_from_dict
    from avili.models import build_student
    from avili.train.state import Resumable, load_state

    stored = json.loads(torch.load(valid[0] / "student.pt.state.pt",
                                   weights_only=True)["config"])
    cfg = config_from_dict(DistillConfig, stored)
    path = damaged_checkpoint(valid, "student.pt.state.pt", how, "model")

    def resume(p: Path) -> None:
        model = build_student(16, 24, cfg.hidden, cfg.embed_dim, cfg.dropout)
        optimizer = torch.optim.AdamW(model.parameters())
        load_state(Resumable(p, stored, resume=True), model, optimizer, torch.Generator())

    reads_or_refuses(resume, path)
