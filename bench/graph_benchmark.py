"""Graph-search backends side by side: causal-learn vs avili's fast GRaSP and BOSS.

Both backends run in this process on the same inputs, lambda and seeds; each row reports
the CPU time (time.process_time) of each, their ratio, and whether the two graphs are
identical. Sizes: ``real`` is the AVE-15 teacher soft labels ([audio | visual], lambda 1
and 2, the given seeds); ``PxN`` is a random sparse linear-Gaussian DAG with P variables
and N samples (lambda 2), where the row also gives the recall and precision of the
planted adjacencies. causal-learn's GRaSP needs ~500 s on 200x20000; for very large sizes
(e.g. 1054x20000) pass --skip-causal-learn to time only the fast backend.

Fast GRaSP runs its numba search when numba is installed. numba compiles it once per
machine (cached in __pycache__) and loads that cache once per process: both happen in a
warm-up call before the timed rows, and are reported apart ("jit_s"). --python-search
times the Python search instead.

Run: python bench/graph_benchmark.py [--sizes real 200x2000 [1054x20000 ...]]
     [--algorithms grasp boss] [--seeds 0 1 2] [--skip-causal-learn] [--python-search]
     [--json]
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from avili.graph.fastgrasp import fast_grasp
from avili.graph.infer import search_backend
from avili.graph.simulate import linear_gaussian

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "ave15_teacher_soft_labels.npz"


def timed(fn, *args) -> tuple[tuple[np.ndarray, np.ndarray], float]:
    start = time.process_time()
    out = fn(*args)
    return out, time.process_time() - start


def warm_up(compiled: bool) -> float:
    """Seconds (wall) of a first fast GRaSP call on tiny data: numba's compile, or its
    cache load, which every later call skips."""
    start = time.perf_counter()
    fast_grasp(linear_gaussian(8, 200, 0)[0], 2.0, 3, 0, compiled=compiled)
    return time.perf_counter() - start


def compare(name: str, data: np.ndarray, lambda_value: float, seed: int, algorithm: str,
            skip: bool, planted: np.ndarray | None, compiled: bool = True) -> dict:
    """One row: both backends of ``algorithm`` on ``data`` (n, p); causal-learn left out
    when ``skip``; recovery of the ``planted`` (p, p) DAG when there is one."""
    fast, reference = (search_backend(algorithm, b) for b in ("fast", "causal-learn"))
    if algorithm == "grasp":
        fast = functools.partial(fast, compiled=compiled)
    (directed, undirected), fast_s = timed(fast, data, lambda_value, 3, seed)
    row = {"case": name, "algorithm": algorithm, "n": data.shape[0], "p": data.shape[1],
           "lambda": lambda_value, "seed": seed, "fast_s": round(fast_s, 3),
           "edges": int(directed.sum()), "undirected": int(undirected.sum() // 2)}
    if planted is not None:
        found, true = directed | directed.T | undirected, planted | planted.T
        hits = (found & true).sum()
        row.update(recall=round(hits / max(true.sum(), 1), 3),
                   precision=round(hits / max(found.sum(), 1), 3))
    if not skip:
        (ref_d, ref_u), ref_s = timed(reference, data, lambda_value, 3, seed)
        row.update(causal_learn_s=round(ref_s, 3), speedup=round(ref_s / max(fast_s, 1e-9), 1),
                   identical=bool(np.array_equal(directed, ref_d)
                                  and np.array_equal(undirected, ref_u)))
    return row


def cases(sizes: list[str], seeds: list[int]):
    """(name, data, lambda, seed, planted DAG or None) for each requested size."""
    for size in sizes:
        if size == "real":
            soft = np.load(REAL)
            data = np.column_stack([soft["audio"], soft["visual"]]).astype(np.float64)
            for lambda_value in (1.0, 2.0):
                for seed in seeds:
                    yield "real", data, lambda_value, seed, None
        else:
            p, n = (int(v) for v in size.lower().split("x"))
            data, dag = linear_gaussian(p, n, seeds[0])
            yield size, data, 2.0, seeds[0], dag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["real", "200x2000"],
                        help="'real' and/or PxN synthetic sizes, e.g. 200x2000 1054x20000")
    parser.add_argument("--algorithms", nargs="+", default=["grasp", "boss"],
                        choices=["grasp", "boss"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--skip-causal-learn", action="store_true",
                        help="time only the fast backend (for sizes causal-learn cannot "
                             "finish)")
    parser.add_argument("--python-search", action="store_true",
                        help="time fast GRaSP's Python search, not its numba one")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    jit_s = warm_up(not args.python_search)
    print(json.dumps({"jit_s": round(jit_s, 2)}), file=sys.stderr, flush=True)
    rows = []
    for name, data, lambda_value, seed, planted in cases(args.sizes, args.seeds):
        for algorithm in args.algorithms:
            rows.append(compare(name, data, lambda_value, seed, algorithm,
                                args.skip_causal_learn, planted, not args.python_search))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"machine: {platform.machine()}, python {platform.python_version()}, "
          f"numpy {np.__version__}; CPU seconds (time.process_time); first fast GRaSP "
          f"call (JIT compile or cache load, not in the rows): {jit_s:.2f} s wall")
    print(f"{'case':<11}{'alg':>6}{'lam':>4}{'seed':>5}{'edges':>7}{'fast s':>9}{'c-l s':>9}"
          f"{'ratio':>7}  identical  recall  precision")
    nan = float("nan")
    for r in rows:
        print(f"{r['case']:<11}{r['algorithm']:>6}{r['lambda']:>4g}{r['seed']:>5}"
              f"{r['edges'] + r['undirected']:>7}{r['fast_s']:>9.2f}"
              f"{r.get('causal_learn_s', nan):>9.2f}{r.get('speedup', nan):>7.1f}  "
              f"{str(r.get('identical', '-')):<9}  {r.get('recall', nan):>6.3f}  "
              f"{r.get('precision', nan):>9.3f}")


if __name__ == "__main__":
    main()
