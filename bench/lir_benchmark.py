"""Baseline vs LIR on the synthetic default, several seeds, side by side in one run.

For each seed: generate the default benchmark, train the teacher, infer the graph, then
train three students with the same metric loss, epochs and seed:
  baseline  --lir-weight 0 (the plain metric loss LIR is added to)
  LIR       --lir-weight <default> with the inferred graph
  control   the same LIR weight with the graph's classes shuffled (does the graph matter,
            or does any extra pull help?)
and score test mAP (label and events relevance) and graph recovery.

Run: python bench/lir_benchmark.py [--seeds 0 1 2] [--epochs E] [--random-prototypes]
     [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import replace

import numpy as np
import torch

import avili
from lir_protocol import shuffled  # bench/: the shuffled-graph control


def one_seed(seed: int, epochs: int | None = None, random_prototypes: bool = False) -> dict:
    cfg = avili.DemoConfig().with_seed(seed)
    if random_prototypes:
        cfg = replace(cfg, synthetic=replace(cfg.synthetic, orthogonal_prototypes=False))
    # the default LIR weight, fixed (no choice on val), for every student
    cfg = replace(cfg, distill=replace(cfg.distill, lir_weight_grid=(),
                                       epochs=epochs or cfg.distill.epochs))
    start = time.perf_counter()
    run = avili.run_pipeline(cfg, ci=False)
    row = {"seed": seed, "recovery": run.recovery, "pipeline_seconds":
           time.perf_counter() - start}
    for name in ("baseline", "lir"):
        row[name] = {rel: run.scores[name][rel].avg_mAP for rel in ("label", "events")}
        row[name]["best_epoch"] = run.students[name].fit.best_epoch
    control = avili.train_student(run.dataset, cfg.distill, soft=run.teacher,
                                  graph=shuffled(run.graph, seed))
    row["control"] = {rel: avili.evaluate(control, run.dataset, relevance=rel, ks=()).avg_mAP
                      for rel in ("label", "events")}
    row["control"]["best_epoch"] = control.fit.best_epoch
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None,
                        help="student epochs (default: the distill default)")
    parser.add_argument("--random-prototypes", action="store_true",
                        help="the harder variant with confusable class pairs")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        rows.append(one_seed(seed, args.epochs, args.random_prototypes))
        print(json.dumps(rows[-1]), flush=True)
    print(f"\nmachine: {platform.machine()}, {torch.get_num_threads()} torch threads, "
          f"torch {torch.__version__}; seeds {args.seeds}; student epochs "
          f"{args.epochs or avili.DemoConfig().distill.epochs}; "
          f"{'random' if args.random_prototypes else 'orthogonal'} prototypes; test split, avg of A->V and V->A")
    print(f"{'student':<10}{'label mAP':>22}{'events mAP':>22}")
    for name in ("baseline", "lir", "control"):
        cells = []
        for rel in ("label", "events"):
            v = np.array([r[name][rel] for r in rows])
            cells.append(f"{v.mean():.4f} ± {v.std():.4f}")
        print(f"{name:<10}{cells[0]:>22}{cells[1]:>22}")
    gain = np.array([r["lir"]["label"] - r["baseline"]["label"] for r in rows])
    rec = np.array([[r["recovery"]["recall"], r["recovery"]["precision"]] for r in rows])
    print(f"LIR - baseline (label): {gain.mean():+.4f} ± {gain.std():.4f}")
    print(f"graph recovery: recall {rec[:, 0].mean():.2f} ± {rec[:, 0].std():.2f}, "
          f"precision {rec[:, 1].mean():.2f} ± {rec[:, 1].std():.2f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=2)


if __name__ == "__main__":
    main()
