"""Tiny synthetic fixtures shared by the tests."""

from __future__ import annotations

import os
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
    from dataclasses import replace

    fields = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(ds).items()}
    fields.update(changes)
    return replace(ds, **{k: fields[k] for k in vars(ds)})
