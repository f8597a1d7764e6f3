"""Exact top-k search: avili's chunked torch search vs faiss IndexFlatIP, side by side.

For each gallery size, a child process builds a seeded gallery (N x 128 float32 unit
rows around 1,000 random centres) and 2,048 queries from the same centres, then times each method on the same queries (k = 10). Peak
working memory beyond the gallery is measured by resetting the kernel's peak-RSS counter
(/proc/self/clear_refs) right before the search and reading VmHWM after it, minus the
resident size before it. faiss holds its own copy of the gallery in the index, built
before the counter is reset, so that copy is not counted against it. Both sides use
every core. With --ivfpq, avili's IVF-PQ index (faiss, nlist 4096, m 16) is also timed
and its recall@10 against exact search reported (nprobe 64).

Run: python bench/retrieval_benchmark.py [--sizes 100000 1000000] [--ivfpq] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import time
from pathlib import Path

import numpy as np


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def _measured(fn, *args):
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM
    before = _status("VmRSS")
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start, (_status("VmHWM") - before) / 2**20


def _unit_clusters(rng, centres: np.ndarray, n: int) -> np.ndarray:
    """(n, 128) unit rows around random centres, like trained embeddings (which cluster
    by class); uniform random data would make any approximate index look useless."""
    x = centres[rng.integers(0, len(centres), n)] + 0.08 * rng.standard_normal(
        (n, 128), dtype=np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _child(n: int, method: str, queue) -> None:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((1000, 128), dtype=np.float32) / np.sqrt(128)
    g, q = _unit_clusters(rng, centres, n), _unit_clusters(rng, centres, 2048)
    if method == "avili":
        from avili.retrieval.search import exact_topk

        exact_topk(q[:8], g[:1000], 10)  # warm-up
        (_, idx), secs, mem = _measured(exact_topk, q, g, 10, 256)
    elif method == "faiss-flat":
        import faiss

        index = faiss.IndexFlatIP(128)
        index.add(g)
        (_, idx), secs, mem = _measured(index.search, q, 10)
    else:
        from avili.retrieval.search import build_ivfpq, ivfpq_topk

        start = time.perf_counter()
        blob = build_ivfpq(g, 4096, 16, 8, 0)
        build = time.perf_counter() - start
        (_, idx), secs, mem = _measured(ivfpq_topk, blob, q, 10, 64)
        queue.put({"build_s": round(build, 1)})
    queue.put({"idx": idx, "secs": secs, "mem_mb": mem})


def run(n: int, method: str) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(n, method, queue))
    proc.start()
    out = {}
    while "idx" not in out:
        out.update(queue.get())
    proc.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--ivfpq", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        results = {m: run(n, m) for m in ["avili", "faiss-flat"] + (["ivfpq"] * args.ivfpq)}
        exact = results["avili"]["idx"]
        for method, r in results.items():
            found = r.pop("idx")
            same = [len(set(a) & set(b)) / 10 for a, b in zip(found.tolist(), exact.tolist())]
            rows.append({"gallery": n, "method": method, "queries_per_s": round(2048 / r["secs"]),
                         "working_mem_mb": round(r["mem_mb"]), "recall@10_vs_avili_exact":
                         round(float(np.mean(same)), 4), **{k: v for k, v in r.items()
                                                           if k == "build_s"}})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"machine: {platform.machine()}, {mp.cpu_count()} cores, python "
          f"{platform.python_version()}; 2,048 queries, k = 10, 128-d")
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
