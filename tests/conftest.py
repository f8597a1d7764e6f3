"""Tiny synthetic fixtures shared by the tests. Helpers and constants live in helpers.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from avili.data.schema import Dataset, write_dataset
from avili.data.synthetic import generate
from tests.helpers import TINY, TINY_EXTRACT, ok


@pytest.fixture(scope="session")
def tiny() -> tuple[Dataset, object]:
    """(dataset, planted graph) with 4 classes, 240 clips."""
    return generate(TINY)


@pytest.fixture()
def tiny_h5(tmp_path: Path, tiny) -> Path:
    path = tmp_path / "tiny.h5"
    write_dataset(tiny[0], path)
    return path


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory) -> Path:
    """The tiny pipeline trained once for the whole session through the CLI: ``ave.h5``
    (the TINY dataset) with ``ave.planted.npz``, ``teacher.pt`` (3 epochs), ``soft.npz``,
    ``graph.npz`` with ``graph.csv``, and ``student.pt`` (2 epochs, LIR weight chosen on
    val). Tests may read these files but must write their own outputs elsewhere."""
    d = tmp_path_factory.mktemp("pipe")
    ok(TINY_EXTRACT + ["--out", d / "ave.h5"])
    ok(["teach", "--data", d / "ave.h5", "--out", d / "teacher.pt", "--epochs", "3", "-q"])
    ok(["infer-graph", d / "soft.npz", "--csv", d / "graph.csv"])
    ok(["distill", "--data", d / "ave.h5", "--soft", d / "soft.npz", "--graph", d / "graph.npz",
        "--out", d / "student.pt", "--epochs", "2", "-q"])
    return d


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
