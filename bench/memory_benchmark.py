"""Peak memory of ``avili retrieve index`` on a dataset larger than its memory budget.

Writes an avili dataset of ``--clips`` clips with the default synthetic feature sizes
(128-d audio, 1024-d visual: 4.6 GB of float32 at 1M clips), streamed in chunks with
DatasetWriter, using the class names of a trained student (``--model``, e.g. the demo's).
Then runs ``retrieve index`` over it twice under ``/usr/bin/time -v``: with the default
budget (a quarter of RAM) and with ``--max-memory`` MB, where the features stay on disk
and are read in chunks. Reports the peak resident set size of each.

Run: python bench/memory_benchmark.py --model avili-demo/student.pt [--clips 1000000]
     [--max-memory 512] [--workdir /tmp/avili-mem]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from avili.data.schema import DatasetWriter
from avili.students import load_student


def write_big(path: Path, clips: int, class_names: list[str], seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with DatasetWriter(path, clips, 128, 1024, class_names, {"source": "memory benchmark"}) as w:
        for start in range(0, clips, 50_000):
            stop = min(clips, start + 50_000)
            k = stop - start
            w.write(slice(start, stop), rng.standard_normal((k, 128), dtype=np.float32),
                    rng.standard_normal((k, 1024), dtype=np.float32),
                    np.arange(start, stop) % len(class_names),
                    np.array(["train", "val", "test", "test"])[np.arange(start, stop) % 4],
                    np.array([f"m{i:07d}" for i in range(start, stop)]))


def peak_rss(cmd: list[str]) -> tuple[float, float]:
    """(peak RSS in GB, wall seconds) of ``cmd`` under /usr/bin/time -v."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(done.stderr[-2000:])
    kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return kb / 2**20, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--clips", type=int, default=1_000_000)
    parser.add_argument("--max-memory", type=float, default=512.0, help="MB")
    parser.add_argument("--workdir", default="/tmp/avili-mem")
    args = parser.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    data = work / "big.h5"
    if not data.exists():
        write_big(data, args.clips, load_student(args.model)[1]["class_names"])
    avili = str(Path(sys.executable).with_name("avili"))
    base = [avili, "retrieve", "index", "--model", args.model, "--data", str(data),
            "--overwrite"]
    rows = [("default budget (features in memory)", peak_rss(base + ["--out", str(work / "a.avx")])),
            (f"--max-memory {args.max_memory:g} MB (features read in chunks)",
             peak_rss(base + ["--out", str(work / "b.avx"), "--max-memory",
                              str(args.max_memory)]))]
    print(f"{args.clips} clips, {data.stat().st_size / 2**30:.2f} GB dataset file")
    for name, (gb, secs) in rows:
        print(f"{name}: peak RSS {gb:.2f} GB, {secs:.0f} s")


if __name__ == "__main__":
    main()
