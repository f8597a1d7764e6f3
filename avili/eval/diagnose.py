"""False-negative diagnostic: do a model's embeddings keep the clip pairs that the graph
links (and the labels call negatives) closer than another model's?

For each of the strongest co-occurrence edges u -> v of the graph (sign +1, classes
c_u != c_v), the pairs are the clips n, m with different annotated labels whose soft
labels are co-active: s_n[u] > tau in u's modality and s_m[v] > tau in v's. A pair's
distance is the mean of the two cross-modal Euclidean distances ||a_n - v_m|| and
||v_n - a_m|| between L2-normalized embeddings. For every model after the first,
``pull = D(first) - D(model)`` over the same pairs: positive when the model holds the
linked pairs closer than the first. The same is computed on random different-label pairs
as a control, since a model that shrinks every distance also "pulls" linked pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from avili.config import SEED_RANGE, check_fields
from avili.data.graphfile import Graph
from avili.eval.metrics import bootstrap_ci


@dataclass
class DiagnoseConfig:
    """``avili eval --diagnose-graph``."""

    top_edges: int = 10
    tau: float = 0.5
    max_pairs: int = 5000  # per edge, drawn at random (seeded)
    ci_samples: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        check_fields(self, top_edges=(1, math.inf), tau=(0, 1), max_pairs=(1, math.inf),
                     ci_samples=(1, math.inf), seed=SEED_RANGE)


def linked_pairs(graph: Graph, soft: tuple[np.ndarray, np.ndarray], label: np.ndarray,
                 u: int, v: int, cfg: DiagnoseConfig, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(n, m) index arrays of the co-active, differently labelled pairs of edge u -> v;
    ``soft`` is (audio, visual) (N, C) soft labels."""
    c = graph.num_classes
    first = np.flatnonzero(soft[u // c][:, u % c] > cfg.tau)
    second = np.flatnonzero(soft[v // c][:, v % c] > cfg.tau)
    n, m = np.repeat(first, second.size), np.tile(second, first.size)
    keep = (n != m) & (label[n] != label[m])
    n, m = n[keep], m[keep]
    if n.size > cfg.max_pairs:
        pick = np.sort(rng.choice(n.size, cfg.max_pairs, replace=False))
        n, m = n[pick], m[pick]
    return n, m


def pair_distance(emb: tuple[np.ndarray, np.ndarray], n: np.ndarray, m: np.ndarray
                  ) -> np.ndarray:
    """(P,) mean of ||a_n - v_m|| and ||v_n - a_m|| for embeddings (audio, visual) (N, E)."""
    a, v = emb
    return 0.5 * (np.linalg.norm(a[n] - v[m], axis=1) + np.linalg.norm(v[n] - a[m], axis=1))


def _pull(dists: list[np.ndarray], cfg: DiagnoseConfig) -> dict[str, Any]:
    """Mean distance per model and, for each later model, pull = D(first) - D(model)."""
    out: dict[str, Any] = {"pairs": int(dists[0].size),
                           "mean_distance": [float(d.mean()) if d.size else float("nan")
                                             for d in dists]}
    out["pull"] = [float((dists[0] - d).mean()) if d.size else float("nan")
                   for d in dists[1:]]
    out["pull_ci95"] = [bootstrap_ci(dists[0], d, cfg.ci_samples, cfg.seed) for d in dists[1:]]
    return out


def diagnose(graph: Graph, soft: tuple[np.ndarray, np.ndarray], label: np.ndarray,
             embeddings: list[tuple[np.ndarray, np.ndarray]], cfg: DiagnoseConfig
             ) -> dict[str, Any]:
    """Per-edge and pooled pulls for the ``cfg.top_edges`` strongest co-occurrence edges
    between different classes, plus the random-pair control. ``embeddings``: one
    (audio, visual) pair of (N, E) arrays per model, all over the same N clips."""
    rng = np.random.default_rng(cfg.seed)
    c = graph.num_classes
    edges = [(i, j, w) for i, j, w, _, sign in graph.edges() if sign > 0 and i % c != j % c]
    rows, pooled = [], [[] for _ in embeddings]
    for u, v, w in edges[:cfg.top_edges]:
        n, m = linked_pairs(graph, soft, label, u, v, cfg, rng)
        dists = [pair_distance(e, n, m) for e in embeddings]
        for bucket, d in zip(pooled, dists):
            bucket.append(d)
        rows.append({"cause": graph.nodes[u], "effect": graph.nodes[v], "weight": w,
                     **_pull(dists, cfg)})
    pooled_d = [np.concatenate(b) if b else np.zeros(0) for b in pooled]
    total = pooled_d[0].size  # no linked pairs: an empty control too
    n = rng.integers(0, label.size, 4 * total)
    m = rng.integers(0, label.size, 4 * total)
    keep = (n != m) & (label[n] != label[m])
    n, m = n[keep][:total], m[keep][:total]
    control = [pair_distance(e, n, m) for e in embeddings]
    return {"edges": rows, "all_edges": _pull(pooled_d, cfg), "control": _pull(control, cfg),
            "tau": cfg.tau}
