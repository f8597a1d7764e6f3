"""The library functions the CLI calls, used from a script (no notebook, no CLI).

Run: python examples/python_api.py [WORKDIR]
"""

import sys
from pathlib import Path

from avili import api
from avili.config import DistillConfig, EvalConfig, GraphConfig, SyntheticConfig, TeachConfig

work = Path(sys.argv[1] if len(sys.argv) > 1 else "avili-api-example")
work.mkdir(exist_ok=True)
data, soft, graph = work / "demo.h5", work / "soft.npz", work / "graph.npz"

api.extract_synthetic(SyntheticConfig(seed=0), data, work / "demo.planted.npz")
api.teach(data, TeachConfig(seed=0), work / "teacher.pt", soft)
summary = api.infer_graph(soft, GraphConfig(seed=0), graph)
print(f"{summary['edges']} edges; strongest: {summary['graph'].edges()[:3]}")
for name, weight in (("baseline", 0.0), ("student", 5.0)):
    api.distill(data, DistillConfig(lir_weight=weight, seed=0), work / f"{name}.pt", soft, graph)
    metrics = api.evaluate(work / f"{name}.pt", data, EvalConfig(split="test"))
    print(f"{name}: test avg mAP {metrics['avg_mAP']:.4f}")
