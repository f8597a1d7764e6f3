"""Bad files of every kind avili reads, derived from a valid pipeline's outputs, for the
hostile-input battery (tests/test_battery.py) and the mutation properties
(tests/test_mutations.py)."""

from __future__ import annotations

import io
import pickle
import shutil
import zipfile
from pathlib import Path
from typing import Any, Callable

import h5py
import numpy as np

DELETE = object()  # an npz_edit value: drop the key


def npz_edit(src: Path, dst: Path, **changes: Any) -> Path:
    """A copy of an NPZ with keys replaced (or dropped, with DELETE)."""
    with np.load(src, allow_pickle=False) as z:
        content = {k: z[k] for k in z.files}
    for key, value in changes.items():
        if value is DELETE:
            content.pop(key, None)
        else:
            content[key] = value
    with open(dst, "wb") as handle:
        np.savez(handle, **content)
    return dst


def h5_edit(src: Path, dst: Path, change: Callable[[h5py.File], Any]) -> Path:
    """A copy of an HDF5 file with ``change(file)`` applied."""
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        change(f)
    return dst


def ckpt_edit(src: Path, dst: Path, change: Callable[[dict], Any]) -> Path:
    """A copy of a torch checkpoint with ``change(content)`` applied."""
    import torch

    content = torch.load(src, weights_only=True)
    change(content)
    torch.save(content, dst)
    return dst


def header_claiming(src: Path, dst: Path, key: str, rows: int) -> Path:
    """A copy of an NPZ whose ``key`` array's header declares ``rows`` rows."""
    source = zipfile.ZipFile(src)
    with zipfile.ZipFile(dst, "w") as archive:
        for name in source.namelist():
            data = source.read(name)
            if name == f"{key}.npy":
                head = io.BytesIO()
                np.lib.format.write_array_header_1_0(
                    head, {"descr": "<f4", "fortran_order": False, "shape": (rows, 4)})
                data = head.getvalue() + b"\0" * 64
            archive.writestr(name, data)
    return dst


class Evil:
    """Pickled, it would run a command on load: safe loading must refuse it."""

    def __reduce__(self) -> tuple:
        return (print, ("pickle code ran",))


