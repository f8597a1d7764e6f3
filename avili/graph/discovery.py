"""GRaSP on soft labels. The only module that imports causal-learn.

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

import numpy as np

from avili.config import GraphConfig
from avili.data.softlabels import SoftLabels
from avili.errors import AviliError
from avili.graph.graphfile import Graph


def run_grasp(data: np.ndarray, lambda_value: float = 2.0, depth: int = 3, seed: int = 0
              ) -> tuple[np.ndarray, np.ndarray]:
    """Run causal-learn's GRaSP with the BIC score on ``data`` (N, p).

    Returns ``directed`` (p, p) bool, ``directed[i, j]`` meaning i -> j, and
    ``undirected`` (p, p) bool, symmetric, for CPDAG edges i --- j.
    """
    from causallearn.search.PermutationBased.GRaSP import grasp

    saved = random.getstate()
    random.seed(seed)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = grasp(np.asarray(data, dtype=np.float64), score_func="local_score_BIC_from_cov",
                      depth=depth, parameters={"lambda_value": lambda_value}, verbose=False)
    finally:
        random.setstate(saved)
    return cpdag_to_masks(np.asarray(g.graph))


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


TRANSFORMS = ("auto", "logit", "none")
LOGIT_EPS = 1e-4


def transform_soft_labels(data: np.ndarray, transform: str, path: object = None
                          ) -> tuple[np.ndarray, str]:
    """Map (n, p) soft labels to the scale GRaSP's linear-Gaussian BIC score sees.

    ``logit`` uses log(p / (1 - p)) with p clipped to [1e-4, 1 - 1e-4]: probabilities are
    bounded and skewed, their log-odds much closer to linear-Gaussian. ``auto`` picks
    ``logit`` when every value lies in [0, 1] and ``none`` otherwise (e.g. scores from a
    linear label-space head, which can be negative); the choice is recorded in the graph.
    """
    if transform not in TRANSFORMS:
        raise AviliError(f"unknown transform {transform!r}; expected {', '.join(TRANSFORMS)}")
    probabilities = bool(data.min() >= 0.0 and data.max() <= 1.0)
    if transform == "auto":
        transform = "logit" if probabilities else "none"
    if transform == "logit":
        if not probabilities:
            raise AviliError("--transform logit needs probabilities in [0, 1]; these values "
                             f"span [{data.min():.3g}, {data.max():.3g}]; use --transform none",
                             path)
        clipped = np.clip(data, LOGIT_EPS, 1 - LOGIT_EPS)
        return np.log(clipped / (1 - clipped)), transform
    return data, transform


def infer_graph(soft: SoftLabels, cfg: GraphConfig) -> Graph:
    """GRaSP on the ``cfg.split`` rows of ``[audio | visual]`` soft labels (n, 2C), after
    :func:`transform_soft_labels`.

    Edge weights are absolute standardized coefficients divided by the largest one, so
    they lie in [0, 1]; ``sign`` keeps the coefficient's sign. ``cfg.top_k`` prunes as in
    :func:`keep_top_k`.
    """
    raw = np.column_stack([soft.audio, soft.visual])[soft.rows(cfg.split)].astype(np.float64)
    data, transform = transform_soft_labels(raw, cfg.transform, soft.path)
    constant = np.flatnonzero(data.std(axis=0) < 1e-12)
    if constant.size:
        names = [f"{m}:{c}" for m in ("audio", "visual") for c in soft.class_names]
        raise AviliError(f"soft-label column {names[constant[0]]} is constant over the "
                         f"{cfg.split} rows; GRaSP needs variation in every column", soft.path)
    if data.shape[0] < 3:
        raise AviliError(f"only {data.shape[0]} rows in split {cfg.split!r}", soft.path)
    directed, undirected = run_grasp(data, cfg.lambda_value, cfg.depth, cfg.seed)
    corr = np.corrcoef(data, rowvar=False)
    coef = edge_coefficients(corr, directed, undirected)
    scale = np.abs(coef).max()
    weight = np.abs(coef) / scale if scale > 0 else np.abs(coef)
    keep = keep_top_k(weight, cfg.top_k)
    weight = np.where(keep, weight, 0.0).astype(np.float32)
    return Graph(class_names=list(soft.class_names), weight=weight,
                 undirected=undirected & keep, sign=(edge_signs(corr, coef) * keep),
                 provenance={"transform": transform, "rows": int(data.shape[0])})
