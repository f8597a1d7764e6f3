"""The examples: ``examples/Makefile``'s AVE and VEGAS targets on tiny files written in the
published layouts, their one-line failure without data, and ``examples/python_api.py``."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from avili.config import DistillConfig, TeachConfig
from tests.helpers import TINY

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = ROOT / "examples" / "Makefile"
FAST = ["TEACH_EPOCHS=2", "DISTILL_EPOCHS=2", "GRAPH_RESTARTS=1"]
N = 60

needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def make(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """``make -f examples/Makefile -C workdir ARGS`` with this interpreter's avili."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}
    return subprocess.run(["make", "-f", str(MAKEFILE), "-C", str(workdir),
                           f"AVILI={sys.executable} -m avili", *args],
                          capture_output=True, text=True, env=env, timeout=600)


def clustered(rng: np.random.Generator, label: np.ndarray, *shape: int) -> np.ndarray:
    """(N, *shape) float32 features whose last axis carries a per-class offset."""
    centres = rng.standard_normal((int(label.max()) + 1, shape[-1]))
    return (centres[label].reshape(len(label), *[1] * (len(shape) - 1), shape[-1])
            + rng.standard_normal((len(label), *shape))).astype("f4")


def ave_release(folder: Path) -> Path:
    """The official AVE layout: per-second VGGish audio (N, T, 128), VGG-19 maps (N, T, 7, 7,
    512) shrunk to (N, T, 2, 2, 32), per-second one-hot labels over 28 classes + background,
    and the three order files. Clips use 4 of the classes."""
    rng = np.random.default_rng(0)
    label = np.arange(N) % 4 * 7
    seconds = np.zeros((N, 2, 29))
    seconds[np.arange(N), :, label] = 1
    order = rng.permutation(N)
    arrays = {"audio_feature.h5": clustered(rng, label, 2, 128),
              "visual_feature.h5": clustered(rng, label, 2, 2, 2, 32),
              "labels.h5": seconds, "train_order.h5": order[:40],
              "val_order.h5": order[40:48], "test_order.h5": order[48:]}
    folder.mkdir()
    for name, value in arrays.items():
        with h5py.File(folder / name, "w") as f:
            f["order" if "order" in name else "avadataset" if name == "labels.h5"
              else "dataset"] = value
    return folder


def ave15_flagged(path: Path) -> Path:
    """The 15-class single-file form: VGGish 128-d + Inception 1024-d, one-hot Label_ID,
    Train_test flags with 1 = train."""
    rng = np.random.default_rng(1)
    n = 8 * 15  # 6 train clips a class, so that carving a 10% val split leaves one each
    label = np.arange(n) % 15
    with h5py.File(path, "w") as f:
        f["vggish_Features"] = clustered(rng, label, 10, 128)
        f["inception_Features"] = clustered(rng, label, 1024)
        f["Label_ID"] = np.eye(15)[label]
        f["Train_test"] = np.where(np.arange(n) < 90, b"1", b"0")
    return path


def vegas_presplit(path: Path) -> Path:
    """VEGAS as shared: audio/visual/lab _train and _test keys, 10 classes."""
    rng = np.random.default_rng(2)
    with h5py.File(path, "w") as f:
        for split, rows in (("train", range(45)), ("test", range(45, N))):
            label = np.array(rows) % 10
            f[f"audio_{split}"] = clustered(rng, label, 128)
            f[f"visual_{split}"] = clustered(rng, label, 1024)
            f[f"lab_{split}"] = label
    return path


@needs_make
@pytest.mark.slow
@pytest.mark.parametrize("target, write, classes, test_clips", [
    ("ave", ave_release, 28, 12),
    ("vegas", vegas_presplit, 10, 15),
], ids=["ave-release", "vegas-presplit"])
@pytest.mark.slow
def test_dataset_target_runs_the_whole_pipeline(tmp_path, target, write, classes, test_clips):
    source = write(tmp_path / f"published-{target}")
    work = tmp_path / "runs"
    work.mkdir()
    done = make(work, target, f"{target.upper()}={source}", *FAST)
    assert done.returncode == 0, done.stderr
    out = work / target
    for name in ("data.h5", "teacher.pt", "soft.npz", "graph.npz", "graph.csv", "student.pt",
                 "baseline.pt", "comparison.md"):
        assert (out / name).is_file(), name
    with h5py.File(out / "data.h5") as f:
        assert len(f["class_names"]) == classes
        assert (f["split"][:].astype(str) == "test").sum() == test_clips
    table = json.loads((out / "comparison.json").read_text())
    assert [Path(m["model"]).name for m in table["models"]] == ["baseline.pt", "student.pt"]
    assert {m["queries"] for m in table["models"]} == {test_clips}
    assert f"| {target}/student.pt |" in done.stdout  # the target ends by printing the table
    again = make(work, target, f"{target.upper()}={source}", *FAST)
    assert again.returncode == 0 and " teach " not in again.stdout  # nothing changed
    longer = make(work, f"{target}/baseline.pt", f"{target.upper()}={source}", *FAST[:1],
                  "DISTILL_EPOCHS=1", *FAST[2:])
    assert longer.returncode == 0 and " distill " in longer.stdout  # a changed setting
    assert " teach " not in longer.stdout and " extract " not in longer.stdout
    moved = tmp_path / "moved"
    source.rename(moved)
    rerun = make(work, f"{target}/data.h5", f"{target.upper()}={moved}")
    assert rerun.returncode == 0 and f' extract --from "{moved}"' in rerun.stdout


@pytest.mark.slow
@needs_make
def test_ave_single_file_gets_the_ave15_names(tmp_path):
    """The stages after extract are the ones tested above; here only the file's import."""
    done = make(tmp_path, "ave/data.h5", f"AVE={ave15_flagged(tmp_path / 'ave15.h5')}")
    assert done.returncode == 0, done.stderr
    names = (ROOT / "examples" / "ave15.txt").read_text().splitlines()
    with h5py.File(tmp_path / "ave" / "data.h5") as f:
        assert f["class_names"][:].astype(str).tolist() == names and len(names) == 15
        assert (f["split"][:].astype(str) == "val").sum() == 15  # carved: one per class


@needs_make
@pytest.mark.parametrize("target", ["ave", "vegas"])
def test_missing_data_is_one_line_and_writes_nothing(tmp_path, target):
    var = target.upper()
    done = make(tmp_path, target, f"{var}={tmp_path / 'nowhere'}")
    assert done.returncode == 2
    err = done.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"no {var} data at '{tmp_path / 'nowhere'}'" in err and "https://github.com/" in err
    assert "examples/data/" in err  # where to put it
    assert not (tmp_path / target).exists()


@pytest.mark.slow
def test_python_api_example_runs(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("python_api", ROOT / "examples" /
                                                  "python_api.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    maps = example.main(tmp_path, synthetic=TINY, teach=TeachConfig(epochs=2),
                        distill=DistillConfig(epochs=2))
    assert set(maps) == {"baseline", "lir"} and all(0 < m <= 1 for m in maps.values())
    out = capsys.readouterr().out
    assert "edges; strongest:" in out and "lir: test avg mAP" in out
    assert (tmp_path / "student.pt").is_file() and (tmp_path / "graph.npz").is_file()
