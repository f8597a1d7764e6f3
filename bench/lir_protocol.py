"""The fair protocol for LIR: the default student against the strongest plain student.

For every regime, data seed and student seed:
- generate the regime's synthetic data; train the teacher and infer the graph on the
  student's own train split (the teacher is retrained for every data set);
- train the default student (``DistillConfig()``: SupCon + graded LIR, weight chosen on
  val by ``--lir-weight auto``). Its candidate at weight 0 *is* the plain SupCon student
  (same loss, epochs, batches and seed), so the comparison is paired;
- in the regimes named by ``--controls``: the shuffled-graph, no-graph and oracle-flag
  students at the chosen weight, the authors' released form (``pair``, w = 0.4) and its
  w = 1 control, and the plain batch-hard triplet (avili's former default);
- score test mAP, label and events relevance, per clip (mean of A->V and V->A AP).

Differences to the plain student get a 95% CI from a two-level paired bootstrap: runs
(data seed x student seed) resampled, then test clips within each run. Epochs-to-threshold:
the first epoch whose val mAP reaches 99% of the plain student's best.

Run: python bench/lir_protocol.py [--regimes default noise ...] [--data-seeds 0 1 2]
     [--student-seeds 0 1] [--epochs 100] [--workers 2] [--json out.json]
     python bench/lir_protocol.py --report bench/lir_protocol_results.json.gz
     (the tables again, from a saved run: per-clip APs included)
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np

REGIMES = {
    "default": {},
    "cooccur": {"rules": 30, "rule_prob_min": 0.6, "rule_prob_max": 0.9},
    "small": {"clips": 625},  # 25 train clips per class (15 classes, 60% train)
    "noise": {},  # 20% of train labels swapped to a co-occurring class
    "absent": {"absent_rate": 0.3},
    "audioset": {"cooccurrence": "audioset"},
}


def swap_labels(ds, rate: float, seed: int) -> int:
    """Swap ``rate`` of the train labels to a class whose event the clip holds (a
    co-occurring class); clips holding no other event keep theirs. Returns the count."""
    rng = np.random.default_rng(10_000 + seed)
    train = ds.indices("train")
    picked = rng.choice(train, int(rate * train.size), replace=False)
    events = (ds.audio_events | ds.visual_events).astype(bool)
    swapped = 0
    for n in picked:
        others = np.flatnonzero(events[n])
        others = others[others != ds.label[n]]
        if others.size:
            ds.label[n] = rng.choice(others)
            swapped += 1
    return swapped


def shuffled(graph, seed: int):
    import avili

    perm = np.random.default_rng(1000 + seed).permutation(graph.num_classes)
    idx = np.concatenate([perm, perm + graph.num_classes])
    return avili.Graph(graph.class_names, graph.weight[np.ix_(idx, idx)],
                       graph.undirected[np.ix_(idx, idx)], graph.sign[np.ix_(idx, idx)])


def per_clip(model, ds) -> dict[str, np.ndarray]:
    """{relevance: (n_test,) per-clip mean of A->V and V->A AP} (NaN: nothing relevant)."""
    import avili

    out = {}
    for rel in ("label", "events"):
        ap = avili.evaluate(model, ds, split="test", relevance=rel, ks=()).per_query
        out[rel] = (ap["a2v"] + ap["v2a"]) / 2
    return out


def to_threshold(history: list[dict], threshold: float) -> int | None:
    for row in history:
        if row["val_score"] >= threshold:
            return int(row["epoch"]) + 1
    return None


def one_data_set(job: tuple) -> list[dict]:
    """Every student of one (regime, data seed); one row per (student seed, method)."""
    import torch

    import avili

    regime, seed, student_seeds, epochs, controls = job
    torch.set_num_threads(1)
    ds, planted = avili.synthetic(seed=seed, **REGIMES[regime])
    swapped = swap_labels(ds, 0.2, seed) if regime == "noise" else 0
    teacher = avili.train_teacher(ds, seed=seed)
    graph = avili.infer_graph(teacher, seed=seed)
    oracle = avili.SoftLabels(ds.audio_events.astype(np.float32),
                        ds.visual_events.astype(np.float32), ds.class_names)
    base = {"regime": regime, "data_seed": seed, "swapped": swapped,
            "recovery": avili.recovery(graph, planted)}
    rows = []
    for s in student_seeds:
        cfg = avili.DistillConfig(seed=s, epochs=epochs)
        start = time.perf_counter()
        sel = avili.train_student(ds, cfg, soft=teacher, graph=graph)  # auto
        seconds = time.perf_counter() - start
        plain = next(c for c in sel.selection["candidates"] if c["lir_weight"] == 0)
        fixed = replace(sel.config, lir_weight_grid=(), graph_weight_grid=())
        runs = {"default": (sel, sel.selection["chosen"])}
        if regime in controls:
            if fixed.lir_weight == 0:  # val chose the plain loss: controls at the defaults
                fixed = replace(fixed, lir_weight=min(cfg.lir_weight_grid),
                                graph_weight=cfg.graph_weight)
            w = fixed.lir_weight
            todo = {"shuffled graph": (replace(fixed, lir_weight=w), teacher.soft, shuffled(graph, seed)),
                    "no graph": (replace(fixed, lir_weight=w, graph_weight=0.0), teacher.soft, graph),
                    "oracle flags": (replace(fixed, lir_weight=w, graph_weight=0.0), oracle, graph),
                    "pair (authors')": (replace(fixed, lir="pair", lir_weight=1.0), teacher.soft, graph),
                    "pair, w = 1": (replace(fixed, lir="pair", lir_weight=1.0, pair_edge_weight=1.0),
                                    teacher.soft, graph),
                    "plain triplet": (replace(fixed, loss="triplet", lir_weight=0.0), None, None)}
            for name, (c, soft, g) in todo.items():
                runs[name] = (avili.train_student(ds, c, soft=soft, graph=g), None)
        plain_model = sel.candidates[0.0, 0.0].model
        plain_model.history = sel.candidates[0.0, 0.0].fit.history
        scores = {"plain supcon": per_clip(plain_model, ds)}
        for name, (result, chosen) in runs.items():
            scores[name] = per_clip(result.model, ds)
            rows.append({**base, "student_seed": s, "method": name, "chosen": chosen,
                         "epochs_to_threshold": to_threshold(result.fit.history,
                                                             0.99 * plain["val_avg_mAP"]),
                         "best_epoch": result.fit.best_epoch})
        rows.append({**base, "student_seed": s, "method": "plain supcon", "chosen": None,
                     "epochs_to_threshold": to_threshold(plain_model.history,
                                                         0.99 * plain["val_avg_mAP"]),
                     "best_epoch": plain["best_epoch"], "auto_seconds": seconds})
        for row in rows:
            if row["student_seed"] == s and "ap" not in row:
                row["ap"] = {k: v.tolist() for k, v in scores[row["method"]].items()}
    return rows


def paired_ci(rows: list[dict], method: str, rel: str, reference: str = "plain supcon",
              samples: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Mean difference (method - reference) in test mAP and its 95% two-level bootstrap
    CI: runs resampled, then clips within runs."""
    key = lambda r: (r["regime"], r["data_seed"], r["student_seed"])  # noqa: E731
    plain = {key(r): np.array(r["ap"][rel]) for r in rows if r["method"] == reference}
    diffs = []
    for r in rows:
        if r["method"] == method:
            d = np.array(r["ap"][rel]) - plain[key(r)]
            diffs.append(d[~np.isnan(d)])
    rng = np.random.default_rng(seed)
    means = []
    for _ in range(samples):
        pick = rng.integers(0, len(diffs), len(diffs))
        means.append(np.mean([diffs[k][rng.integers(0, diffs[k].size, diffs[k].size)].mean()
                              for k in pick]))
    point = float(np.mean([d.mean() for d in diffs]))
    lo, hi = np.percentile(means, [2.5, 97.5])
    return point, float(lo), float(hi)


