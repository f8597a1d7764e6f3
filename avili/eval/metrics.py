"""Retrieval metrics over the full ranked gallery, exact, in bounded-memory query chunks.

Every metric is read off two counts per (query, relevant gallery item) pair:
``A`` = number of gallery items scoring at least the item's score (its rank, a group of
tied scores ranked at its last position) and ``B`` = number of relevant items scoring at
least as much. With R relevant items for the query:

- AP = (1/R) sum B / A: the precision at each relevant item's score threshold, which is
  scikit-learn's ``average_precision_score`` (tied items enter the ranking together, so
  the order of ties never matters);
- P@k = #{A <= k} / k, R@k = #{A <= k} / R, RR = 1 / min A;
- mAP@R (Musgrave et al., 2020) = (1/R) sum over A <= R of B / A;
- ``cumulative`` (NON-STANDARD, reproduces code that appends the running mean of the
  precisions at hits after every rank and averages those): (1/G) sum over ranks j of the
  mean of B / A over the hits ranked at or before j, 0 before the first hit.

Cutoff metrics count a tied group only where all of it fits within the cutoff. Queries with
no relevant item have no value (NaN); means skip them and report how many there were.

``A`` is found per query by counting, not ranking, where that is cheaper: with up to
``COUNT_MAX`` relevant items, one compare pass over the gallery per item; otherwise one
``np.sort`` of the query's scores and a binary search of its R relevant scores (sorted
first, so the searches walk the row in order). ``B`` then follows from the order of ``A``.
Both are exact counts, so ties need no special case.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from avili.errors import AviliError

KS = (1, 5, 10)
COUNT_MAX = 4  # up to this many relevant items, R compare passes beat one sort (G = 20k)
Relevance = Callable[[int, int], np.ndarray]  # (start, stop) -> (stop - start, G) bool


def relevant_ranks(scores: np.ndarray, relevant: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The counts behind every metric, for scores (Q, G) (higher = closer) and relevant
    (Q, G) bool. Returns q (M,), A (M,) and B (M,) int64 for the M relevant pairs, sorted
    by query and then rank, and R (Q,) int64 the relevant items of each query."""
    scores = np.asarray(scores)
    if scores.dtype.kind != "f":
        scores = scores.astype(np.float64)
    if scores.size and np.isnan(scores.max()):
        raise AviliError("retrieval scores contain NaN (NaN embeddings or features?)")
    flat = np.flatnonzero(relevant)
    q = flat // max(1, scores.shape[1])
    picked = scores[q, flat - q * scores.shape[1]]
    counts = np.bincount(q, minlength=scores.shape[0])
    bounds = np.concatenate(([0], np.cumsum(counts)))
    a = np.empty(q.size, np.int64)
    for row in np.flatnonzero(counts):
        lo, hi = bounds[row], bounds[row + 1]
        a[lo:hi] = _row_ranks(scores[row], picked[lo:hi])
    group_end = np.flatnonzero(np.concatenate((np.diff(a) != 0, [True]))
                               | np.concatenate((np.diff(q) != 0, [True])))
    last = np.repeat(group_end, np.diff(np.concatenate(([-1], group_end))))
    return q, a, last - bounds[q] + 1, counts


def _row_ranks(row: np.ndarray, picked: np.ndarray) -> np.ndarray:
    """(R,) int64 ranks, ascending, of the R relevant scores ``picked`` among one query's
    gallery scores ``row`` (G,): the number of items scoring at least as much, so a tied
    group ranks at its last position. Up to COUNT_MAX relevant items are counted directly
    (R compare passes, no sort); more sort the row once and binary-search it."""
    mine = np.sort(picked)[::-1]
    if mine.size <= COUNT_MAX:
        return np.count_nonzero(row >= mine[:, None], axis=1)
    ordered = np.sort(row)
    return row.size - np.searchsorted(ordered, mine, side="left")


