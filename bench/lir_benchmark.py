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

from avili.config import DemoConfig, replace_seed
from avili.data.synthetic import generate
from avili.eval.evaluate import evaluate_split
from avili.graph.infer import infer_graph
from avili.data.graphfile import Graph, recovery
from avili.train.distill import train_student
from avili.train.teach import train_teacher


def shuffled(graph: Graph, seed: int) -> Graph:
    """The same graph with class identities permuted (a control with equal edge mass)."""
    perm = np.random.default_rng(1000 + seed).permutation(graph.num_classes)
    idx = np.concatenate([perm, perm + graph.num_classes])
    return Graph(graph.class_names, graph.weight[np.ix_(idx, idx)],
                 graph.undirected[np.ix_(idx, idx)], graph.sign[np.ix_(idx, idx)])


def one_seed(seed: int, epochs: int | None = None, random_prototypes: bool = False) -> dict:
    cfg = replace_seed(DemoConfig(), seed)
    if random_prototypes:
        cfg = replace(cfg, synthetic=replace(cfg.synthetic, orthogonal_prototypes=False))
    if epochs is not None:
        cfg = replace(cfg, distill=replace(cfg.distill, epochs=epochs))
    ds, planted = generate(cfg.synthetic)
    teacher = train_teacher(ds, cfg.teach)
    graph = infer_graph(teacher.soft, cfg.graph)
    row = {"seed": seed, "recovery": recovery(graph, planted)}
    for name, weight, g in (("baseline", 0.0, graph), ("lir", cfg.distill.lir_weight, graph),
                            ("control", cfg.distill.lir_weight, shuffled(graph, seed))):
        start = time.perf_counter()
        student = train_student(ds, replace(cfg.distill, lir_weight=weight), teacher.soft, g)
        row[name] = {"label": evaluate_split(student.model, ds, "test", "label")["avg_mAP"],
                     "events": evaluate_split(student.model, ds, "test", "events")["avg_mAP"],
                     "best_epoch": student.fit.best_epoch,
                     "seconds": time.perf_counter() - start}
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
          f"{args.epochs or DemoConfig().distill.epochs}; "
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
