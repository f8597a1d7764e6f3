"""bench/gpu_check.sh --dry-run: the CUDA readiness check runs end to end on the CPU,
skipping (with a reason) only what needs CUDA or nccl."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_check_dry_run_writes_results_and_skips_cuda_parts(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(["bash", str(ROOT / "bench/gpu_check.sh"), "--dry-run",
                           str(tmp_path / "out")], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "out/results.json").read_text())
    checks = results["checks"]
    assert results["mode"] == "dry-run" and set(checks) == {
        "parity", "losses", "amp", "nccl", "streamed", "resume", "timing"}
    for name in ("parity", "amp", "nccl"):
        assert checks[name]["status"] == "skipped" and checks[name]["reason"], name
    for name in ("losses", "streamed", "resume", "timing"):
        assert checks[name]["status"] == "pass", (name, checks[name])
    assert checks["resume"]["resumed_equals_uninterrupted"]
    assert checks["streamed"]["training"]["streamed"]
    assert len(checks["losses"]["val_avg_mAP"]) == 9
    assert (tmp_path / "out/logs/resume.log").is_file()
