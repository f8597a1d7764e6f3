"""Does stability selection help graph recovery? On the synthetic default, per seed: train
the teacher once, then infer the graph with one run, with restarts, and with bootstrap
edge frequencies at several --min-frequency cut-offs, and score recovery of the planted
links (class pairs, ignoring direction and modality, co-occurrence edges only).

Run: python bench/graph_stability.py [--seeds 0 1 2 3 4] [--restarts 10] [--bootstrap 20]
     [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np

import avili


def variants(args: argparse.Namespace) -> dict[str, dict]:
    out = {"single run": {}, f"restarts {args.restarts}": {"restarts": args.restarts}}
    for cut in (0.0, 0.5, 0.7, 0.9):
        out[f"bootstrap {args.bootstrap}, min-frequency {cut}"] = {
            "bootstrap": args.bootstrap, "min_frequency": cut}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--restarts", type=int, default=10)
    parser.add_argument("--bootstrap", type=int, default=20)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    rows = {name: [] for name in variants(args)}
    for seed in args.seeds:
        cfg = avili.DemoConfig().with_seed(seed)
        ds, planted = avili.synthetic(cfg.synthetic)
        soft = avili.train_teacher(ds, cfg.teach).soft
        for name, options in variants(args).items():
            start = time.perf_counter()
            graph = avili.infer_graph(soft, replace(cfg.graph, **options))
            r = avili.recovery(graph, planted)
            rows[name].append({"seed": seed, **r, "seconds": time.perf_counter() - start,
                               "jaccard": graph.provenance["stability"]["mean_jaccard"]})
            print(json.dumps({"variant": name, **rows[name][-1]}), flush=True)
    print(f"\nseeds {args.seeds}; mean ± std over seeds")
    print(f"{'variant':<36}{'recall':>14}{'precision':>14}{'links':>8}{'jaccard':>9}{'s':>7}")
    for name, rs in rows.items():
        rec, pre = np.array([r["recall"] for r in rs]), np.array([r["precision"] for r in rs])
        links = np.mean([r["inferred_links"] for r in rs])
        print(f"{name:<36}{rec.mean():>8.2f} ± {rec.std():.2f}{pre.mean():>8.2f} ± "
              f"{pre.std():.2f}{links:>8.1f}{np.mean([r['jaccard'] for r in rs]):>9.2f}"
              f"{np.mean([r['seconds'] for r in rs]):>7.1f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
