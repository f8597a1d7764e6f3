"""Exact mAP: avili's chunked metrics vs a per-query scikit-learn loop and the np.sort floor.

All three run in this process on the same embeddings (queries x gallery, 128-d,
L2-normalized, ``--classes`` classes with label relevance) and the same float32 dot
products. The scikit-learn side scores 1,024 queries at a time and calls
``average_precision_score`` once per query, which is how most retrieval code computes mAP.
The floor is the score matrix computed in one matmul and then sorted along each query by
one ``np.sort`` call (one thread), and again by ``np.sort`` over the matrix split between
``--workers`` threads; any exact metric that sorts every query pays at least that.
avili and the floor run ``--repeats`` interleaved rounds (the machine is shared; medians and
bests are reported), scikit-learn once. Reported: wall seconds of each, the ratios, the
largest per-query AP difference, the peak memory traced by tracemalloc (numpy buffers)
while avili ran, the load average, and process CPU seconds (all threads), which a shared
machine disturbs less than wall seconds.
avili also computes mAP@R, P@k, R@k, RR and the cumulative variant in the same pass.

Run: python bench/eval_benchmark.py [--queries 20000] [--gallery 20000] [--chunk 0]
     [--workers 2] [--repeats 3] [--no-sklearn] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.metrics import average_precision_score

from avili.eval.metrics import chunked_metrics


def embeddings(n: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 128) float32 unit vectors around class centres, and (n,) labels."""
    centres = np.random.default_rng(12345).standard_normal((classes, 128))  # shared
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    x = (centres[labels] * 0.5 + rng.standard_normal((n, 128))).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True), labels


def sklearn_loop(q: np.ndarray, g: np.ndarray, ql: np.ndarray, gl: np.ndarray,
                 chunk: int) -> np.ndarray:
    ap = np.full(q.shape[0], np.nan)
    for i in range(0, q.shape[0], chunk):
        scores = q[i:i + chunk] @ g.T
        for r, row in enumerate(scores):
            rel = ql[i + r] == gl
            if rel.any():
                ap[i + r] = average_precision_score(rel, row)
    return ap


def sort_floor(q: np.ndarray, g: np.ndarray, workers: int) -> dict[str, float]:
    """Wall seconds of the (Q, G) float32 score matrix in one matmul, one np.sort of it
    along each query, and the same sort split row-wise between ``workers`` threads."""
    start = time.perf_counter()
    scores = q @ g.T
    out = {"matmul_s": time.perf_counter() - start}
    start = time.perf_counter()
    np.sort(scores, axis=1)
    out["np_sort_s"] = time.perf_counter() - start
    edges = np.linspace(0, scores.shape[0], max(1, workers) + 1).astype(int)
    start = time.perf_counter()
    with ThreadPoolExecutor(max(1, workers)) as pool:
        list(pool.map(lambda i: np.sort(scores[edges[i]:edges[i + 1]], axis=1),
                      range(max(1, workers))))
    out["np_sort_threads_s"] = time.perf_counter() - start
    return out


def timed_avili(q, g, ql, gl, args) -> tuple[dict, float, float, int]:
    """avili's metrics, their wall and process CPU seconds (all threads) and the peak
    traced numpy memory in bytes."""
    tracemalloc.start()
    start, cpu = time.perf_counter(), time.process_time()
    ours = chunked_metrics(q, g, lambda i, j: ql[i:j, None] == gl[None], args.chunk,
                           args.workers)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return ours, seconds, cpu, peak


def measure(args: argparse.Namespace) -> dict:
    """``--repeats`` interleaved rounds of avili and the floor (medians and bests reported)
    and one scikit-learn loop after the first round (unless --no-sklearn)."""
    q, ql = embeddings(args.queries, args.classes, 0)
    g, gl = embeddings(args.gallery, args.classes, 1)
    row = {"queries": args.queries, "gallery": args.gallery, "classes": args.classes,
           "workers": args.workers, "repeats": args.repeats}
    runs: dict[str, list[float]] = {}
    for rep in range(args.repeats):
        ours, seconds, cpu, peak = timed_avili(q, g, ql, gl, args)
        runs.setdefault("avili_s", []).append(seconds)
        runs.setdefault("avili_cpu_s", []).append(cpu)
        if rep == 0 and not args.no_sklearn:
            start, cpu = time.perf_counter(), time.process_time()
            ref = sklearn_loop(q, g, ql, gl, 1024)
            row["sklearn_s"] = round(time.perf_counter() - start, 2)
            row["sklearn_cpu_s"] = round(time.process_time() - cpu, 2)
            row["max_abs_diff"] = float(np.nanmax(np.abs(ours["AP"] - ref)))
        for key, value in sort_floor(q, g, args.workers).items():
            runs.setdefault(key, []).append(value)
    med = {key: float(np.median(v)) for key, v in runs.items()}
    row.update({f"{key} median, best": (round(med[key], 2), round(min(v), 2))
                for key, v in runs.items()})
    if "sklearn_s" in row:
        row["sklearn / avili (median)"] = round(row["sklearn_s"] / med["avili_s"], 1)
        row["sklearn / avili, CPU s"] = round(row["sklearn_cpu_s"] / med["avili_cpu_s"], 1)
    for key in ("np_sort_s", "np_sort_threads_s"):
        row[f"avili / {key[:-2]} (median, best)"] = (
            round(med["avili_s"] / med[key], 2), round(min(runs["avili_s"]) / min(runs[key]), 2))
    row.update({"mAP": round(float(np.nanmean(ours["AP"])), 6),
                "avili_peak_traced_MB": round(peak / 2**20, 1),
                "loadavg_1min_end": os.getloadavg()[0]})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=20000)
    parser.add_argument("--gallery", type=int, default=20000)
    parser.add_argument("--classes", type=int, default=28)
    parser.add_argument("--chunk", type=int, default=0, help="0: avili's default")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="rounds of avili and floor")
    parser.add_argument("--no-sklearn", action="store_true", help="skip the slow loop")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    row = {"loadavg_1min_start": load, **measure(args)}
    if args.json:
        print(json.dumps(row, indent=2))
        return
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python "
          f"{platform.python_version()}, numpy {np.__version__}; wall seconds")
    for key, value in row.items():
        print(f"{key:>38}: {value}")

if __name__ == "__main__":
    main()
