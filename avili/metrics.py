"""Retrieval metrics. mAP is standard average precision over the full ranked gallery.

AP of one query = sum over relevance levels of (recall step) x (precision), computed at
each distinct score threshold, exactly as scikit-learn's ``average_precision_score``:
gallery items with tied scores enter the ranking together, so the order of ties never
matters. Queries with no relevant gallery item have no AP; they are left out of the mean
and counted in ``queries_without_relevant``.
"""

from __future__ import annotations

import numpy as np


def average_precision(scores: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """(Q,) float64 AP per query from scores (Q, G) (higher = closer) and relevant (Q, G)
    bool; NaN for a query without relevant items."""
    scores = np.asarray(scores, dtype=np.float64)
    relevant = np.asarray(relevant, dtype=bool)
    g = scores.shape[1]
    order = np.argsort(-scores, axis=1, kind="stable")
    s_sorted = np.take_along_axis(scores, order, axis=1)
    r_sorted = np.take_along_axis(relevant, order, axis=1)
    hits = np.cumsum(r_sorted, axis=1)
    precision = hits / np.arange(1, g + 1)
    # Each position takes the precision at the end of its tie group.
    group_end = np.ones_like(r_sorted)
    group_end[:, :-1] = s_sorted[:, 1:] != s_sorted[:, :-1]
    end_index = np.where(group_end, np.arange(g), g - 1)
    end_index = np.minimum.accumulate(end_index[:, ::-1], axis=1)[:, ::-1]
    tied_precision = np.take_along_axis(precision, end_index, axis=1)
    total = hits[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = (tied_precision * r_sorted).sum(axis=1) / total
    return np.where(total > 0, ap, np.nan)


def mean_average_precision(scores: np.ndarray, relevant: np.ndarray, chunk: int = 1024
                           ) -> tuple[float, np.ndarray]:
    """(mAP, per-query AP (Q,)) over chunks of ``chunk`` queries, so memory stays bounded."""
    parts = [average_precision(scores[i:i + chunk], relevant[i:i + chunk])
             for i in range(0, scores.shape[0], chunk)]
    ap = np.concatenate(parts) if parts else np.zeros(0)
    valid = ~np.isnan(ap)
    return (float(ap[valid].mean()) if valid.any() else float("nan")), ap


def cross_modal_map(audio: np.ndarray, visual: np.ndarray, rel_a2v: np.ndarray,
                    rel_v2a: np.ndarray) -> dict[str, float]:
    """Standard mAP both ways with cosine scores.

    audio (N, E) and visual (N, E) L2-normalized embeddings of the same N clips;
    rel_a2v (N, N) bool: visual item m is relevant to audio query n; rel_v2a likewise.
    """
    scores = audio.astype(np.float64) @ visual.astype(np.float64).T
    a2v, ap_a = mean_average_precision(scores, rel_a2v)
    v2a, ap_v = mean_average_precision(scores.T, rel_v2a)
    return {"a2v_mAP": a2v, "v2a_mAP": v2a, "avg_mAP": (a2v + v2a) / 2,
            "queries": int(audio.shape[0]),
            "queries_without_relevant": int(np.isnan(ap_a).sum() + np.isnan(ap_v).sum())}
