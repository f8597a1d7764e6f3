"""HDF5 writes through avili's disk guard (avili/data/h5write.py) vs plain h5py.

The guard routes every byte HDF5 writes through a Python file object, so that a full
disk becomes one clean error instead of a crash. This measures what that costs: the
same chunked float32 features written both ways, best of three, in one run.

    python bench/h5_guard.py [--rows 200000] [--dim 1152]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

from avili.data.h5write import new_h5
from avili.data.schema import feature_chunks


def write(f, x: np.ndarray, block: int = 4096) -> None:
    d = f.create_dataset("audio", shape=x.shape, dtype=np.float32,
                         chunks=feature_chunks(x.shape))
    for start in range(0, x.shape[0], block):
        d[start:start + block] = x[start:start + block]


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=1152)  # AVE-like: 128 audio + 1024 visual
    args = parser.parse_args()
    x = np.random.default_rng(0).normal(size=(args.rows, args.dim)).astype(np.float32)
    mb = x.nbytes / 2**20
    with tempfile.TemporaryDirectory(dir=".") as folder:
        path = Path(folder) / "x.h5"

        def plain() -> None:
            with h5py.File(path, "w") as f:
                write(f, x)

        def guarded() -> None:
            with new_h5(path, path) as f:
                write(f, x)

        results = {"plain h5py": best_of(plain), "avili disk guard": best_of(guarded)}
    print(f"{args.rows} rows x {args.dim} float32 = {mb:.0f} MB, best of 3")
    print("| writer | seconds | MB/s |\n|---|---|---|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds:.2f} | {mb / seconds:.0f} |")


if __name__ == "__main__":
    main()
