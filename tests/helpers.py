"""Helpers shared by several test modules. Test modules import from here (and take
fixtures from conftest.py), never from one another."""

from __future__ import annotations

import math
import os
import socket
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from torch.nn import functional as F
from typer.testing import CliRunner

from avili.config import DistillConfig, SyntheticConfig
from avili.data.schema import Dataset
from avili.progress import NullProgress

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
AVE15_SOFT = SHARED / "ave15_teacher_soft_labels.npz"

TINY = SyntheticConfig(classes=4, clips=240, audio_dim=16, visual_dim=24, latent_dim=8,
                       rules=3, seed=0)
# ``avili extract`` writing the TINY dataset
TINY_EXTRACT = ["extract", "--synthetic", "--num-classes", "4", "--clips", "240", "--rules", "3",
                "--audio-dim", "16", "--visual-dim", "24", "--seed", "0"]
# the student of the torchrun test: no dropout, and batches that split evenly, so the only
# difference left between two ranks and one process is float order
DDP_CFG = DistillConfig(epochs=4, batch_size=32, hidden=32, embed_dim=16, dropout=0.0,
                        lir_weight=0.0, device="cpu")


def shared_file(path: Path) -> Path:
    """The real data in ../shared; missing is a failure on CI and a skip elsewhere."""
    if not path.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing; CI must run with shared/ beside the checkout")
        pytest.skip(f"{path} not present")
    return path


def copy_dataset(ds: Dataset, **changes) -> Dataset:
    """A shallow copy of ``ds`` with some fields replaced (arrays copied)."""
    fields = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(ds).items()}
    fields.update(changes)
    return replace(ds, **{k: fields[k] for k in vars(ds)})


def free_port() -> int:
    """A TCP port that was free a moment ago: bind port 0, read what the OS chose, close."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the CLI ---------------------------------------------------------------------------------

runner = CliRunner()


def ok(args: list) -> str:
    """Run the CLI in-process; it must exit 0. Returns its stdout."""
    from avili.cli import app

    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def fails(args: list, message: str, code: int = 2) -> str:
    """Run the CLI in-process; it must exit ``code`` with one stderr line, no traceback,
    containing ``message``. Returns that line."""
    from avili.cli import app

    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    err = result.stderr.strip()
    assert "Traceback" not in result.output and len(err.splitlines()) == 1, err
    assert message in err, err
    return err


# -- losses: a hand-checkable batch and plain-Python references ------------------------------

def batch(seed=0, n=6, e=4, labels=(0, 0, 1, 1, 2, 0)):
    """(audio, visual) (n, e) unit rows and (n,) labels."""
    g = torch.Generator().manual_seed(seed)
    a = F.normalize(torch.randn(n, e, generator=g), dim=1)
    v = F.normalize(torch.randn(n, e, generator=g), dim=1)
    return a, v, torch.tensor(labels[:n])


def dist(x, y):
    return math.sqrt(sum((float(p) - float(q)) ** 2 for p, q in zip(x, y)))


def nce_loop(a, v, t):
    """Symmetric InfoNCE by hand."""
    total = 0.0
    for x, z in ((a, v), (v, a)):
        for i in range(len(x)):
            logits = [float(x[i] @ z[j]) / t for j in range(len(z))]
            total += -(logits[i] - math.log(sum(math.exp(s) for s in logits)))
    return total / (2 * len(a))


# -- graphs ----------------------------------------------------------------------------------

def linear_gaussian(p=8, n=600, seed=0):
    """(n, p) data and its (p, p) bool DAG, from the library's generator."""
    from avili.graph.simulate import linear_gaussian as simulate

    return simulate(p, n, seed, degree=2.0, shuffle=False)


def soft_from(x):
    """Soft labels from (n, 2c) data: the first c columns audio, the rest visual."""
    from avili.data.softlabels import SoftLabels

    probs = 1 / (1 + np.exp(-(x - x.mean(0)) / x.std(0)))
    c = x.shape[1] // 2
    n = x.shape[0]
    return SoftLabels(audio=probs[:, :c], visual=probs[:, c:],
                      class_names=[f"k{i}" for i in range(c)],
                      clip_id=np.array([f"c{i}" for i in range(n)]), label=np.arange(n) % c,
                      split=np.array(["train"] * n), provenance={})


def small_graph():
    """Three classes: one directed cross-class link, one same-class, one undirected."""
    from avili.data.graphfile import Graph

    w = np.zeros((6, 6), np.float32)
    w[0, 4] = 0.8   # audio:a -> visual:b
    w[2, 5] = 0.3   # audio:c -> visual:c (same class, not a cross-class link)
    w[1, 3] = w[3, 1] = 0.5  # audio:b --- visual:a (undirected)
    und = np.zeros((6, 6), bool)
    und[1, 3] = und[3, 1] = True
    sign = (w > 0).astype(np.int8)
    sign[1, 3] = sign[3, 1] = -1
    return Graph(["a", "b", "c"], w, und, sign, {"seed": 3})


