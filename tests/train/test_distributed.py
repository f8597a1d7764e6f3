"""torchrun with two CPU processes (gloo): the run completes, both ranks end with the same
weights, and the result matches one process with the same global batch."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.helpers import DDP_CFG, free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_gloo_ranks_match_one_process(tmp_path, tiny):
    from avili.eval.evaluate import evaluate_split
    from avili.train.distill import train_student

    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([str(torchrun), "--nproc_per_node", "2", "--master_port",
                           str(free_port()),
                           str(ROOT / "tests/train/ddp_worker.py"), str(tmp_path / "w")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    ranks = [torch.load(tmp_path / f"w.rank{r}.pt", weights_only=True) for r in (0, 1)]
    for key, value in ranks[0]["state"].items():
        assert torch.equal(value, ranks[1]["state"][key]), key  # DDP kept them in sync
    single = train_student(tiny[0], DDP_CFG).model
    for key, value in single.state_dict().items():
        torch.testing.assert_close(ranks[0]["state"][key], value, atol=1e-4, rtol=1e-4)
    single_map = evaluate_split(single, tiny[0], "test")["avg_mAP"]
    assert abs(ranks[0]["map"] - single_map) < 0.01
