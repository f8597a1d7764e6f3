"""The CUDA-only branches, checked on a CPU machine by pretending CUDA is there (or not):
device resolution, GPUs per rank, --amp/--tf32, and the CUDA random states of a resume.
None of this proves the CUDA path works; bench/gpu_check.sh does that on a GPU."""

import json
import os

import numpy as np
import pytest
import torch

from avili.config import DistillConfig, TeachConfig
from avili.errors import AviliError
from avili.models import resolve_device
from avili.train import distributed, state
from avili.train.loop import FitResult, seed_everything
from avili.train.precision import create_precision
from tests.helpers import fails, free_port


@pytest.fixture()
def cuda(monkeypatch):
    """torch.cuda reports ``count`` devices (is_available follows); returns a setter."""
    def set_count(count: int) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    return set_count


@pytest.mark.parametrize("count, auto", [(0, "cpu"), (1, "cuda"), (2, "cuda")])
def test_resolve_device_follows_cuda_availability(cuda, count, auto):
    cuda(count)
    assert resolve_device("auto") == torch.device(auto)
    assert resolve_device("cpu") == torch.device("cpu")
    if count:
        assert resolve_device("cuda") == torch.device("cuda")
    else:
        with pytest.raises(AviliError, match="no CUDA device is available"):
            resolve_device("cuda")


def test_more_ranks_than_gpus_is_one_line(cuda, monkeypatch):
    cuda(2)
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert distributed.rank_device() == torch.device("cuda", 1)
    monkeypatch.setenv("LOCAL_RANK", "2")
    with pytest.raises(AviliError) as err:
        distributed.rank_device()
    assert "LOCAL_RANK 2" in str(err.value) and "2 CUDA devices" in str(err.value)
    assert "\n" not in str(err.value)


