"""The whole pipeline on the synthetic default, as the quick start runs it.

Files (all inside ``workdir``): demo.h5, demo.planted.npz, teacher.pt, soft.npz,
graph.npz, graph.csv, baseline.pt (the plain metric loss, ``--lir-weight 0``), student.pt
(the default: LIR with its weight chosen on val), and results.json. Baseline and student
share the metric loss, epochs and seed; the student's differences to the baseline carry
paired bootstrap 95% CIs over the test queries.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from avili import api
from avili.artifacts import atomic_output, to_jsonable
from avili.config import DemoConfig, EvalConfig
from avili.data.graphfile import load_graph, recovery
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
    api.teach(f["demo.h5"], cfg.teach, f["teacher.pt"], f["soft.npz"], progress,
              overwrite=True)  # the demo owns its workdir
    api.infer_graph(f["soft.npz"], cfg.graph, f["graph.npz"], f["graph.csv"])
    plain = replace(cfg.distill, lir_weight=0.0, lir_weight_grid=(), graph_weight_grid=())
    chosen = {}
    for name, dcfg in (("baseline", plain), ("student", cfg.distill)):
        chosen[name] = api.distill(f["demo.h5"], dcfg, f[f"{name}.pt"], f["soft.npz"],
                                   f["graph.npz"], progress, overwrite=True)
    rows: dict[str, dict] = {"baseline": {}, "lir": {}}
    for rel in ("label", "events"):
        both = api.compare([f["baseline.pt"], f["student.pt"]], f["demo.h5"],
                           EvalConfig("test", rel, ci=True))["models"]
        rows["baseline"][rel], rows["lir"][rel] = both
    rec = recovery(load_graph(f["graph.npz"]), load_graph(f["demo.planted.npz"]))
    student = chosen["student"]
    results = {"config": to_jsonable(cfg), "baseline": rows["baseline"],
               "lir": rows["lir"], "graph_recovery": rec, "workdir": str(work),
               "chosen": {k: student.get(k) for k in ("lir", "lir_weight", "graph_weight",
                                                       "selection")}}
    with atomic_output(f["results.json"]) as tmp:
        tmp.write_text(json.dumps(to_jsonable(results), indent=2, sort_keys=True))
    return results
