"""The library functions the CLI calls, used from a script (no notebook, no CLI).

Run: python examples/python_api.py [WORKDIR]
"""

import sys
from dataclasses import replace
from pathlib import Path

from avili import api
from avili.config import DistillConfig, EvalConfig, GraphConfig, SyntheticConfig, TeachConfig


def main(work: Path, synthetic: SyntheticConfig = SyntheticConfig(),
         teach: TeachConfig = TeachConfig(), distill: DistillConfig = DistillConfig()
         ) -> dict[str, float]:
    """The whole pipeline into ``work``; returns each student's test avg mAP."""
    work.mkdir(exist_ok=True)
    data, soft, graph = work / "demo.h5", work / "soft.npz", work / "graph.npz"
    api.extract_synthetic(synthetic, data, work / "demo.planted.npz")
    api.teach(data, teach, work / "teacher.pt", soft)
    summary = api.infer_graph(soft, GraphConfig(seed=teach.seed), graph)
    print(f"{summary['edges']} edges; strongest: {summary['graph'].edges()[:3]}")
    maps = {}
    plain = replace(distill, lir_weight=0.0, lir_weight_grid=())  # the same loss, no LIR
    for name, cfg in (("baseline", plain), ("student", distill)):  # student: weight from val
        api.distill(data, cfg, work / f"{name}.pt", soft, graph)
        maps[name] = api.evaluate(work / f"{name}.pt", data, EvalConfig(split="test"))["avg_mAP"]
        print(f"{name}: test avg mAP {maps[name]:.4f}")
    return maps


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "avili-api-example"))
