"""The public Python API from a script (no notebook, no CLI): the whole pipeline in memory
with :func:`avili.run_pipeline`, then the student and graph written to files that every
``avili`` command reads.

Run: python examples/python_api.py [WORKDIR]
"""

import sys
from pathlib import Path

import avili


def main(work: Path, synthetic: avili.SyntheticConfig = avili.SyntheticConfig(),
         teach: avili.TeachConfig = avili.TeachConfig(),
         distill: avili.DistillConfig = avili.DistillConfig()) -> dict[str, float]:
    """The pipeline on the synthetic benchmark; returns each student's test avg mAP and
    writes graph.npz and student.pt into ``work``."""
    work.mkdir(exist_ok=True)
    cfg = avili.DemoConfig(synthetic=synthetic, teach=teach, distill=distill)
    run = avili.run_pipeline(cfg, relevance=("label",), ci=True)
    print(f"{len(run.graph.edges())} edges; strongest: {run.graph.edges()[:3]}")
    maps = {}
    for name, scores in run.scores.items():
        maps[name] = scores["label"].avg_mAP
        print(f"{name}: test avg mAP {maps[name]:.4f}")
    avili.save_graph(run.graph, work / "graph.npz")
    avili.api.save_student(run.students["lir"], run.students["lir"].config, run.dataset,
                           work / "student.pt", {}, selection=run.students["lir"].selection)
    return maps


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "avili-api-example"))
