"""Retrieval: avili's exact and approximate search vs faiss IndexFlatIP, side by side.

For each gallery size, a child process per method builds a seeded gallery (N x 128
float32 unit rows around 1,000 random centres) and 2,048 queries from the same centres,
then times the method on the same queries (k = 10). Methods: "avili" (exact_topk as the
library runs it: faiss's flat kernel where installed), "avili-torch" (exact_topk's
torch path, as without faiss; --torch), "faiss-flat" (IndexFlatIP) and, with --ivfpq,
"avili-approx" (build_ivfpq + ivfpq_topk with the IndexConfig/SearchConfig defaults:
fast-scan IVF-PQ, exact re-ranking of k * k_factor candidates; the timing excludes
reading the index, which `retrieve search` does once per call). Exact methods run
--repeat times, alternating; each run is reported. Peak working memory beyond the
gallery is measured by resetting the kernel's peak-RSS counter (/proc/self/clear_refs)
right before the search and reading VmHWM after it, minus the resident size before it;
faiss-flat's own copy of the gallery, made before the reset, is not counted. Every
method uses every core. /proc/loadavg is printed before and after: other work on the
machine slows every method.

Run: python bench/retrieval_benchmark.py [--sizes 100000 1000000] [--ivfpq] [--torch]
     [--repeat 3] [--json]
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
    from avili.config import IndexConfig, SearchConfig
    from avili.retrieval import search

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((1000, 128), dtype=np.float32) / np.sqrt(128)
    g, q = _unit_clusters(rng, centres, n), _unit_clusters(rng, centres, 2048)
    if method in ("avili", "avili-torch"):
        backend = "auto" if method == "avili" else "torch"
        search.exact_topk(q[:8], g[:1000], 10, backend=backend)  # warm-up
        (_, idx), secs, mem = _measured(lambda: search.exact_topk(q, g, 10, 256,
                                                                  backend=backend))
    elif method == "faiss-flat":
        import faiss

        index = faiss.IndexFlatIP(128)
        index.add(g)
        (_, idx), secs, mem = _measured(index.search, q, 10)
    else:
        ic, sc = IndexConfig(), SearchConfig()
        start = time.perf_counter()
        index = search.load_ivfpq(search.build_ivfpq(g, ic.nlist, ic.pq_m, ic.nbits, 0))
        queue.put({"build_s": round(time.perf_counter() - start, 1),
                   "config": f"nlist {ic.nlist}, {index.pq.M}x{ic.nbits}-bit PQ, nprobe "
                             f"{sc.nprobe}, k_factor {sc.k_factor}"})
        (_, idx), secs, mem = _measured(lambda: search.ivfpq_topk(
            index, q, 10, sc.nprobe, gallery=g, k_factor=sc.k_factor))
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


def _row(n: int, method: str, r: dict, exact: np.ndarray) -> dict:
    found = r.pop("idx")
    same = [len(set(a) & set(b)) / 10 for a, b in zip(found.tolist(), exact.tolist())]
    return {"gallery": n, "method": method, "queries_per_s": round(2048 / r.pop("secs")),
            "working_mem_mb": round(r.pop("mem_mb")),
            "recall@10_vs_avili_exact": round(float(np.mean(same)), 4), **r}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--ivfpq", action="store_true")
    parser.add_argument("--torch", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load = [Path("/proc/loadavg").read_text().strip()]
    exact_methods = ["avili", "faiss-flat"] + ["avili-torch"] * args.torch
    rows = []
    for n in args.sizes:
        runs = [(m, run(n, m)) for _ in range(args.repeat) for m in exact_methods]
        runs += [("avili-approx", run(n, "avili-approx"))] * args.ivfpq
        exact = runs[0][1]["idx"].copy()
        rows += [_row(n, m, r, exact) for m, r in runs]
    load.append(Path("/proc/loadavg").read_text().strip())
    if args.json:
        print(json.dumps({"loadavg": load, "rows": rows}, indent=2))
        return
    print(f"machine: {platform.machine()}, {mp.cpu_count()} cores, python "
          f"{platform.python_version()}; 2,048 queries, k = 10, 128-d; /proc/loadavg "
          f"before: {load[0]}, after: {load[1]}")
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
