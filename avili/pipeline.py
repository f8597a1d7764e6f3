"""The whole pipeline on the synthetic default, as the quick start runs it.

Files (all inside ``workdir``): demo.h5, demo.planted.npz, teacher.pt, soft.npz,
graph.npz, graph.csv, baseline.pt (``--lir-weight 0``), student.pt (LIR), and
results.json. Baseline and LIR student share the metric loss, epochs and seed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from avili import api
from avili.artifacts import atomic_output, to_jsonable
from avili.config import DemoConfig, EvalConfig
from avili.graph.graphfile import load_graph, recovery
from avili.progress import Progress


def run_demo(workdir: str | Path, cfg: DemoConfig, progress: Progress | None = None
             ) -> dict[str, Any]:
    """Run every stage; return test-split metrics for baseline and LIR and graph recovery."""
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    f = {name: work / name for name in ("demo.h5", "demo.planted.npz", "teacher.pt",
                                        "soft.npz", "graph.npz", "graph.csv", "baseline.pt",
                                        "student.pt", "results.json")}
    api.extract_synthetic(cfg.synthetic, f["demo.h5"], f["demo.planted.npz"])
    api.teach(f["demo.h5"], cfg.teach, f["teacher.pt"], f["soft.npz"], progress)
    api.infer_graph(f["soft.npz"], cfg.graph, f["graph.npz"], f["graph.csv"])
    rows = {}
    for name, weight in (("baseline", 0.0), ("student", cfg.distill.lir_weight)):
        dcfg = replace(cfg.distill, lir_weight=weight)
        api.distill(f["demo.h5"], dcfg, f[f"{name}.pt"], f["soft.npz"], f["graph.npz"], progress)
        rows[name] = {rel: api.evaluate(f[f"{name}.pt"], f["demo.h5"], EvalConfig("test", rel))
                      for rel in ("label", "events")}
    rec = recovery(load_graph(f["graph.npz"]), load_graph(f["demo.planted.npz"]))
    results = {"config": to_jsonable(cfg), "baseline": rows["baseline"],
               "lir": rows["student"], "graph_recovery": rec, "workdir": str(work)}
    with atomic_output(f["results.json"]) as tmp:
        tmp.write_text(json.dumps(to_jsonable(results), indent=2, sort_keys=True))
    return results
