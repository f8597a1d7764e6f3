"""The CUDA readiness check that ``bench/gpu_check.sh`` runs (see BENCHMARKS.md, "CUDA path").

Checks, each recorded as pass, fail or skipped (with the reason) in ``OUT/results.json``,
its details and any traceback in ``OUT/logs/<check>.log``:

- ``parity``: the teacher and the student trained on the CPU and on CUDA from the same
  seed (dropout 0, so no generator differs): max abs diff of the soft labels and of the
  embeddings, and of one model's outputs computed on either device (inference);
- ``losses``: one epoch of every metric loss with graded LIR, and of every LIR form;
- ``amp``: one epoch with ``--amp bf16`` and ``fp16`` and ``--tf32``;
- ``nccl``: ``torchrun --nproc_per_node 1`` (and 2 with two GPUs) running ``avili
  distill --device cuda``, which joins an nccl group and gathers with gradients;
- ``streamed``: distill on lazy HDF5 rows in pools within a small ``--max-memory``;
- ``resume``: an interrupted and resumed student equals an uninterrupted one bit for bit
  (and two uninterrupted runs agree, the control that says whether CUDA is deterministic);
- ``timing``: seconds per epoch of the same student on the CPU and on CUDA.

``--dry-run`` runs it all on the CPU at a tiny size (the test suite does), skipping what
needs CUDA or nccl with the reason. Run: python bench/gpu_check.py [--dry-run] OUT
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from avili.config import (LIR_FORMS, METRIC_LOSSES, DistillConfig, SyntheticConfig,
                          TeachConfig)
from avili.data.synthetic import generate
from avili.progress import NullProgress

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = {"inference": 1e-4, "soft_labels": 2e-2, "embeddings": 5e-2}  # first guesses
SIZES = {"gpu": SyntheticConfig(clips=4000), "gpu_timing": SyntheticConfig(clips=20000),
         "dry": SyntheticConfig(classes=4, clips=240, audio_dim=16, visual_dim=24,
                                latent_dim=8)}


class Skip(Exception):
    """A check that cannot run here; its message is the recorded reason."""


class StopAfter(NullProgress):
    """Interrupts training (as Ctrl-C would) after ``epochs`` epochs."""

    def __init__(self, epochs: int) -> None:
        self.left = epochs

    def advance(self, steps: int = 1, status: str = "") -> None:
        self.left -= steps
        if self.left <= 0:
            raise KeyboardInterrupt


class Bench:
    """The data and settings every check shares."""

    def __init__(self, out: Path, dry: bool) -> None:
        self.out, self.dry = out, dry
        self.cuda = torch.cuda.is_available() and not dry
        self.device = "cuda" if self.cuda else "cpu"
        self.ds, self.graph = generate(SIZES["dry" if dry else "gpu"])
        small = dict(hidden=32, batch_size=32) if dry else {}
        self.teach = TeachConfig(epochs=2 if dry else 3, dropout=0.0, **small)
        self.distill = DistillConfig(epochs=2 if dry else 3, dropout=0.0, lir_weight=0.0,
                                     embed_dim=16 if dry else 128, **small)
        self.soft = None  # the CPU teacher's soft labels, for LIR (set by ``parity``)

    def h5(self) -> Path:
        """The dataset as a file, for the CLI and lazy reading."""
        from avili.data.schema import write_dataset

        path = self.out / "data.h5"
        if not path.is_file():
            write_dataset(self.ds, path)
        return path

    def soft_labels(self) -> Any:
        if self.soft is None:
            from avili.train.teach import train_teacher

            self.soft = train_teacher(self.ds, replace(self.teach, device="cpu")).soft
        return self.soft


def free_port() -> int:
    """A TCP port that was free a moment ago."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def within(values: dict[str, float]) -> dict[str, Any]:
    """``values`` (name -> max abs diff) with pass/fail against :data:`TOLERANCE`."""
    ok = all(v <= TOLERANCE[k.split(":")[0]] for k, v in values.items())
    return {"status": "pass" if ok else "fail", "max_abs_diff": values,
            "tolerance": TOLERANCE}


