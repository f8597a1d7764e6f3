"""Peak memory of every stage on a dataset larger than its memory budget.

Generates the synthetic benchmark at ``--clips`` clips with ``avili extract --synthetic``
(128-d audio, 1024-d visual: 4.6 GB of float32 features at 1M clips; 1% val and 1% test,
so per-epoch validation and the final eval stay quick), then runs teach, infer-graph,
distill (with LIR), eval and retrieve index under ``/usr/bin/time -v``, each twice, side by
side: with ``--max-memory`` MB (features stream from disk) and with a budget large enough
to hold everything in memory (the reference, what avili did before streaming). Reports
the peak resident set size and wall time of each run, and each student's test mAP.

Run: python bench/memory_benchmark.py [--clips 1000000] [--max-memory 1024]
     [--epochs 1] [--workdir /tmp/avili-mem]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

IN_MEMORY_MB = 65536  # a budget every feature fits: the in-memory reference


def measured(cmd: list[str]) -> tuple[float, float, str]:
    """(peak RSS in GB, wall seconds, stdout) of ``cmd`` under /usr/bin/time -v."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return kb / 2**20, time.perf_counter() - start, done.stdout


def stages(avili: str, work: Path, data: Path, tag: str, budget: float, epochs: int
           ) -> list[tuple[str, list[str]]]:
    """(name, command) of each stage, writing into ``work`` with suffix ``tag``."""
    f = {k: str(work / f"{k}-{tag}{ext}") for k, ext in
         (("teacher", ".pt"), ("soft", ".npz"), ("graph", ".npz"), ("student", ".pt"),
          ("index", ".avx"))}
    mem = ["--max-memory", str(budget)]
    common = ["--data", str(data), "--quiet", "--overwrite", "--device", "cpu"]
    return [
        ("teach", [avili, "teach", *common, "--out", f["teacher"], "--soft-out", f["soft"],
                   "--epochs", str(epochs), *mem]),
        ("infer-graph", [avili, "infer-graph", f["soft"], "--out", f["graph"],
                         "--overwrite"]),
        ("distill", [avili, "distill", *common, "--soft", f["soft"], "--graph", f["graph"],
                     "--out", f["student"], "--epochs", str(epochs), *mem]),
        ("eval", [avili, "eval", "--model", f["student"], "--data", str(data), "--json",
                  *mem]),
        ("retrieve index", [avili, "retrieve", "index", "--model", f["student"], "--data",
                            str(data), "--out", f["index"], "--overwrite", *mem]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1_000_000)
    parser.add_argument("--max-memory", type=float, default=1024.0, help="MB")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--workdir", default="/tmp/avili-mem")
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    avili = str(Path(sys.executable).with_name("avili"))
    data = work / f"synthetic-{args.clips}.h5"
    gb, secs, _ = measured([avili, "extract", "--synthetic", "--clips", str(args.clips),
                            "--val-fraction", "0.01", "--test-fraction", "0.01", "--out",
                            str(data), "--overwrite", "--quiet"])
    print(f"{args.clips} clips, {data.stat().st_size / 2**30:.2f} GB dataset file; "
          f"extract --synthetic: peak RSS {gb:.2f} GB, {secs:.0f} s")
    print(f"| stage | --max-memory {args.max_memory:g} MB (streamed) | in memory (reference) |")
    print("|---|---|---|")
    runs = {tag: stages(avili, work, data, tag, budget, args.epochs)
            for tag, budget in (("stream", args.max_memory), ("memory", IN_MEMORY_MB))}
    maps = {}
    for (name, streamed), (_, reference) in zip(runs["stream"], runs["memory"]):
        cells = []
        for tag, cmd in (("stream", streamed), ("memory", reference)):
            gb, secs, out = measured(cmd)
            cells.append(f"{gb:.2f} GB peak, {secs:.0f} s")
            if name == "eval":
                maps[tag] = json.loads(out)["avg_mAP"]
        print(f"| {name} | {cells[0]} | {cells[1]} |", flush=True)
    print(f"test avg mAP: streamed {maps['stream']:.4f}, in memory {maps['memory']:.4f}")


if __name__ == "__main__":
    main()