def test_one_process_torchrun_joins_a_group_and_gathers_with_gradients(monkeypatch):
    import torch.distributed as dist

    for key, value in {"WORLD_SIZE": "1", "RANK": "0", "LOCAL_RANK": "0",
                       "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port())}.items():
        monkeypatch.setenv(key, value)
    world = distributed.setup(torch.device("cpu"))
    try:
        assert dist.is_initialized() and world.distributed and world.size == 1
        x = torch.arange(6.0).reshape(3, 2).requires_grad_()
        gathered = world.gather(x)
        (gathered * 2).sum().backward()
        assert torch.equal(gathered.detach(), x.detach())
        assert torch.equal(x.grad, torch.full_like(x, 2.0))
        model = distributed.wrap(torch.nn.Linear(2, 1), world)
        assert type(model).__name__ == "DistributedDataParallel"
    finally:
        dist.destroy_process_group()


def test_no_torchrun_is_a_plain_world(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    world = distributed.setup(torch.device("cpu"))
    assert not world.distributed and distributed.wrap(torch.nn.Linear(2, 1), world).__class__ \
        is torch.nn.Linear


def test_amp_is_refused_on_the_cpu_and_tf32_is_a_no_op(tiny):
    from avili.train.teach import train_teacher

    with pytest.raises(AviliError, match="--amp bf16 needs CUDA"):
        create_precision("bf16", False, torch.device("cpu"))
    with pytest.raises(AviliError, match="--amp fp16 needs CUDA"):
        train_teacher(tiny[0], TeachConfig(epochs=1, hidden=8, device="cpu", amp="fp16"))
    with pytest.raises(AviliError, match="unknown --amp 'fp8'"):
        DistillConfig(amp="fp8")
    before = torch.backends.cuda.matmul.allow_tf32
    p = create_precision("off", True, torch.device("cpu"))
    with p.matmuls():
        assert torch.backends.cuda.matmul.allow_tf32 == before
    assert p.describe() == {"amp": "off", "tf32": False}


def test_cli_refuses_amp_on_the_cpu_in_one_line(tiny_h5, tmp_path):
    fails(["teach", "--data", tiny_h5, "--out", tmp_path / "t.pt", "--device", "cpu",
           "--amp", "bf16", "--epochs", "1"], "--amp bf16 needs CUDA")


def test_precision_on_a_pretend_cuda_device_sets_and_restores_tf32():
    p = create_precision("bf16", True, torch.device("cuda"))
    before = torch.backends.cuda.matmul.allow_tf32
    with p.matmuls():
        assert torch.backends.cuda.matmul.allow_tf32
    assert torch.backends.cuda.matmul.allow_tf32 == before
    assert p.describe() == {"amp": "bf16", "tf32": True} and p.scaler is None


def _save(path, cuda_used, config):
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    generator = seed_everything(0)
    best = FitResult(model.state_dict(), 0, 1.0)
    r = state.Resumable(path, config, cuda=cuda_used)
    state.save_state(r, 0, model, optimizer, generator, best, [{"epoch": 0}])
    return model, optimizer, generator


def test_cuda_random_states_are_saved_and_restored(cuda, monkeypatch, tmp_path):
    cuda(2)
    saved = [torch.arange(4, dtype=torch.uint8), torch.arange(4, 8, dtype=torch.uint8)]
    restored = []
    monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: saved)
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", restored.append)
    config = {"epochs": 2, **state.ADDED_FIELDS}
    model, optimizer, generator = _save(tmp_path / "s.pt", True, config)
    r = state.Resumable(tmp_path / "s.pt", config, resume=True, cuda=True)
    assert state.load_state(r, model, optimizer, generator)[0] == 1
    assert len(restored) == 1 and all(torch.equal(a, b) for a, b in zip(restored[0], saved))
    cuda(1)
    with pytest.raises(AviliError, match="random states of 2 CUDA devices"):
        state.load_state(r, model, optimizer, generator)


def test_a_state_from_before_cuda_states_and_amp_still_resumes(cuda, monkeypatch, tmp_path):
    cuda(1)
    restored = []
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", restored.append)
    model, optimizer, generator = _save(tmp_path / "old.pt", False, {"epochs": 2})
    current = {"epochs": 2, "amp": "off", "tf32": False}
    r = state.Resumable(tmp_path / "old.pt", current, resume=True, cuda=True)
    assert state.load_state(r, model, optimizer, generator)[0] == 1
    assert restored == []  # nothing saved: the CUDA generators stay as seeded
    with pytest.raises(AviliError, match=r"amp \('off' -> 'bf16'\)"):
        state.load_state(state.Resumable(r.path, {**current, "amp": "bf16"}, resume=True),
                         model, optimizer, generator)


def test_validation_on_device_tensors_matches_arrays(tiny):
    from avili.eval.evaluate import evaluate_split
    from avili.models import build_student
    from avili.train.stream import features_on

    ds = tiny[0]
    model = build_student(ds.audio.shape[1], ds.visual.shape[1], 8, 4, 0.0)
    val = ds.subset("val")
    on = features_on(val, torch.device("cpu"))
    assert isinstance(on.audio, torch.Tensor)
    assert evaluate_split(model, on, "val") == evaluate_split(model, val, "val")


def test_epoch_terms_are_summed_on_the_device_once():
    from avili.train.loop import _train_epoch

    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    values = iter([1.0, 2.0, 4.0])

    def step(idx):
        v = torch.tensor(next(values), requires_grad=True) + 0 * model.weight.sum()
        return {"total": v, "part": v.detach() * 2}

    batches = [torch.arange(4), torch.arange(4), torch.arange(4)]
    assert _train_epoch(model, step, batches, optimizer) == {"total": 7 / 3, "part": 14 / 3}


def test_provenance_records_precision(tiny):
    from avili.train.distill import train_student

    cfg = DistillConfig(epochs=1, hidden=8, embed_dim=4, lir_weight=0, batch_size=32,
                        device="cpu", tf32=True)
    result = train_student(tiny[0], cfg)
    assert result.training["amp"] == "off" and result.training["tf32"] is False
    assert json.loads(json.dumps(result.training))["device"] == "cpu"
    assert os.environ.get("WORLD_SIZE") is None and np.isfinite(result.fit.best_score)
