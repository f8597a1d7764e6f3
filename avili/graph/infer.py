"""``avili infer-graph``: soft labels in, weighted class-modality graph out.

Steps: :func:`avili.graph.inputs.prepare` (scale, degenerate columns), the search
(restarts and bootstrap from :mod:`avili.graph.stability`, each run a GRaSP or BOSS call),
edge strengths and signs (:mod:`avili.graph.discovery`), then pruning.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from avili.config import GraphConfig
from avili.data.softlabels import SoftLabels
from avili.errors import AviliError
from avili.graph.discovery import (edge_coefficients, edge_signs, keep_top_k, run_boss,
                                   run_grasp)
from avili.graph.fastboss import fast_boss
from avili.graph.fastgrasp import fast_grasp, tree_budget
from avili.data.graphfile import Graph
from avili.graph.inputs import prepare
from avili.graph.stability import RunSet, bootstrap_rows, run_many
from avili.progress import Progress


SEARCHES = {("grasp", "fast"): fast_grasp, ("grasp", "causal-learn"): run_grasp,
            ("boss", "fast"): fast_boss, ("boss", "causal-learn"): run_boss}


def search_backend(algorithm: str, backend: str) -> Any:
    """The search for ``algorithm`` (grasp, boss) in ``backend`` (fast, causal-learn):
    a function (data, lambda, depth, seed) -> (directed, undirected) masks."""
    if (algorithm, backend) not in SEARCHES:
        raise AviliError(f"unknown --algorithm {algorithm!r} or --backend {backend!r}; "
                         "expected grasp or boss, and fast or causal-learn")
    return SEARCHES[algorithm, backend]


def infer_graph(soft: SoftLabels, cfg: GraphConfig, progress: Progress | None = None
                ) -> Graph:
    """GRaSP on the ``cfg.split`` rows of ``[audio | visual]`` soft labels (n, 2C).

    ``cfg.restarts`` runs other seeds (``seed``, ``seed + 1``, ...) and keeps the graph with
    the best BIC score; ``cfg.bootstrap`` reruns the chosen seed on resampled rows. Each
    edge's frequency is its share of the bootstrap runs (else of the restarts) in which
    its two nodes are adjacent. Edge weight = frequency x |standardized coefficient|,
    divided by the largest, so weights lie in [0, 1]; ``sign`` keeps the coefficient's
    sign. Edges below ``cfg.min_frequency`` are dropped, then ``cfg.top_k`` prunes as in
    :func:`keep_top_k`. ``progress`` counts the finished runs of each study.
    """
    prepared = prepare(soft, cfg)
    data = prepared.data
    if prepared.used.size < data.shape[1]:
        data = data[:, prepared.used]
    seeds = [cfg.seed + r for r in range(cfg.restarts)]
    search = _bounded(search_backend(cfg.algorithm, cfg.backend), cfg,
                      max(cfg.restarts, cfg.bootstrap))
    restarts = run_many(data, search, cfg.lambda_value, cfg.depth, seeds,
                        [None] * len(seeds), cfg.workers, progress, "restarts")
    best = int(np.argmax(restarts.scores))
    study = restarts
    if cfg.bootstrap > 0:
        rows = bootstrap_rows(data.shape[0], cfg.bootstrap, cfg.seed)
        study = run_many(data, search, cfg.lambda_value, cfg.depth,
                         [seeds[best]] * cfg.bootstrap, rows, cfg.workers, progress,
                         "bootstrap")
    p, used = prepared.data.shape[1], prepared.used
    directed, undirected = (_expand(m, used, p) for m in restarts.runs[best])
    frequency = _expand(study.frequency, used, p)
    graph = _weighted(soft, cfg, prepared.data, directed, undirected, frequency,
                      prepared.lift)
    if cfg.min_lift > 0 and prepared.lift is None:
        prepared.record["warnings"].append(
            f"--min-lift {cfg.min_lift:g} not applied: it needs probabilities, and these "
            "soft labels are scores")
    graph.provenance = {**prepared.record, "min_lift_applied": prepared.lift is not None
                        and cfg.min_lift > 0,
                        "stability": _stability_record(restarts, study, best, cfg)}
    return graph


def _bounded(search: Any, cfg: GraphConfig, runs: int) -> Any:
    """The fast GRaSP search with its share of ``cfg.max_memory_mb`` for its trees, when
    ``runs`` run at once on ``cfg.workers``; other searches as they are."""
    if search is not fast_grasp:
        return search
    from avili.graph.stability import workers

    return partial(fast_grasp, budget=tree_budget(cfg.max_memory_mb)
                   // min(workers(cfg.workers), runs))


def _expand(matrix: np.ndarray, used: np.ndarray, p: int) -> np.ndarray:
    """(q, q) over the searched columns -> (p, p), zero for the left-out ones."""
    full = np.zeros((p, p), dtype=matrix.dtype)
    full[np.ix_(used, used)] = matrix
    return full


def _weighted(soft: SoftLabels, cfg: GraphConfig, data: np.ndarray, directed: np.ndarray,
              undirected: np.ndarray, frequency: np.ndarray, lift: np.ndarray | None = None
              ) -> Graph:
    """Weights, signs and pruning from the chosen CPDAG and the (p, p) edge frequencies.
    A co-occurrence edge (sign +1) whose nodes' soft-label ``lift`` (p, p) is below
    ``cfg.min_lift`` is dropped: the search found a dependence, but the teacher does not
    see the two events together more often than ``min_lift`` times chance."""
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(data, rowvar=False))  # constant columns -> 0
    coef = edge_coefficients(corr, directed, undirected)
    strength = np.abs(coef) * frequency
    scale = strength.max()
    weight = strength / scale if scale > 0 else strength
    sign = edge_signs(corr, coef)
    kept = frequency >= cfg.min_frequency
    if lift is not None and cfg.min_lift > 0:
        kept &= ~((sign > 0) & (lift < cfg.min_lift))
    keep = keep_top_k(np.where(kept, weight, 0.0), cfg.top_k)
    return Graph(class_names=list(soft.class_names),
                 weight=np.where(keep, weight, 0.0).astype(np.float32),
                 undirected=undirected & keep, sign=(sign * keep),
                 frequency=np.where(keep, frequency, 0.0).astype(np.float32))


def _stability_record(restarts: RunSet, study: RunSet, best: int, cfg: GraphConfig) -> dict:
    """What the provenance says about the runs behind the graph."""
    return {"algorithm": cfg.algorithm, "backend": cfg.backend, "restarts": cfg.restarts, "bootstrap": cfg.bootstrap,
            "min_frequency": cfg.min_frequency, "chosen_seed": restarts.seeds[best],
            "restart_scores": [round(float(v), 4) for v in restarts.scores],
            "frequency_from": "bootstrap" if cfg.bootstrap > 0 else "restarts",
            "mean_jaccard": round(study.jaccard, 4)}
