"""How long ``avili --help`` and one Typer completion request take, against the same with
the heavy libraries imported eagerly (what a CLI that imports them at module top pays).

Each case is a fresh process, timed from start to exit, ``--repeats`` times; the table
gives the median wall clock (and its min-max) and the median CPU time (user + system) of
the process, which a busy shared machine disturbs less than the wall clock. Cases:

  python startup     ``python -c pass``: the floor under every row
  --help             ``avili --help``
  completion         ``_AVILI_COMPLETE=complete_bash COMP_WORDS='avili te' COMP_CWORD=1
                     avili``: what Typer's dynamic completion runs on every Tab press

The eager rows run the same after ``import torch, sklearn, causallearn, h5py``. The
static scripts in completions/ start no process at all, so they have no row.

Run: python bench/cli_speed.py [--repeats 15] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

EAGER = "import torch, sklearn, causallearn, h5py\n"
CLI = "from avili.cli import app\napp(prog_name='avili')\n"
COMPLETE = {"_AVILI_COMPLETE": "complete_bash", "COMP_WORDS": "avili te", "COMP_CWORD": "1"}
CASES = {  # name: (python code, argv, extra environment, expected stdout fragment)
    "python startup": ("pass", [], {}, ""),
    "--help": (CLI, ["--help"], {}, "infer-graph"),
    "completion": (CLI, [], COMPLETE, "teach"),
    "--help, heavy imports eager": (EAGER + CLI, ["--help"], {}, "infer-graph"),
    "completion, heavy imports eager": (EAGER + CLI, [], COMPLETE, "teach"),
}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_once(code: str, argv: list[str], env: dict[str, str], expect: str
              ) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh process running ``code`` with ``argv``."""
    cpu, start = _cpu(), time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                         env={**os.environ, **env, "COLUMNS": "100"})
    wall = time.perf_counter() - start
    if out.returncode != 0 or expect not in out.stdout:
        raise SystemExit(f"unexpected result for {argv} {env}: {out.stdout}{out.stderr}")
    return wall, _cpu() - cpu


def measure(repeats: int) -> dict[str, list[tuple[float, float]]]:
    """Interleaved rounds, so a busy spell on the machine hits every case alike."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in CASES}
    for _ in range(repeats):
        for name, case in CASES.items():
            times[name].append(time_once(*case))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", help="also write the raw times here")
    args = parser.parse_args()
    times = measure(args.repeats)
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};"
          f" {args.repeats} runs each, load average {os.getloadavg()[0]:.2f}\n")
    print("| case | median wall s | min-max wall s | median CPU s |\n|---|---|---|---|")
    for name, runs in times.items():
        wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
        print(f"| {name} | {statistics.median(wall):.3f} | {min(wall):.3f}-{max(wall):.3f} | "
              f"{statistics.median(cpu):.3f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(times, f, indent=2)


if __name__ == "__main__":
    main()
