"""Exact mAP: avili's chunked metrics vs a per-query scikit-learn loop, side by side.

Both run in this process on the same embeddings (queries x gallery, 128-d, L2-normalized,
``--classes`` classes with label relevance) and score with the same float32 dot products,
chunk by chunk. The scikit-learn side calls ``average_precision_score`` once per query,
which is how most retrieval code computes mAP. Reported: wall seconds of each, their
ratio, the largest per-query AP difference, and the peak memory traced by tracemalloc
(numpy buffers) while avili ran. avili also computes mAP@R, P@k, R@k, RR and the
cumulative variant in the same pass.

Run: python bench/eval_benchmark.py [--queries 20000] [--gallery 20000] [--chunk 0]
     [--workers 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=20000)
    parser.add_argument("--gallery", type=int, default=20000)
    parser.add_argument("--classes", type=int, default=28)
    parser.add_argument("--chunk", type=int, default=0, help="0: avili's default")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    q, ql = embeddings(args.queries, args.classes, 0)
    g, gl = embeddings(args.gallery, args.classes, 1)
    tracemalloc.start()
    start = time.perf_counter()
    ours = chunked_metrics(q, g, lambda i, j: ql[i:j, None] == gl[None], args.chunk,
                           args.workers)
    avili_s = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    start = time.perf_counter()
    ref = sklearn_loop(q, g, ql, gl, 1024)
    sk_s = time.perf_counter() - start
    row = {"queries": args.queries, "gallery": args.gallery, "classes": args.classes,
           "avili_s": round(avili_s, 2), "sklearn_s": round(sk_s, 2),
           "speedup": round(sk_s / avili_s, 1), "mAP": round(float(np.nanmean(ours["AP"])), 6),
           "max_abs_diff": float(np.nanmax(np.abs(ours["AP"] - ref))),
           "avili_peak_traced_MB": round(peak / 2**20, 1), "workers": args.workers}
    if args.json:
        print(json.dumps(row, indent=2))
        return
    print(f"machine: {platform.machine()}, python {platform.python_version()}, "
          f"numpy {np.__version__}; wall seconds")
    for key, value in row.items():
        print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
