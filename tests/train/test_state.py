"""Resume after an interruption: the same final weights as an uninterrupted run."""

from dataclasses import replace

import pytest

from avili.config import DistillConfig, TeachConfig
from avili.errors import AviliError
from avili.train.distill import train_student
from avili.train.teach import train_teacher
from tests.helpers import StopAfter, same_weights


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["triplet", "proxy-triplet"])
def test_interrupted_student_resumes_to_the_same_weights(tiny, tmp_path, loss):
    ds = tiny[0]
    cfg = DistillConfig(loss=loss, epochs=4, hidden=32, embed_dim=16, lir_weight=0,
                        batch_size=32, device="cpu")
    whole = train_student(ds, cfg, state_file=tmp_path / "a.state.pt").model
    state = tmp_path / "b.state.pt"
    with pytest.raises(KeyboardInterrupt):
        train_student(ds, cfg, progress=StopAfter(2), state_file=state)
    assert state.is_file()
    resumed = train_student(ds, cfg, state_file=state, resume=True)
    same_weights(whole, resumed.model)
    assert [h["epoch"] for h in resumed.fit.history] == [0, 1, 2, 3]
    with pytest.raises(AviliError, match=r"differing fields: lr \(0.001 -> 0.01\)"):
        train_student(ds, replace(cfg, lr=0.01), state_file=state, resume=True)


@pytest.mark.slow
def test_interrupted_teacher_resumes_to_the_same_weights(tiny, tmp_path):
    ds = tiny[0]
    cfg = TeachConfig(epochs=3, hidden=32, batch_size=32, device="cpu")
    whole = train_teacher(ds, cfg, state_file=tmp_path / "a.state.pt")
    state = tmp_path / "b.state.pt"
    with pytest.raises(KeyboardInterrupt):
        train_teacher(ds, cfg, progress=StopAfter(1), state_file=state)
    resumed = train_teacher(ds, cfg, state_file=state, resume=True)
    same_weights(whole.model, resumed.model)
    assert (whole.soft.audio == resumed.soft.audio).all()


def test_resume_without_state_is_a_clear_error(tiny, tmp_path):
    with pytest.raises(AviliError, match="no training state to resume from"):
        train_student(tiny[0], DistillConfig(epochs=1, lir_weight=0, device="cpu"),
                      state_file=tmp_path / "none.state.pt", resume=True)
