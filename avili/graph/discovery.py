"""causal-learn's GRaSP, wrapped, and the edge quantities read off its CPDAG. The only
module that imports causal-learn.

causal-learn's ``grasp()`` has no seed argument (it shuffles the global ``random``),
prints progress to stdout, and returns a ``GeneralGraph`` whose encoding is described
only in prose. :func:`run_grasp` hides all three: it seeds ``random`` right before the
call and restores its state afterwards, silences stdout, and returns plain boolean
matrices.
"""

from __future__ import annotations

import contextlib
import io
import random
import warnings
from typing import Iterator

import numpy as np



def run_grasp(data: np.ndarray, lambda_value: float = 2.0, depth: int = 3, seed: int = 0
              ) -> tuple[np.ndarray, np.ndarray]:
    """Run causal-learn's GRaSP with the BIC score on ``data`` (N, p).

    Returns ``directed`` (p, p) bool, ``directed[i, j]`` meaning i -> j, and
    ``undirected`` (p, p) bool, symmetric, for CPDAG edges i --- j.
    """
    from causallearn.search.PermutationBased.GRaSP import grasp

    with _seeded_quietly(seed):
        g = grasp(np.asarray(data, dtype=np.float64), score_func="local_score_BIC_from_cov",
                  depth=depth, parameters={"lambda_value": lambda_value}, verbose=False)
    return cpdag_to_masks(np.asarray(g.graph))


def run_boss(data: np.ndarray, lambda_value: float = 2.0, depth: int = 3, seed: int = 0
             ) -> tuple[np.ndarray, np.ndarray]:
    """Run causal-learn's BOSS (best order score search) with the BIC score on ``data``
    (N, p); ``depth`` is unused (BOSS has none). Returns masks as :func:`run_grasp`."""
    from causallearn.search.PermutationBased.BOSS import boss

    with _seeded_quietly(seed):
        g = boss(np.asarray(data, dtype=np.float64), score_func="local_score_BIC_from_cov",
                 parameters={"lambda_value": lambda_value}, verbose=False)
    return cpdag_to_masks(np.asarray(g.graph))


@contextlib.contextmanager
def _seeded_quietly(seed: int) -> Iterator[None]:
    """Seed the global ``random`` (causal-learn's only source of randomness here), restore
    it afterwards, and silence causal-learn's stdout and warnings."""
    saved = random.getstate()
    random.seed(seed)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        random.setstate(saved)


def cpdag_to_masks(encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """causal-learn's encoding (``G.graph[j, i] == 1 and G.graph[i, j] == -1`` is i -> j;
    -1 both ways is i --- j) to (directed, undirected) boolean (p, p) masks."""
    directed = (encoded.T == 1) & (encoded == -1)
    undirected = (encoded == -1) & (encoded.T == -1)
    return directed, undirected


def edge_coefficients(corr: np.ndarray, directed: np.ndarray, undirected: np.ndarray
                      ) -> np.ndarray:
    """(p, p) standardized regression coefficients of each edge, from the (p, p)
    correlation matrix ``corr`` of the data GRaSP saw.

    For each node j, regress standardized x_j on its parents and undirected neighbours
    (ordinary least squares on the correlation matrix); ``coef[i, j]`` is the coefficient
    of x_i. An undirected edge gets the mean of its two coefficients, both ways.
    """
    adjacent = directed | undirected
    coef = np.zeros_like(corr)
    for j in range(corr.shape[0]):
        parents = np.flatnonzero(adjacent[:, j])
        if parents.size:
            sub = corr[np.ix_(parents, parents)]
            coef[parents, j] = np.linalg.lstsq(sub, corr[parents, j], rcond=None)[0]
    both = np.where(undirected, (coef + coef.T) / 2, coef)
    return np.where(adjacent, both, 0.0)


def edge_signs(corr: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """(p, p) int8 from ``corr`` (p, p) and ``coef`` (p, p): +1 co-occurrence,
    -1 competition, 0 mixed.

    An edge is +1 when both its standardized coefficient and the marginal correlation of
    its two nodes are positive, -1 when both are negative. When they disagree the
    coefficient comes from suppression (the edge corrects for other parents), not from a
    dependency of its own, and the sign is 0; LIR ignores such edges.
    """
    agree = np.sign(coef) == np.sign(corr)
    return np.where(agree, np.sign(coef), 0).astype(np.int8)


def keep_top_k(weight: np.ndarray, k: int) -> np.ndarray:
    """(p, p) bool: edges that rank within the ``k`` strongest incident edges of at least one
    endpoint (incoming and outgoing together). ``k <= 0`` keeps every edge."""
    present = weight > 0
    if k <= 0:
        return present
    sym = np.maximum(weight, weight.T)
    rank = np.argsort(np.argsort(-sym, axis=1, kind="stable"), axis=1, kind="stable")
    top = (rank < k) & (sym > 0)
    return present & (top | top.T)