def assert_same(data, lambda_value, seed, fast=None, reference=None):
    """The fast search (default fast GRaSP) gives the reference's (default causal-learn's
    GRaSP) CPDAG, and a non-empty one."""
    from avili.graph.discovery import run_grasp
    from avili.graph.fastgrasp import fast_grasp

    fast, reference = fast or fast_grasp, reference or run_grasp
    directed, undirected = fast(data, lambda_value, depth=3, seed=seed)
    ref_directed, ref_undirected = reference(data, lambda_value, depth=3, seed=seed)
    np.testing.assert_array_equal(directed, ref_directed)
    np.testing.assert_array_equal(undirected, ref_undirected)
    assert directed.sum() + undirected.sum() > 0


def assert_leaves_global_random_alone(search):
    """The search draws from its own seeded generator, never from the global ``random``."""
    import random

    from avili.graph.simulate import linear_gaussian as simulate

    random.seed(5)
    before = random.random()
    random.seed(5)
    search(simulate(8, 300, 0)[0], seed=3)
    assert random.random() == before


def real_soft_labels():
    """The shared AVE-15 teacher soft labels as (1564, 30) [audio | visual]."""
    from avili.data.softlabels import load_soft_labels

    soft = load_soft_labels(shared_file(AVE15_SOFT))
    return np.column_stack([soft.audio, soft.visual]).astype(np.float64)


# -- training --------------------------------------------------------------------------------

class StopAfter(NullProgress):
    """Raises KeyboardInterrupt (as Ctrl-C would) once ``epochs`` epochs have finished."""

    def __init__(self, epochs: int):
        self.left = epochs

    def advance(self, n: int = 1, message: str = "") -> None:
        self.left -= n
        if self.left <= 0:
            raise KeyboardInterrupt


def same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), key


# -- a tiny AVE release ----------------------------------------------------------------------

RELEASE_CLIPS, RELEASE_SECONDS = 24, 3


def seconds(classes, width):
    """(RELEASE_SECONDS, width + 1) per-second one-hot; None is a background second."""
    out = np.zeros((RELEASE_SECONDS, width + 1), dtype=np.float64)
    for t, c in enumerate(classes):
        out[t, width if c is None else c] = 1
    return out


def release(folder, width=28, val=True, seed=0, labels=None):
    """A tiny AVE-shaped release: clip i's seconds are all class i % width, except as given."""
    n, t = RELEASE_CLIPS, RELEASE_SECONDS
    rng = np.random.default_rng(seed)
    folder.mkdir(exist_ok=True)
    if labels is None:
        labels = np.stack([seconds([i % 4 * 5] * t, width) for i in range(n)])
    arrays = {"audio_feature.h5": ("dataset", rng.normal(size=(n, t, 6)).astype(np.float32)),
              "visual_feature.h5": ("dataset", rng.normal(size=(n, t, 2, 2, 5))
                                    .astype(np.float32)),
              "labels.h5": ("avadataset", labels)}
    order = rng.permutation(n)
    cuts = {"train_order.h5": order[:14], "test_order.h5": order[18:]}
    if val:
        cuts["val_order.h5"] = order[14:18]
    for name, idx in cuts.items():
        arrays[name] = ("order", idx)
    for name, (key, value) in arrays.items():
        with h5py.File(folder / name, "w") as f:
            f.create_dataset(key, data=value)
    return {name: value for name, (_, value) in arrays.items()}


class Recorder:
    """A :class:`avili.progress.Progress` that records its calls: ("start", total),
    ("advance", steps, status), ("stop",)."""

    def __init__(self):
        self.calls = []

    def start(self, description, total):
        self.calls.append(("start", total))

    def advance(self, steps=1, status=""):
        self.calls.append(("advance", steps, status))

    def stop(self):
        self.calls.append(("stop",))


def random_dag(seed: int, max_p: int, min_density: float):
    """A random DAG (p, p) bool, p in [2, max_p), edges order[i] -> order[j] for i < j with
    a density drawn from [min_density, 0.7); and that causal ``order`` (p,)."""
    rng = np.random.default_rng(seed)
    p = int(rng.integers(2, max_p))
    order = rng.permutation(p)
    dag = np.zeros((p, p), dtype=bool)
    dag[np.ix_(order, order)] = np.triu(rng.random((p, p)) < rng.uniform(min_density, 0.7), 1)
    return dag, order
