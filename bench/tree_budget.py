"""GRaSP's search trees under a memory budget: time, peak memory and the graph, side by
side with the unbounded search (a budget the trees never fill) in one run.

Each budget runs in its own process (so its peak RSS is its own) on
``linear_gaussian(p, n, seed)``, λ 2, depth 3, seed 0, compiled search, warm numba cache.

Run: python bench/tree_budget.py [--p 300] [--n 5000] [--budgets-mb 0.5 4 32]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

from avili.graph.fastgrasp import fast_grasp
from avili.graph.simulate import linear_gaussian

UNBOUNDED_MB = 8192.0  # room the trees of these sizes never fill


def one(p: int, n: int, budget_mb: float) -> dict:
    """Search once with ``budget_mb`` MB of trees; (cpu s, peak RSS MB, skeleton)."""
    x = linear_gaussian(p, n, 0)[0]
    fast_grasp(x[:200, :8], 2.0, 3, 0)  # load the compiled kernels from the cache
    start = time.process_time()
    directed, undirected = fast_grasp(x, 2.0, 3, 0, budget=int(budget_mb * 2**20))
    return {"budget_mb": budget_mb, "cpu_s": time.process_time() - start,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "directed": directed, "undirected": undirected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--p", type=int, default=300)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--budgets-mb", type=float, nargs="+", default=[0.5, 4.0, 32.0])
    args = parser.parse_args()
    rows = []
    for budget in [UNBOUNDED_MB, *args.budgets_mb]:
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
            rows.append(pool.submit(one, args.p, args.n, budget).result())
    ref = rows[0]
    print(f"linear_gaussian({args.p}, {args.n}, 0), lambda 2, depth 3, seed 0; "
          f"python {sys.version.split()[0]}")
    print("| tree budget (MB) | CPU s | peak RSS (MB) | same graph as unbounded |")
    print("|---|---|---|---|")
    for r in rows:
        same = all(np.array_equal(r[k], ref[k]) for k in ("directed", "undirected"))
        label = "unbounded" if r is ref else f"{r['budget_mb']:g}"
        print(f"| {label} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} | {same} |")
    print(json.dumps([{k: v for k, v in r.items() if k not in ("directed", "undirected")}
                      for r in rows]))


if __name__ == "__main__":
    main()
