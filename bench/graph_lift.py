"""Graph recovery with and without --min-lift, side by side in one run: the default
teacher's soft labels, the default search, then the co-occurrence edges kept at each
lift bar, scored against the truth (planted rules, or the class pairs that really
co-occur in AudioSet: lift > 2 over at least 20 clips).

Run: python bench/graph_lift.py [--seeds 0 1 2] [--bars 0 1.5 2 3]
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
import torch

import avili

REGIMES = {"default": {}, "audioset": {"cooccurrence": "audioset"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--bars", type=float, nargs="+", default=[0.0, 1.5, 2.0, 3.0])
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, torch {torch.__version__}; seeds {args.seeds}; "
          "mean over seeds")
    print("| regime | --min-lift | recall | precision | links proposed | true links |")
    print("|---|---|---|---|---|---|")
    for regime, syn in REGIMES.items():
        found = {bar: [] for bar in args.bars}
        for seed in args.seeds:
            ds, truth = avili.synthetic(avili.SyntheticConfig(seed=seed, **syn))
            soft = avili.train_teacher(ds, avili.TeachConfig(seed=seed)).soft
            for bar in args.bars:
                graph = avili.infer_graph(soft, seed=seed, min_lift=bar)
                found[bar].append(avili.recovery(graph, truth))
        for bar, rows in found.items():
            mean = {k: np.mean([r[k] for r in rows]) for k in rows[0]}
            print(f"| {regime} | {bar:g} | {mean['recall']:.2f} | {mean['precision']:.2f} | "
                  f"{mean['inferred_links']:.1f} | {mean['planted_links']:.0f} |")


if __name__ == "__main__":
    main()