def check_parity(b: Bench) -> dict[str, Any]:
    from avili.eval.evaluate import embed
    from avili.train.distill import train_student
    from avili.train.teach import train_teacher

    if not b.cuda:
        b.soft_labels()
        raise Skip("no CUDA device (dry run: the CPU runs were made, nothing to compare)")
    teachers = {d: train_teacher(b.ds, replace(b.teach, device=d)) for d in ("cpu", "cuda")}
    b.soft = teachers["cpu"].soft
    students = {d: train_student(b.ds, replace(b.distill, device=d)).model
                for d in ("cpu", "cuda")}
    cpu_emb = {d: embed(students[d], b.ds, "cpu") for d in students}
    same_model = embed(students["cpu"], b.ds, "cuda")
    return within({
        "soft_labels:audio": max_diff(teachers["cpu"].soft.audio, teachers["cuda"].soft.audio),
        "soft_labels:visual": max_diff(teachers["cpu"].soft.visual,
                                       teachers["cuda"].soft.visual),
        "embeddings:audio": max_diff(cpu_emb["cpu"][0], cpu_emb["cuda"][0]),
        "embeddings:visual": max_diff(cpu_emb["cpu"][1], cpu_emb["cuda"][1]),
        "inference:audio": max_diff(same_model[0], cpu_emb["cpu"][0]),
        "inference:visual": max_diff(same_model[1], cpu_emb["cpu"][1])})


def one_epoch(b: Bench, **changes: Any) -> float:
    """The val avg mAP after one epoch of the student with ``changes``; must be finite."""
    from avili.train.distill import train_student

    cfg = replace(b.distill, epochs=1, device=b.device, **changes)
    lir = cfg.lir_weight > 0
    result = train_student(b.ds, cfg, b.soft_labels() if lir else None,
                           b.graph if lir else None)
    losses = [v for h in result.fit.history for k, v in h.items() if k not in ("lr",)]
    if not np.all(np.isfinite(losses)):
        raise AssertionError(f"non-finite history with {changes}: {result.fit.history}")
    return round(result.fit.best_score, 4)


def check_losses(b: Bench) -> dict[str, Any]:
    runs = {f"{loss}+graded": one_epoch(b, loss=loss, lir_weight=1.0)
            for loss in METRIC_LOSSES}
    runs.update({f"supcon+{form}": one_epoch(b, lir=form, lir_weight=1.0)
                 for form in LIR_FORMS})
    return {"status": "pass", "device": b.device, "val_avg_mAP": runs}


def check_amp(b: Bench) -> dict[str, Any]:
    from avili.errors import AviliError

    if not b.cuda:
        try:
            one_epoch(b, amp="bf16")
        except AviliError as exc:
            raise Skip(f"no CUDA device; on the CPU --amp is refused: {exc}") from None
        raise AssertionError("--amp bf16 was not refused on the CPU")
    return {"status": "pass", "val_avg_mAP": {
        mode: one_epoch(b, amp=mode, tf32=True) for mode in ("bf16", "fp16")}}