def report(rows: list[dict]) -> str:
    lines = []
    regimes = list(dict.fromkeys(r["regime"] for r in rows))
    for regime in regimes:
        rr = [r for r in rows if r["regime"] == regime]
        rec = [r["recovery"] for r in rr if r["method"] == "plain supcon"]
        lines += [f"\n### {regime}", "",
                  f"graph recovery: recall {np.mean([x['recall'] for x in rec]):.2f}, "
                  f"precision {np.mean([x['precision'] for x in rec]):.2f}, "
                  f"{np.mean([x['inferred_links'] for x in rec]):.1f} links for "
                  f"{rec[0]['planted_links']:.0f} true ones", "",
                  "| student | label mAP | events mAP | Δ label vs plain [95% CI] | "
                  "Δ events vs plain [95% CI] | epochs to 99% of plain | best epoch |",
                  "|---|---|---|---|---|---|---|"]
        for method in dict.fromkeys(r["method"] for r in rr):
            mr = [r for r in rr if r["method"] == method]
            cells = [f"{np.mean([np.nanmean(r['ap'][rel]) for r in mr]):.4f}"
                     for rel in ("label", "events")]
            for rel in ("label", "events"):
                if method == "plain supcon":
                    cells.append("")
                    continue
                p, lo, hi = paired_ci(rr, method, rel)
                cells.append(f"{p:+.4f} [{lo:+.4f}, {hi:+.4f}]")
            ett = [r["epochs_to_threshold"] for r in mr]
            reached = [e for e in ett if e is not None]
            cells.append(f"{np.mean(reached):.0f} ({len(reached)}/{len(ett)})" if reached
                         else f"never (0/{len(ett)})")
            cells.append(f"{np.mean([r['best_epoch'] for r in mr]):.0f}")
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        controls = [m for m in ("shuffled graph", "no graph", "oracle flags")
                    if any(r["method"] == m for r in rr)]
        if controls:
            lines += ["", "| default minus | Δ label [95% CI] | Δ events [95% CI] |",
                      "|---|---|---|"]
            for control in controls:
                cells = ["{:+.4f} [{:+.4f}, {:+.4f}]".format(*paired_ci(rr, "default", rel, control))
                         for rel in ("label", "events")]
                lines.append(f"| {control} | " + " | ".join(cells) + " |")
        chosen = [r["chosen"] for r in rr if r["method"] == "default"]
        lines.append("\nchosen (lir_weight, graph_weight) per run: "
                     + ", ".join(f"({c['lir_weight']:g}, {c['graph_weight']:g})" for c in chosen))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regimes", nargs="+", default=list(REGIMES), choices=list(REGIMES))
    parser.add_argument("--data-seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--student-seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--controls", nargs="*", default=["default"],
                        help="regimes that also train the control students")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", default=None)
    parser.add_argument("--report", default=None, help="print the tables of a saved run")
    args = parser.parse_args()
    if args.report:
        opener = gzip.open if args.report.endswith(".gz") else open
        with opener(args.report, "rt") as handle:
            print(report(json.load(handle)))
        return
    jobs = [(regime, seed, args.student_seeds, args.epochs, set(args.controls))
            for regime in args.regimes for seed in args.data_seeds]
    start = time.perf_counter()
    rows: list[dict] = []
    with ProcessPoolExecutor(args.workers) as pool:
        for out in pool.map(one_data_set, jobs):
            rows += out
            print(f"done {out[0]['regime']} seed {out[0]['data_seed']} "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
            if args.json:
                with open(args.json, "w") as handle:
                    json.dump(rows, handle)
    import torch

    print(f"\nmachine: {platform.machine()}, {args.workers} workers x 1 torch thread, torch "
          f"{torch.__version__}; data seeds {args.data_seeds} x student seeds "
          f"{args.student_seeds}; {args.epochs} student epochs; test split; "
          f"{time.perf_counter() - start:.0f} s")
    print(report(rows))


if __name__ == "__main__":
    main()
