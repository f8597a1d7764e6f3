"""``avili demo``: the whole pipeline on the synthetic default, as the quick start runs it.

It is :func:`avili.run_pipeline` (in memory), with every artifact then written into
``workdir``: demo.h5, demo.planted.npz, teacher.pt, soft.npz, graph.npz, graph.csv,
baseline.pt (the plain metric loss, LIR weight 0), student.pt (the default: LIR with its
weight chosen on val) and results.json. Baseline and student share the metric loss,
epochs and seed; the student's differences to the baseline carry paired bootstrap 95% CIs
over the test queries. Only the public API is used.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import avili
from avili import api

FILES = ("demo.h5", "demo.planted.npz", "teacher.pt", "soft.npz", "graph.npz", "graph.csv",
         "baseline.pt", "student.pt", "results.json")


def run_demo(workdir: str | Path, cfg: Any, progress: Any = None) -> dict[str, Any]:
    """Run every stage (``cfg``: an :class:`avili.DemoConfig`), write the artifacts and
    return test-split metrics for baseline and LIR, and the graph's recovery of the
    planted links."""
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    f = {name: work / name for name in FILES}
    run = avili.run_pipeline(cfg, progress=progress)
    _save(run, cfg, f)
    lir = run.students["lir"]
    rows = {name: {rel: ev.metrics for rel, ev in run.scores[key].items()}
            for name, key in (("baseline", "baseline"), ("lir", "lir"))}
    results = {"config": cfg, **rows, "graph_recovery": run.recovery, "workdir": str(work),
               "chosen": {"lir": lir.config.lir if lir.config.lir_weight > 0 else None,
                          "lir_weight": lir.config.lir_weight,
                          "graph_weight": lir.config.graph_weight,
                          "selection": lir.selection}}
    results = json.loads(json.dumps(api.to_jsonable(results)))
    with api.atomic_output(f["results.json"]) as tmp:
        tmp.write_text(json.dumps(results, indent=2, sort_keys=True))
    return results


def _save(run: Any, cfg: Any, f: dict[str, Path]) -> None:
    """Every artifact of ``run`` into the files ``f``, each with its provenance."""
    avili.write_dataset(run.dataset, f["demo.h5"])
    avili.save_graph(run.planted, f["demo.planted.npz"])
    api.save_teacher(run.teacher, cfg.teach, run.dataset, f["demo.h5"], f["teacher.pt"],
                     f["soft.npz"])
    soft = replace(run.teacher.soft, path=f["soft.npz"])
    api.save_graph_files(run.graph, cfg.graph, soft, f["graph.npz"], f["graph.csv"])
    inputs = {"data": f["demo.h5"], "soft": f["soft.npz"], "graph": f["graph.npz"]}
    for name, key in (("baseline", "baseline"), ("student", "lir")):
        student = run.students[key]
        api.save_student(student, student.config, run.dataset, f[f"{name}.pt"], inputs,
                         selection=student.selection)