def _common(d: Path, src: Path, name: str) -> None:
    """Kind-independent damage of ``src``: empty, truncated, text, random bytes, a pickle."""
    data = src.read_bytes()
    stem, ext = name, src.suffix
    (d / f"{stem}_empty{ext}").write_bytes(b"")
    (d / f"{stem}_truncated{ext}").write_bytes(data[:len(data) // 2])
    (d / f"{stem}_text{ext}").write_text("clip,label\na,1\n")
    (d / f"{stem}_random{ext}").write_bytes(np.random.default_rng(0).bytes(4096))
    (d / f"{stem}_pickle{ext}").write_bytes(pickle.dumps(Evil()))


def make_bad_files(p: Path, d: Path) -> None:
    """Every bad file the battery uses, in ``d``, from pipeline folder ``p``."""
    for src, name in ((p / "ave.h5", "data"), (p / "soft.npz", "soft"),
                      (p / "graph.npz", "graph"), (p / "student.pt", "student"),
                      (p / "teacher.pt", "teacher"), (p / "g.avx", "gallery")):
        _common(d, src, name)
    _datasets(p / "ave.h5", d)
    _soft_labels(p / "soft.npz", d)
    _graphs(p / "graph.npz", d)
    _checkpoints(p / "student.pt", p / "teacher.pt", d)
    _galleries(p / "g.avx", d)
    _queries(d)


def _datasets(src: Path, d: Path) -> None:
    def replaced(key: str, make: Callable[[h5py.File, int], Any]) -> Callable:
        def change(f: h5py.File) -> None:
            rows = f["label"].shape[0]
            del f[key]
            make(f, rows)
        return change

    def nan(f: h5py.File) -> None:
        x = f["visual"][()]
        x[3, 2] = np.nan
        del f["visual"]
        f["visual"] = x

    edits = {
        "no_label": lambda f: f.__delitem__("label"),
        "no_audio": lambda f: f.__delitem__("audio"),
        "audio_1d": replaced("audio", lambda f, n: f.create_dataset("audio", data=np.zeros(n, "f4"))),
        "audio_strings": replaced("audio", lambda f, n: f.create_dataset("audio", data=np.array([b"x"] * n))),
        "rows_mismatch": replaced("visual", lambda f, n: f.create_dataset("visual", data=np.zeros((n - 7, 24), "f4"))),
        "label_range": replaced("label", lambda f, n: f.create_dataset("label", data=np.full(n, 9))),
        "label_float": replaced("label", lambda f, n: f.create_dataset("label", data=np.zeros(n, "f4"))),
        "one_class": replaced("label", lambda f, n: f.create_dataset("label", data=np.zeros(n, "i8"))),
        "dup_ids": replaced("clip_id", lambda f, n: f.create_dataset("clip_id", data=np.array([b"a"] * n))),
        "ids_not_utf8": replaced("clip_id", lambda f, n: f.create_dataset("clip_id", data=np.array([b"\xff\xfe%d" % i for i in range(n)], dtype="S8"))),
        "split_group": replaced("split", lambda f, n: f.create_group("split")),
        "split_unknown": replaced("split", lambda f, n: f.create_dataset("split", data=np.array([b"bogus"] * n))),
        "huge": replaced("audio", lambda f, n: f.create_dataset("audio", shape=(2**40, 16), dtype="f4", chunks=(1024, 16))),
        "nan": nan,
        "schema_other": lambda f: f.attrs.__setitem__("schema", "other"),
        "version_abc": lambda f: f.attrs.__setitem__("schema_version", "abc"),
        "version_99": lambda f: f.attrs.__setitem__("schema_version", 99),
        "prov_not_json": lambda f: f.attrs.__setitem__("provenance", "{not json"),
        "prov_list": lambda f: f.attrs.__setitem__("provenance", "[1, 2]"),
        "class_names_short": replaced("class_names", lambda f, n: f.create_dataset("class_names", data=np.array([b"a", b"b"]))),
        "no_test": replaced("split", lambda f, n: f.create_dataset("split", data=np.array([b"train"] * (n - 40) + [b"val"] * 40))),
        "ext_link": lambda f: (f.__delitem__("audio"), f.__setitem__("audio", h5py.ExternalLink("/etc/passwd", "/x"))),
    }
    for name, change in edits.items():
        h5_edit(src, d / f"data_{name}.h5", change)
    raw = d / "raw.bin"
    raw.write_bytes(b"\0" * (240 * 16 * 4))

    def external(f: h5py.File) -> None:
        shape, dtype = f["audio"].shape, f["audio"].dtype
        del f["audio"]
        f.create_dataset("audio", shape, dtype, external=[(str(raw), 0, h5py.h5f.UNLIMITED)])
    h5_edit(src, d / "data_ext_storage.h5", external)


def _soft_labels(src: Path, d: Path) -> None:
    with np.load(src) as z:
        audio = z["audio"]
    bad = audio.copy()
    bad[0, 0] = np.nan
    edits = {
        "no_visual": {"visual": DELETE},
        "shape_mismatch": {"visual": audio[:-3]},
        "nan": {"audio": bad},
        "1d": {"audio": audio[:, 0], "visual": audio[:, 0]},
        "strings": {"audio": np.array([["x"] * audio.shape[1]] * audio.shape[0])},
        "names_short": {"class_names": np.array(["a"])},
        "ids_short": {"clip_id": np.array(["a", "b"])},
        "prov_not_json": {"provenance": np.array("{oops")},
        "other_names": {"class_names": np.array([f"x{i}" for i in range(audio.shape[1])])},
        "object": {"class_names": np.array([{"a": 1}], dtype=object)},
    }
    for name, changes in edits.items():
        if name == "object":
            continue
        npz_edit(src, d / f"soft_{name}.npz", **changes)
    with np.load(src) as z:  # an object array only loads with allow_pickle (refused)
        content = {k: z[k] for k in z.files}
    content["class_names"] = np.array([Evil()] * audio.shape[1], dtype=object)
    np.savez(d / "soft_object.npz", **content)
    header_claiming(src, d / "soft_huge.npz", "audio", 10**12)


def _graphs(src: Path, d: Path) -> None:
    with np.load(src) as z:
        weight = z["weight"]
    nan = weight.copy()
    nan[0, 1] = np.nan
    edits = {"no_weight": {"weight": DELETE}, "not_square": {"weight": weight[:, :-1]},
             "nan": {"weight": nan}, "names_other": {"class_names": np.array(
                 [f"z{i}" for i in range(weight.shape[0] // 2)])},
             "nodes_short": {"nodes": np.array(["a"])}, "schema_other": {"schema": np.array("x")},
             "sign_shape": {"sign": np.zeros((2, 2), np.int8)}}
    for name, changes in edits.items():
        npz_edit(src, d / f"graph_{name}.npz", **changes)
    header_claiming(src, d / "graph_huge.npz", "weight", 10**12)


def _checkpoints(student: Path, teacher: Path, d: Path) -> None:
    import torch

    def wrong_shape(c: dict) -> None:
        key = next(iter(c["state_dict"]))
        c["state_dict"][key] = torch.zeros(3, 3)

    edits = {"no_dims": lambda c: c.pop("dims"), "no_state": lambda c: c.pop("state_dict"),
             "format_99": lambda c: c.__setitem__("format", 99),
             "prov_not_json": lambda c: c.__setitem__("provenance", "{bad"),
             "wrong_shape": wrong_shape,
             "hidden_other": lambda c: c.__setitem__("config", {**c["config"], "hidden": 7}),
             "names_other": lambda c: c.__setitem__("class_names", ["q"] * len(c["class_names"])),
             "kind_other": lambda c: c.__setitem__("kind", "banana"),
             "dims_other": lambda c: c.__setitem__("dims", {"audio": 3, "visual": 5})}
    for name, change in edits.items():
        ckpt_edit(student, d / f"student_{name}.pt", change)
    ckpt_edit(teacher, d / "teacher_no_state.pt", lambda c: c.pop("state_dict"))
    torch.save({"a": 1}, d / "student_plain_dict.pt")
    torch.save([1, 2, 3], d / "student_list.pt")


def _galleries(src: Path, d: Path) -> None:
    def one_d(f: h5py.File) -> None:
        n = f["label"].shape[0]
        del f["audio"]
        f.create_dataset("audio", data=np.zeros(n, "f4"))

    edits = {"label_range": lambda f: f["label"].__setitem__(0, 99), "audio_1d": one_d,
             "no_visual": lambda f: f.__delitem__("visual"),
             "schema_other": lambda f: f.attrs.__setitem__("schema", "x"),
             "prov_list": lambda f: f.attrs.__setitem__("provenance", "[1]")}
    for name, change in edits.items():
        h5_edit(src, d / f"gallery_{name}.avx", change)


def _queries(d: Path) -> None:
    np.save(d / "query_nan.npy", np.full((2, 16), np.nan, np.float32))
    np.save(d / "query_dim.npy", np.zeros((2, 5), np.float32))
    np.save(d / "query_3d.npy", np.zeros((2, 3, 4), np.float32))
    np.save(d / "query_strings.npy", np.array([["a"] * 16] * 2))
    np.savez(d / "query_two.npz", a=np.zeros((1, 16)), b=np.zeros((1, 16)))
    np.savez(d / "query_none.npz")
    (d / "query_text.npy").write_text("not numpy")
    with open(d / "query_pickle.npy", "wb") as handle:
        np.save(handle, np.array([Evil()], dtype=object), allow_pickle=True)
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "<f4", "fortran_order": False,
                                                "shape": (10**12, 16)})
    (d / "query_huge.npy").write_bytes(head.getvalue() + b"\0" * 64)
