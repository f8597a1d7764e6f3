"""Every metric loss, with and without LIR, on the default synthetic benchmark.

For each seed: generate the default benchmark, train the (aligned) teacher, infer the
graph once, then train one student per method with the same epoch budget, batches and
seed, keeping each student's best val epoch (label relevance; the test split is never
looked at). Methods: each --loss (and the triplet with semi-hard mining), with
--lir-weight 0 and with the default LIR weight. Reported per method, mean ± std over
seeds: test A->V, V->A and average mAP (label relevance), average mAP under events
relevance, and training seconds per epoch. For each "X + LIR" row also the
false-negative diagnostic against "X" on the test split (:mod:`avili.eval.diagnose`, top 10
edges, tau 0.5): the pull on graph-linked pairs and on random pairs (the control).

Run: python bench/compare.py [--seeds 0 1 2] [--epochs 40] [--methods triplet fnac ...]
     [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch

import avili
from avili.losses import METRIC_LOSSES

METHODS = ("triplet", "triplet-semihard") + tuple(m for m in METRIC_LOSSES if m != "triplet")


def run_seed(seed: int, epochs: int, methods: list[str]) -> tuple[dict, int]:
    """{(method, lir): metrics} for one seed, and the number of graph edges."""
    cfg = avili.DemoConfig().with_seed(seed)
    ds, _ = avili.synthetic(cfg.synthetic)
    teacher = avili.train_teacher(ds, cfg.teach)
    graph = avili.infer_graph(teacher, cfg.graph)
    out = {}
    for method in methods:
        loss, mining = (("triplet", "semihard") if method == "triplet-semihard"
                        else (method, "hard"))
        students = []
        for lir in (0.0, cfg.distill.lir_weight):
            start = time.perf_counter()
            students.append(avili.train_student(ds, cfg.distill, soft=teacher, graph=graph,
                                                loss=loss, mining=mining, lir_weight=lir,
                                                epochs=epochs))
            seconds = (time.perf_counter() - start) / epochs
            label = avili.evaluate(students[-1], ds, split="test", relevance="label", ks=())
            events = avili.evaluate(students[-1], ds, split="test", relevance="events", ks=())
            out[method, lir > 0] = {"a2v": label.a2v_mAP, "v2a": label.v2a_mAP,
                                    "avg": label.avg_mAP, "events": events.avg_mAP,
                                    "s_per_epoch": seconds}
            if lir > 0:
                diag = avili.diagnose(students, ds, graph, teacher, split="test")
                out[method, True].update(pull=diag["all_edges"]["pull"][0],
                                         pull_control=diag["control"]["pull"][0])
            print(json.dumps({"seed": seed, "method": method, "lir": lir > 0,
                              **out[method, lir > 0]}), flush=True)
    return out, len(graph.edges())


def table(runs: list[dict], methods: list[str]) -> list[str]:
    lines = ["| method | A→V mAP | V→A mAP | avg mAP | events avg mAP | s / epoch | "
             "pull, linked pairs | pull, random pairs |", "|---|---|---|---|---|---|---|---|"]
    for method in methods:
        for lir in (False, True):
            rows = [r[method, lir] for r in runs]
            cell = lambda k: (f"{np.mean([r[k] for r in rows]):.4f} ± "  # noqa: E731
                              f"{np.std([r[k] for r in rows]):.4f}")
            name = method + (" + LIR" if lir else "")
            pulls = f"{cell('pull')} | {cell('pull_control')}" if lir else " | "
            lines.append(f"| {name} | {cell('a2v')} | {cell('v2a')} | {cell('avg')} | "
                         f"{cell('events')} | {np.mean([r['s_per_epoch'] for r in rows]):.2f} | "
                         f"{pulls} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--json", help="also write every run to this file")
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    runs, edges = [], []
    for seed in args.seeds:
        result, n_edges = run_seed(seed, args.epochs, args.methods)
        runs.append(result)
        edges.append(n_edges)
    print(f"\nmachine: {platform.machine()}, torch {torch.__version__}; seeds {args.seeds}, "
          f"{args.epochs} epochs; graph: the default infer-graph on each seed's teacher "
          f"soft labels ({edges} edges)")
    print("\n".join(table(runs, args.methods)))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump([{f"{m}{' + LIR' if lir else ''}": v for (m, lir), v in r.items()}
                       for r in runs], handle, indent=2)


if __name__ == "__main__":
    main()
