"""Streamed training: pooled epochs over lazy HDF5 rows."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from avili.config import DistillConfig, TeachConfig
from avili.data.lazy import Rows, open_dataset
from avili.errors import AviliError
from avili.train.distill import train_student
from avili.train.stream import InMemory, Pooled, pool_bytes, train_features
from avili.train.teach import train_teacher
from tests.helpers import StopAfter, same_weights


class Counted:
    """An (n, D) array whose slice reads are recorded."""

    def __init__(self, x):
        self.x, self.shape, self.reads = x, x.shape, []

    def __getitem__(self, key):
        self.reads.append((key.start, key.stop))
        return self.x[key]


def pooled(n=1000, pool=300, block=37):
    rng = np.random.default_rng(0)
    audio, visual = (Counted(rng.standard_normal((n, d)).astype(np.float32)) for d in (3, 5))
    return Pooled(audio, visual, torch.device("cpu"), pool, block), audio, visual


def test_an_epoch_visits_every_row_once_and_each_batch_lies_in_one_pool():
    source, audio, visual = pooled()
    batches = source.epoch(64, torch.Generator().manual_seed(1))
    seen = torch.cat(batches).numpy()
    assert sorted(seen.tolist()) == list(range(1000))
    pools = [set(source.pool_of[b.numpy() // source.block].tolist()) for b in batches]
    assert all(len(p) == 1 for p in pools)
    assert max(b.numel() for b in batches) == 64
    for idx in batches:  # features are the rows asked for, and only one pool is held
        a, v = source(idx)
        np.testing.assert_array_equal(a.numpy(), audio.x[idx.numpy()])
        np.testing.assert_array_equal(v.numpy(), visual.x[idx.numpy()])
        assert source.features[0].shape[0] <= source.per_pool * source.block
    # each block is read once per epoch, as one contiguous span
    assert len(audio.reads) == source.blocks
    assert sorted(audio.reads) == [(b * 37, min(1000, (b + 1) * 37)) for b in range(source.blocks)]


def test_the_epoch_order_is_seeded_and_changes_between_epochs():
    a, b = pooled()[0], pooled()[0]
    first = a.epoch(64, torch.Generator().manual_seed(3))
    again = b.epoch(64, torch.Generator().manual_seed(3))
    assert all(torch.equal(x, y) for x, y in zip(first, again))
    gen = torch.Generator().manual_seed(3)
    a.epoch(64, gen)
    assert not torch.equal(torch.cat(a.epoch(64, gen)), torch.cat(first))


def test_arrays_stay_in_memory_and_a_tiny_budget_is_refused():
    x = np.zeros((10, 2), np.float32)
    assert isinstance(train_features(x, x, torch.device("cpu"), 0, 8, 10), InMemory)
    with pytest.raises(AviliError, match=r"too small .* need at least 351 MB"):
        train_features(Counted(x), Counted(x), torch.device("cpu"), 100 << 20, 32, 1000)
    # what the runtime and the clips' labels leave is the pool's
    assert pool_bytes(1 << 30, 1_000_000) == ((1 << 30) - (350 << 20) - 400_000_000) // 2


@pytest.fixture()
def no_overhead(monkeypatch):
    """Tiny budgets for tiny data: no runtime or per-clip reserve (see stream.pool_bytes)."""
    import avili.train.stream as stream

    monkeypatch.setattr(stream, "RUNTIME_BYTES", 0)
    monkeypatch.setattr(stream, "CLIP_BYTES", 0)


STREAM_MB = 0.06  # tiny's features (16 + 24 dims) exceed half of it: pools of 96 rows


@pytest.fixture()
def lazy(tiny_h5, no_overhead):
    ds = open_dataset(tiny_h5, max_memory=0, events=False)
    assert isinstance(ds.audio, Rows)
    return ds


def test_streamed_student_learns_reproduces_and_resumes(lazy, tiny, tmp_path):
    cfg = DistillConfig(epochs=4, hidden=32, embed_dim=16, lir_weight=0, batch_size=16,
                        max_memory_mb=STREAM_MB, device="cpu")
    whole = train_student(lazy, cfg, state_file=tmp_path / "a.state.pt")
    assert whole.training["streamed"] and whole.training["pool_rows"] < 240
    memory = train_student(tiny[0], cfg)
    assert not memory.training["streamed"]
    assert whole.fit.best_score > 0.4 and abs(whole.fit.best_score - memory.fit.best_score) < 0.1
    again = train_student(lazy, cfg)
    same_weights(whole.model, again.model)
    state = tmp_path / "b.state.pt"
    with pytest.raises(KeyboardInterrupt):
        train_student(lazy, cfg, progress=StopAfter(2), state_file=state)
    same_weights(whole.model, train_student(lazy, cfg, state_file=state, resume=True).model)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["aligned", "fused"])
def test_streamed_teacher_matches_the_in_memory_one_closely(lazy, tiny, mode):
    cfg = TeachConfig(mode=mode, epochs=3, hidden=32, batch_size=16, device="cpu")
    memory = train_teacher(tiny[0], cfg)
    streamed = train_teacher(lazy, replace(cfg, max_memory_mb=STREAM_MB))
    assert streamed.training["streamed"]
    assert abs(streamed.fit.best_score - memory.fit.best_score) < 0.1
    assert streamed.soft.audio.shape == memory.soft.audio.shape
    # the same seed and budget give the same soft labels
    again = train_teacher(lazy, replace(cfg, max_memory_mb=STREAM_MB))
    np.testing.assert_array_equal(streamed.soft.visual, again.soft.visual)


def test_the_per_clip_reserve_grows_with_the_class_count():
    from avili.train.stream import CLASS_BYTES, CLIP_BYTES, clip_bytes, pool_bytes

    assert clip_bytes(4) == clip_bytes(15) == CLIP_BYTES  # as measured at 15 classes
    assert clip_bytes(527) == CLIP_BYTES + CLASS_BYTES * 512  # AudioSet: ~5.5 KB per clip
    budget, clips = 700 << 20, 50_000  # below the quarter-of-budget cap either way
    assert pool_bytes(budget, clips, 309) < pool_bytes(budget, clips, 15)
    assert pool_bytes(budget, clips, 15) - pool_bytes(budget, clips, 309) == \
        CLASS_BYTES * (309 - 15) * clips // 2
