"""What GRaSP sees: the split's ``[audio | visual]`` soft-label rows on a scale that suits
its linear-Gaussian BIC score, with degenerate columns found and handled.

Input kinds (``--input-kind``):

- ``probs``: sigmoid probabilities in [0, 1], mapped to log-odds log(p / (1 - p)) with p
  clipped to [1e-4, 1 - 1e-4]. Probabilities are bounded and skewed; their log-odds are
  much closer to linear-Gaussian (on the synthetic benchmark recall went from about 0.2
  on raw probabilities to about 0.8).
- ``probs-linear``: probabilities searched as they are, without log-odds. At hundreds
  of classes a confident teacher puts most values below the clip, and the log-odds of
  what is left (tiny probabilities moved by features the heads share) tie every column
  to hundreds of others; the probabilities themselves keep to the events (BENCHMARKS.md,
  "The pipeline at VGGSound shape"). The lift filter applies as for ``probs``.
- ``logits``: real-valued scores (logits, or label-space regressions such as the real
  AVE15 file, which can be negative) used as they are.
- ``auto``: ``probs`` when every value lies in [0, 1], else ``logits``.

Degenerate columns never crash the search and never pass silently:

- a **constant** column carries no information; it is left out of the search (its node
  gets no edges) and a warning names it;
- **collinear** columns (the correlation matrix is singular, e.g. one modality's scores
  sum to exactly 1 in every row) make some regressions undetermined; the search still
  runs (the score uses a pseudo-inverse there) and a warning names the problem and the
  remedy: leave one class out of that modality, or pass scores that do not sum to 1.
  Scores that sum to *about* 1 (label-space regressions) are only noted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from avili.config import INPUT_KINDS, GraphConfig
from avili.data.softlabels import SoftLabels
from avili.errors import AviliError

PROBABILITY_KINDS = ("probs", "probs-linear")  # values must lie in [0, 1]; lift applies

LOGIT_EPS = 1e-4


@dataclass
class GraphInput:
    """data: (n, p) float64 as GRaSP sees it; used: (q,) int64 columns that enter the
    search (the others are constant); record: what was done, for the provenance."""

    data: np.ndarray
    used: np.ndarray
    record: dict = field(default_factory=dict)
    lift: np.ndarray | None = None  # (p, p) soft-label lift; None for logit inputs


def to_search_scale(data: np.ndarray, input_kind: str, path: object = None
                    ) -> tuple[np.ndarray, str]:
    """(n, p) values -> the scale the search sees, and the kind used (probs or logits)."""
    if input_kind not in INPUT_KINDS:
        raise AviliError(f"unknown input kind {input_kind!r}; expected "
                         f"{', '.join(INPUT_KINDS)}")
    probabilities = bool(data.min() >= 0.0 and data.max() <= 1.0)
    if input_kind == "auto":
        input_kind = "probs" if probabilities else "logits"
    if input_kind in PROBABILITY_KINDS and not probabilities:
        raise AviliError(f"--input-kind {input_kind} needs values in [0, 1]; these span "
                         f"[{data.min():.3g}, {data.max():.3g}]; use --input-kind logits", path)
    if input_kind == "probs":
        return _log_odds(data), input_kind
    return data, input_kind


def _log_odds(probs: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)) of (n, p) float64 ``probs`` clipped to [LOGIT_EPS, 1 - LOGIT_EPS],
    with one temporary of its size (the values are those of the plain expression)."""
    clipped = np.clip(probs, LOGIT_EPS, 1 - LOGIT_EPS)
    odds = np.subtract(1, clipped)
    np.divide(clipped, odds, out=clipped)
    del odds
    return np.log(clipped, out=clipped)


def prepare(soft: SoftLabels, cfg: GraphConfig) -> GraphInput:
    """The ``cfg.split`` rows of ``[audio | visual]`` (n, 2C), scaled and checked."""
    raw = _stacked(soft, soft.rows(cfg.split))
    if raw.shape[0] < 3:
        raise AviliError(f"only {raw.shape[0]} rows in split {cfg.split!r}", soft.path)
    data, kind = to_search_scale(raw, cfg.input_kind, soft.path)
    names = [f"{m}:{c}" for m in ("audio", "visual") for c in soft.class_names]
    constant = data.std(axis=0) < 1e-12
    if constant.sum() > data.shape[1] - 2:
        raise AviliError(f"{int(constant.sum())} of {data.shape[1]} soft-label columns are "
                         f"constant over the {cfg.split} rows; nothing to search", soft.path)
    warnings = []
    if constant.any():
        warnings.append(f"constant column(s) left out of the search, no edges: "
                        f"{', '.join(n for n, c in zip(names, constant) if c)}")
    used = np.flatnonzero(~constant)
    warnings += _collinearity(data, used, raw)
    record = {"input_kind": kind, "transform": "logit" if kind == "probs" else "none",
              "rows": int(data.shape[0]), "warnings": warnings,
              "label_space": _sums_to_one(raw)}
    return GraphInput(data=data, used=used, record=record,
                      lift=soft_lift(raw) if kind in PROBABILITY_KINDS else None)


def _stacked(soft: SoftLabels, rows: np.ndarray) -> np.ndarray:
    """(n, 2C) float64 ``[audio | visual]`` of ``rows``, without a full-size temporary."""
    c = soft.audio.shape[1]
    raw = np.empty((len(rows), 2 * c))
    raw[:, :c], raw[:, c:] = soft.audio[rows], soft.visual[rows]
    return raw


def soft_lift(probs: np.ndarray) -> np.ndarray:
    """(p, p) lift of (n, p) probabilities: ``E[p_i p_j] / (E[p_i] E[p_j])``, how much more
    often the teacher sees two events together than independence predicts (1: no
    association; 0 where a column is all zero)."""
    mean = probs.mean(axis=0)
    joint = probs.T @ probs / probs.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(joint / np.outer(mean, mean), posinf=0.0)


def _correlation(data: np.ndarray, used: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """(q, q) correlation of the ``used`` columns of ``data`` (n, p), centred and summed
    ``chunk`` rows at a time: no copy of the data."""
    starts = range(0, data.shape[0], chunk)
    mean = sum(data[a:a + chunk, used].sum(axis=0) for a in starts) / data.shape[0]
    gram = np.zeros((used.size, used.size))
    for a in starts:
        block = data[a:a + chunk, used] - mean
        gram += block.T @ block
    sd = np.sqrt(np.diag(gram))
    with np.errstate(invalid="ignore", divide="ignore"):
        return gram / np.outer(sd, sd)


def _collinearity(data: np.ndarray, used: np.ndarray, raw: np.ndarray) -> list[str]:
    corr = _correlation(data, used)
    eig = np.linalg.eigvalsh(corr)
    if eig[0] > 1e-9 * eig[-1]:
        return []
    sums = " (a modality's values sum to 1 in every row)" if _sums_to_one(raw, 1e-9) else ""
    return [f"the columns are collinear{sums}: smallest correlation eigenvalue "
            f"{eig[0]:.2g}; some edges among them are undetermined. Remedy: leave one class "
            "out of that modality, or pass scores that do not sum to 1"]


def _sums_to_one(raw: np.ndarray, tol: float = 0.05) -> bool:
    """Whether each modality's row sums stay within ``tol`` of 1 on average (label-space
    scores; the real AVE15 file deviates by 0.03 on average)."""
    c = raw.shape[1] // 2
    return bool(all(np.abs(raw[:, half].sum(axis=1) - 1).mean() < tol
                    for half in (slice(0, c), slice(c, None))))
