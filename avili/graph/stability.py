"""Many GRaSP runs instead of one: restarts (other seeds, same rows) and bootstrap
(resampled rows), run in parallel; each edge's frequency across runs; the BIC score that
picks the best restart; and the mean Jaccard overlap of the runs' adjacencies.

A run is a pair of (p, p) bool masks ``(directed, undirected)`` as returned by
:func:`avili.graph.discovery.run_grasp`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import numpy as np

from avili.progress import NullProgress, Progress

Run = tuple[np.ndarray, np.ndarray]
Search = Callable[[np.ndarray, float, int, int], Run]


@dataclass
class RunSet:
    """The runs of one stability study. ``frequency`` (p, p) float symmetric: share of runs
    in which the two nodes are adjacent; ``scores`` (R,) BIC per run on the rows it saw;
    ``jaccard``: mean pairwise Jaccard of the runs' adjacency sets (1.0 for one run)."""

    runs: list[Run]
    seeds: list[int]
    scores: np.ndarray
    frequency: np.ndarray
    jaccard: float


def workers(requested: int) -> int:
    """``requested`` if positive, else every core this process may use."""
    if requested > 0:
        return requested
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover (not Linux)
        return max(1, os.cpu_count() or 1)


def run_many(data: np.ndarray, search: Search, lambda_value: float, depth: int,
             seeds: list[int], rows: list[np.ndarray | None], n_jobs: int,
             progress: Progress | None = None, description: str = "search") -> RunSet:
    """``search`` on ``data[rows[k]]`` (all rows when None) with ``seeds[k]``, in parallel.

    data: (n, p) float64. Runs in separate processes (joblib), so each has its own
    ``random`` state, and results do not depend on ``n_jobs``. ``progress`` counts the
    finished runs.
    """
    from joblib import Parallel, delayed

    picks = [data if r is None else data[r] for r in rows]
    jobs = min(workers(n_jobs), len(seeds))
    progress = progress or NullProgress()
    progress.start(description, len(seeds))
    runs = []
    try:
        for run in Parallel(n_jobs=jobs, return_as="generator")(
                delayed(search)(x, lambda_value, depth, s) for x, s in zip(picks, seeds)):
            runs.append(run)
            progress.advance(1)
    finally:
        progress.stop()
    scores = np.array([cpdag_bic(x, d, u, lambda_value) for x, (d, u) in zip(picks, runs)])
    return RunSet(runs=list(runs), seeds=list(seeds), scores=scores,
                  frequency=adjacency_frequency(runs), jaccard=mean_jaccard(runs))


def bootstrap_rows(n: int, count: int, seed: int) -> list[np.ndarray]:
    """``count`` resamples of n row indices with replacement, each (n,) int64."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, n, n) for _ in range(count)]


def adjacency(run: Run) -> np.ndarray:
    """(p, p) bool symmetric: nodes joined by any edge."""
    directed, undirected = run
    return directed | directed.T | undirected


def adjacency_frequency(runs: list[Run]) -> np.ndarray:
    """(p, p) float64 symmetric share of runs in which each pair is adjacent."""
    return np.mean([adjacency(r) for r in runs], axis=0)


def mean_jaccard(runs: list[Run]) -> float:
    """Mean Jaccard index |A ∩ B| / |A ∪ B| of the adjacency sets over all run pairs."""
    sets = [np.triu(adjacency(r), 1) for r in runs]
    values = []
    for a in range(len(sets)):
        for b in range(a + 1, len(sets)):
            union = (sets[a] | sets[b]).sum()
            values.append((sets[a] & sets[b]).sum() / union if union else 1.0)
    return float(np.mean(values)) if values else 1.0


def cpdag_bic(data: np.ndarray, directed: np.ndarray, undirected: np.ndarray,
              lambda_value: float) -> float:
    """The BIC score (causal-learn's ``local_score_BIC_from_cov`` summed over nodes) of a
    CPDAG on ``data`` (n, p): the score of any DAG in its equivalence class (BIC is
    score-equivalent), here the consistent extension of :func:`consistent_extension`."""
    from avili.graph.fastscore import BicScore

    scorer = BicScore(data, lambda_value)
    dag = consistent_extension(directed, undirected)
    return float(sum(scorer.local(j, np.flatnonzero(dag[:, j])) for j in range(dag.shape[0])))


def consistent_extension(directed: np.ndarray, undirected: np.ndarray) -> np.ndarray:
    """(p, p) bool DAG in the class of the CPDAG (Dor & Tarsi 1992): repeatedly take a
    node with no outgoing directed edge whose undirected neighbours are adjacent to all its
    other neighbours, orient its undirected edges into it, and remove it."""
    dag = directed.copy()
    und = undirected.copy()
    alive = np.ones(dag.shape[0], dtype=bool)
    while alive.any():
        adj = dag | dag.T | und
        for x in np.flatnonzero(alive):
            if dag[x, alive].any():
                continue
            nbrs = np.flatnonzero(und[x] & alive)
            others = np.flatnonzero(adj[x] & alive)
            if all(adj[y, others[others != y]].all() for y in nbrs):
                dag[nbrs, x] = True
                und[x, :] = und[:, x] = False
                alive[x] = False
                break
        else:  # not a CPDAG of any DAG: orient what is left by index
            rest = np.triu(und & alive[:, None] & alive[None, :], 1)
            return dag | rest
    return dag
