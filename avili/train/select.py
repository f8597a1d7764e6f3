"""``--lir-weight auto`` / ``--graph-weight auto``: choose LIR's strength on the val split.

Rule (documented in the README): train the plain student and one student per candidate
``(lir_weight, graph_weight)`` with the same loss, epochs, batches and seed; keep the
*strongest* candidate (largest LIR weight, then largest graph weight) whose best val
average mAP lies within ``tolerance`` of the best val score of all of them, the plain
student included. Val relevance is the annotated label, the only relevance real data
has, so the rule reads: use the latent interactions as strongly as val says costs no
label retrieval. If no candidate qualifies, the plain student is kept. The test split is
never read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import product
from typing import Any

from avili.config import DistillConfig
from avili.data.schema import Dataset
from avili.data.softlabels import SoftLabels
from avili.data.graphfile import Graph
from avili.progress import Progress
from avili.train.distill import StudentResult, train_student


@dataclass
class Selection:
    """The chosen student, its config, the val curve (one record per candidate) and every
    candidate's trained student, keyed by (lir_weight, graph_weight)."""

    result: StudentResult
    config: DistillConfig
    record: dict[str, Any]
    trained: dict[tuple[float, float], StudentResult]


def candidates(cfg: DistillConfig) -> list[tuple[float, float]]:
    """(lir_weight, graph_weight) pairs to try, the plain student (0, 0) first."""
    weights = cfg.lir_weight_grid or (cfg.lir_weight,)
    graphs = cfg.graph_weight_grid or (cfg.graph_weight,)
    return [(0.0, 0.0)] + [(w, g) for w, g in product(weights, graphs) if w > 0]


def choose(scores: list[tuple[float, float, float]], tolerance: float = 0.003
           ) -> tuple[float, float]:
    """The strongest (lir_weight, graph_weight) whose val score is within ``tolerance``
    of the best; ``scores`` holds (lir_weight, graph_weight, val score) rows."""
    best = max(score for _, _, score in scores)
    fine = [(w, g) for w, g, score in scores if score >= best - tolerance]
    return max(fine)


def select_student(ds: Dataset, cfg: DistillConfig, soft: SoftLabels | None,
                   graph: Graph | None, progress: Progress | None = None) -> Selection:
    """Train every candidate of ``cfg`` and keep the one :func:`choose` picks."""
    trained: dict[tuple[float, float], StudentResult] = {}
    for w, g in candidates(cfg):
        one = replace(cfg, lir_weight=w, graph_weight=g, lir_weight_grid=(),
                      graph_weight_grid=())
        trained[w, g] = train_student(ds, one, soft, graph, progress)
    scores = [(w, g, r.fit.best_score) for (w, g), r in trained.items()]
    w, g = choose(scores, cfg.tolerance)
    record = {"rule": "strongest (lir_weight, graph_weight) within tolerance of the best "
                      "val avg mAP (label relevance)",
              "tolerance": cfg.tolerance, "chosen": {"lir_weight": w, "graph_weight": g},
              "candidates": [{"lir_weight": cw, "graph_weight": cg, "val_avg_mAP": s,
                              "best_epoch": trained[cw, cg].fit.best_epoch}
                             for cw, cg, s in scores]}
    chosen = replace(cfg, lir_weight=w, graph_weight=g)
    return Selection(trained[w, g], chosen, record, trained)