def torchrun(b: Bench, procs: int, device: str) -> dict[str, Any]:
    """``avili distill`` under ``torchrun --nproc_per_node procs``; its log is kept."""
    out = b.out / f"torchrun_{procs}_{device}"
    cmd = [str(Path(sys.executable).with_name("torchrun")), "--nproc_per_node", str(procs),
           "--master_port", str(free_port()), "-m", "avili", "distill", "--data",
           str(b.h5()), "--out", str(out / "student.pt"), "--lir-weight", "0", "--epochs",
           "2", "--batch-size", "64", "--device", device, "--json", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    (b.out / "logs" / f"{out.name}.log").write_text(
        " ".join(cmd) + f"\nexit {done.returncode}\n{done.stdout}\n{done.stderr}")
    if done.returncode != 0:
        raise AssertionError(f"torchrun {procs} x {device} exited {done.returncode}: "
                             f"{done.stderr.strip()[-300:]}")
    summary = json.loads(done.stdout)
    return {"seconds": round(time.perf_counter() - started, 1),
            "best_val_mAP": summary.get("best_val_mAP")}


def check_nccl(b: Bench) -> dict[str, Any]:
    if not b.cuda:
        gloo = torchrun(b, 1, "cpu")  # the one-process group path, on gloo
        raise Skip(f"no CUDA device, so no nccl; a 1-process gloo torchrun ran: {gloo}")
    runs = {"1": torchrun(b, 1, "cuda")}
    if torch.cuda.device_count() >= 2:
        runs["2"] = torchrun(b, 2, "cuda")
    else:
        runs["2"] = "skipped: one GPU"
    return {"status": "pass", "backend": "nccl", "runs": runs}


def check_streamed(b: Bench) -> dict[str, Any]:
    from avili.data.lazy import Rows, open_dataset
    from avili.train import stream
    from avili.train.distill import train_student

    lazy = open_dataset(b.h5(), max_memory=0, events=False)
    assert isinstance(lazy.audio, Rows)
    if b.dry:  # tiny data: no runtime reserve, a budget below the features
        stream.RUNTIME_BYTES, stream.CLIP_BYTES = 0, 0
    mb = 0.1 if b.dry else 360.0  # 360 MB: pools of ~900 rows
    result = train_student(lazy, replace(b.distill, max_memory_mb=mb, device=b.device))
    if not result.training.get("streamed"):
        raise AssertionError(f"training did not stream: {result.training}")
    return {"status": "pass", "max_memory_mb": mb, "training": result.training,
            "val_avg_mAP": round(result.fit.best_score, 4)}


def check_resume(b: Bench) -> dict[str, Any]:
    from avili.train.distill import train_student

    cfg = replace(b.distill, epochs=4, dropout=0.2, device=b.device, lir_weight=1.0)
    args = (b.ds, cfg, b.soft_labels(), b.graph)
    runs = [train_student(*args, state_file=b.out / f"whole{i}.state.pt").model
            for i in (0, 1)]
    state = b.out / "cut.state.pt"
    try:
        train_student(*args, progress=StopAfter(2), state_file=state)
    except KeyboardInterrupt:
        pass
    resumed = train_student(*args, state_file=state, resume=True).model
    same = lambda x, y: all(torch.equal(v, y.state_dict()[k])  # noqa: E731
                            for k, v in x.state_dict().items())
    control, identical = same(runs[0], runs[1]), same(runs[0], resumed)
    return {"status": "pass" if identical else "fail", "device": b.device,
            "resumed_equals_uninterrupted": identical,
            "two_uninterrupted_runs_equal": control}


def check_timing(b: Bench) -> dict[str, Any]:
    from avili.train.distill import train_student

    ds = b.ds if b.dry else generate(SIZES["gpu_timing"])[0]
    cfg = replace(b.distill, epochs=3, dropout=0.2)
    devices = ("cpu", "cuda") if b.cuda else ("cpu",)
    per_epoch = {d: [round(h["seconds"], 3) for h in
                     train_student(ds, replace(cfg, device=d)).fit.history] for d in devices}
    out = {"status": "pass", "clips": len(ds), "seconds_per_epoch": per_epoch}
    if not b.cuda:
        out["cuda"] = "skipped: no CUDA device"
    return out


CHECKS: dict[str, Callable[[Bench], dict[str, Any]]] = {
    "parity": check_parity, "losses": check_losses, "amp": check_amp, "nccl": check_nccl,
    "streamed": check_streamed, "resume": check_resume, "timing": check_timing}


def run_check(b: Bench, name: str) -> dict[str, Any]:
    """One check, timed, its outcome (or the traceback) written to its log."""
    started = time.perf_counter()
    try:
        result = CHECKS[name](b)
    except Skip as exc:
        result = {"status": "skipped", "reason": str(exc)}
    except Exception as exc:  # a failed check must not stop the others
        result = {"status": "fail", "error": f"{type(exc).__name__}: {exc}"[:500]}
        (b.out / "logs" / f"{name}.traceback").write_text(traceback.format_exc())
    result["seconds"] = round(time.perf_counter() - started, 1)
    (b.out / "logs" / f"{name}.log").write_text(json.dumps(result, indent=2, default=str))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder for results.json and logs/")
    parser.add_argument("--dry-run", action="store_true", help="CPU only, tiny data")
    parser.add_argument("--only", nargs="*", choices=list(CHECKS), help="these checks")
    args = parser.parse_args(argv)
    (args.out / "logs").mkdir(parents=True, exist_ok=True)
    b = Bench(args.out, args.dry_run)
    torch.manual_seed(0)
    results = {"mode": "dry-run" if b.dry else "gpu", "torch": torch.__version__,
               "gpu": torch.cuda.get_device_name(0) if b.cuda else None,
               "gpus": torch.cuda.device_count() if b.cuda else 0, "checks": {}}
    for name in args.only or CHECKS:
        results["checks"][name] = run_check(b, name)
        print(f"{name}: {results['checks'][name]['status']}", file=sys.stderr, flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    failed = [n for n, r in results["checks"].items() if r["status"] == "fail"]
    print(f"gpu_check ({results['mode']}): {len(results['checks']) - len(failed)} of "
          f"{len(results['checks'])} checks did not fail; results in {args.out}/results.json")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
