"""Tiny synthetic fixtures shared by the tests."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from avili.config import SyntheticConfig
from avili.data.schema import Dataset, write_dataset
from avili.data.synthetic import generate

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
AVE15_SOFT = SHARED / "ave15_teacher_soft_labels.npz"

TINY = SyntheticConfig(classes=4, clips=240, audio_dim=16, visual_dim=24, latent_dim=8,
                       rules=3, seed=0)


def shared_file(path: Path) -> Path:
    """The real data in ../shared; missing is a failure on CI and a skip elsewhere."""
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing; CI must run with shared/ beside the checkout")
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture(scope="session")
def tiny() -> tuple[Dataset, object]:
    """(dataset, planted graph) with 4 classes, 240 clips."""
    return generate(TINY)


@pytest.fixture()
def tiny_h5(tmp_path: Path, tiny) -> Path:
    path = tmp_path / "tiny.h5"
    write_dataset(tiny[0], path)
    return path


def copy_dataset(ds: Dataset, **changes) -> Dataset:
    """A shallow copy of ``ds`` with some fields replaced (arrays copied)."""
    fields = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(ds).items()}
    fields.update(changes)
    return replace(ds, **{k: fields[k] for k in vars(ds)})


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory, tiny) -> Path:
    """One artifact of every kind, from the tiny dataset through the library: ``tiny.h5``,
    ``planted.npz``, ``teacher.pt`` with ``soft.npz``, ``graph.npz`` with ``graph.json``,
    ``student.pt``, ``test.avx`` (the test split's gallery), and the training states
    ``teacher.pt.state.pt`` and ``student.pt.state.pt`` of interrupted-looking one-epoch runs."""
    from avili import api
    from avili.config import DistillConfig, GraphConfig, IndexConfig, TeachConfig
    from avili.data.graphfile import save_graph
    from avili.train.distill import train_student
    from avili.train.teach import train_teacher

    d = tmp_path_factory.mktemp("artifacts")
    ds, planted = tiny
    write_dataset(ds, d / "tiny.h5")
    save_graph(planted, d / "planted.npz")
    teach = TeachConfig(epochs=2, hidden=32, seed=3, device="cpu")
    api.teach(d / "tiny.h5", teach, d / "teacher.pt", d / "soft.npz")
    api.infer_graph(d / "soft.npz", GraphConfig(workers=1), d / "graph.npz",
                    formats=("npz", "json"))
    distill = DistillConfig(epochs=2, hidden=32, embed_dim=16, seed=5, device="cpu")
    api.distill(d / "tiny.h5", distill, d / "student.pt", d / "soft.npz", d / "graph.npz")
    api.build_index(d / "student.pt", d / "tiny.h5", d / "test.avx", IndexConfig(split="test"))
    train_teacher(ds, replace(teach, epochs=1), state_file=d / "teacher.pt.state.pt")
    train_student(ds, replace(distill, epochs=1, lir_weight=0),
                  state_file=d / "student.pt.state.pt")
    return d