def query_metrics(scores: np.ndarray, relevant: np.ndarray, ks: tuple[int, ...] = KS
                  ) -> dict[str, np.ndarray]:
    """Per-query metrics (each (Q,) float64, NaN without relevant items) for scores (Q, G)
    and relevant (Q, G) bool: AP, mAP@R, RR, P@k and R@k for each k, and the
    non-standard cumulative AP."""
    q, a, b, counts = relevant_ranks(scores, relevant)
    n, g = counts.size, np.asarray(scores).shape[1]
    starts = np.concatenate(([0], np.cumsum(counts)))[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        per = lambda values: np.bincount(q, values, minlength=n) / counts  # noqa: E731
        prec = b / a
        out = {"AP": per(prec), "mAP@R": per(np.where(a <= counts[q], prec, 0.0)),
               "RR": np.full(n, np.nan)}
        out["RR"][counts > 0] = 1.0 / a[starts[counts > 0]]
        for k in ks:
            hits = np.bincount(q, a <= k, minlength=n)
            out[f"P@{k}"] = np.where(counts > 0, hits / k, np.nan)
            out[f"R@{k}"] = hits / counts
        out["cumulative"] = _cumulative(q, a, prec, counts, starts, g)
    return out


def _cumulative(q: np.ndarray, a: np.ndarray, prec: np.ndarray, counts: np.ndarray,
                starts: np.ndarray, g: int) -> np.ndarray:
    """(Q,) the non-standard cumulative AP from rank-sorted hits: each holds the running
    mean of the precisions so far until the next hit's rank (the last until rank G)."""
    start = starts[q]
    total = np.cumsum(prec)
    running = (total - np.concatenate(([0.0], total))[start]) / (np.arange(q.size) - start + 1)
    last = np.arange(q.size) == start + counts[q] - 1
    nxt = np.where(last, g + 1, np.roll(a, -1))
    return np.bincount(q, running * (nxt - a), minlength=counts.size) / g / (counts > 0)


def pr_curve(scores: np.ndarray, relevant: np.ndarray, levels: int = 101) -> np.ndarray:
    """(Q, levels) interpolated precision at recall 0, 1/(levels-1), ..., 1 for each query
    (the best precision at that recall or beyond), NaN rows without relevant items."""
    q, a, b, counts = relevant_ranks(scores, relevant)
    grid = np.linspace(0.0, 1.0, levels)
    out = np.full((counts.size, levels), np.nan)
    start = 0
    for row, r in enumerate(counts):
        if r:
            prec = (b[start:start + r] / a[start:start + r])[::-1]
            best = np.maximum.accumulate(prec)[::-1]  # best precision from each hit on
            first = np.searchsorted(b[start:start + r] / r, grid - 1e-12, side="left")
            out[row] = np.where(first < r, best[np.minimum(first, r - 1)], 0.0)
        start += r
    return out


def chunked_metrics(queries: np.ndarray, gallery: np.ndarray, relevance: Relevance,
                    chunk: int = 0, workers: int = 2, ks: tuple[int, ...] = KS,
                    per_chunk: Callable[[np.ndarray, np.ndarray], dict] | None = None
                    ) -> dict[str, np.ndarray]:
    """Per-query metrics of cosine (dot-product) retrieval, queries (Q, E) against
    gallery (G, E), scored ``chunk`` queries at a time so memory stays near
    chunk x G x 9 bytes per worker; ``relevance(i, j)`` gives rows i..j-1 of the (Q, G)
    relevance. ``chunk`` 0 picks about 2^21 scores per chunk (buffers small enough for
    the allocator to reuse, which on this machine beat larger chunks). BLAS runs one
    thread per worker: on chunks this small its own threads only contend.
    ``per_chunk`` (scores, relevant) -> {name: (rows, ...) array} replaces
    :func:`query_metrics`."""
    per_chunk = per_chunk or (lambda s, r: query_metrics(s, r, ks))
    chunk = chunk or max(1, min(4096, (1 << 21) // max(1, gallery.shape[0])))
    starts = range(0, queries.shape[0], chunk)

    def one(i: int) -> dict[str, np.ndarray]:
        j = min(i + chunk, queries.shape[0])
        return per_chunk(queries[i:j] @ gallery.T, relevance(i, j))

    with _one_blas_thread(), ThreadPoolExecutor(max(1, workers)) as pool:
        parts = list(pool.map(one, starts))
    if not parts:
        empty = np.zeros((0, gallery.shape[0]))
        return per_chunk(empty, empty.astype(bool))
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """Limit BLAS to one thread (a no-op without threadpoolctl, which scikit-learn
    installs): the chunks are small and the workers are the parallelism."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def average_precision(scores: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """(Q,) AP per query from scores (Q, G) and relevant (Q, G) bool; NaN without
    relevant items."""
    return query_metrics(scores, relevant, ks=())["AP"]


def mean_average_precision(scores: np.ndarray, relevant: np.ndarray, chunk: int = 1024
                           ) -> tuple[float, np.ndarray]:
    """(mAP, per-query AP (Q,)) over chunks of ``chunk`` queries of a precomputed
    (Q, G) score matrix."""
    parts = [average_precision(scores[i:i + chunk], relevant[i:i + chunk])
             for i in range(0, scores.shape[0], chunk)]
    ap = np.concatenate(parts) if parts else np.zeros(0)
    return nan_mean(ap), ap


def nan_mean(values: np.ndarray) -> float:
    """Mean over the non-NaN entries; NaN when there are none."""
    valid = values[~np.isnan(values)]
    return float(valid.mean()) if valid.size else float("nan")


def bootstrap_ci(values: np.ndarray, baseline: np.ndarray | None = None, samples: int = 1000,
                 seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI over queries of mean(values), or of mean(values - baseline)
    when a paired (Q,) ``baseline`` is given (the same queries resampled for both).
    Queries that are NaN in either are left out."""
    diff = values if baseline is None else values - baseline
    diff = diff[~np.isnan(diff)]
    if diff.size == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = np.concatenate([diff[rng.integers(0, diff.size, (min(100, samples - s),
                                                             diff.size))].mean(axis=1)
                            for s in range(0, samples, 100)])
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return float(lo), float(hi)
