"""Batched linear-Gaussian BIC local scores for :mod:`avili.graph.fastgrasp`.

The score is causal-learn's ``local_score_BIC_from_cov`` (higher is better)::

    score(v, S) = -0.5 * n * (1 + log(sigma)) - lambda * (|S| + 1) * log(n)

with ``sigma`` the residual variance of x_v regressed on x_S, read off the (p, p)
covariance with ``ddof=0``, and ``sigma <= 0`` replaced by machine epsilon. GRaSP asks
for scores in two batches: every one-parent extension of a set (grow), from a residual
state updated by one rank-one step per added parent, and the best one-parent deletions
(shrink), from the inverse of the (m, m) parent block, downdated per deletion.
"""

from __future__ import annotations

import math

import numpy as np

EPS = np.finfo(float).eps


def _inv(block: np.ndarray) -> np.ndarray:
    """(m, m) inverse, pseudo-inverse when singular (as causal-learn falls back)."""
    try:
        return np.linalg.inv(block)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(block)


class BicScore:
    """BIC local scores of the columns of ``data`` (n, p), covariance computed once."""

    def __init__(self, data: np.ndarray, lambda_value: float):
        data = np.asarray(data, dtype=np.float64, order="C")  # causal-learn's layout, and
        self.cov = np.cov(data.T, ddof=0)  # so its BLAS path: the same covariance, bit for bit
        self.n = data.shape[0]
        self.lambda_value = lambda_value
        self.log_n = np.log(self.n)

    def _bic(self, sigma: float, n_parents: int) -> float:
        if sigma <= 0:
            sigma = EPS
        likelihood = -0.5 * self.n * (1 + np.log(sigma))
        return float(likelihood - self.lambda_value * (n_parents + 1) * self.log_n)

    def empty(self, v: int) -> float:
        """Score of ``v`` with no parents."""
        return self._bic(self.cov[v, v], 0)

    def local(self, v: int, parents: np.ndarray) -> float:
        """Score of ``v`` with the parent set ``parents`` (m,) int, computed directly."""
        if parents.size == 0:
            return self.empty(v)
        y = self.cov[v, parents]
        return self._bic(float(self.cov[v, v] - y @ _inv(self.cov[np.ix_(parents, parents)]) @ y),
                         parents.size)

    def exact(self, v: int, parents: list[int]) -> float:
        """Score of ``v`` with ``parents`` in this order, by causal-learn's own arithmetic
        (``yX @ inv(XX) @ yX.T``), so the value is bit-identical to its own. Where a search
        compares sums of scores with no threshold, ties are settled by rounding, and
        those sums must round alike."""
        if not parents:
            return self.empty(v)
        y = self.cov[np.ix_([v], parents)]
        sigma = float((self.cov[v, v] - y @ _inv(self.cov[np.ix_(parents, parents)]) @ y.T
                       ).item())
        return self._bic(sigma, len(parents))

    def root(self, v: int) -> tuple:
        """Residual state of ``v`` with no parents.

        A state is ``(r, d, w)``: r (p,) the residual covariance of x_v with every x_a
        given x_S; d (p,) the residual variance of every x_a, inf for a in S + [v] so
        that those never look like improvements; w (|S|, p) the Cholesky rows of S.
        """
        d = np.diag(self.cov).copy()
        d[v] = np.inf
        return self.cov[v], d, np.empty((0, self.cov.shape[0]))

    def extend(self, state: tuple, v: int, b: int) -> tuple:
        """Residual state of ``v`` given S + [b] from its ``state`` given S (rank one)."""
        r, d, w = state
        scale = 1.0 / math.sqrt(d[b]) if d[b] > 0 else 0.0  # a collinear b adds nothing
        if w.shape[0]:
            col = (self.cov[b] - w[:, b] @ w) * scale
        else:
            col = self.cov[b] * scale
        d = d - col * col
        d[b] = np.inf
        return r - col * col[v], d, np.concatenate((w, col[None]))

    def grow(self, state: tuple, v: int) -> np.ndarray:
        """(p,) scores of ``v`` with parents S + [a] for every a, from its residual
        ``state`` given S; a in S + [v] get a score below that of S itself."""
        r, d, w = state
        return self.scores(r[v] - r * r / d, w.shape[0] + 1)

    def shrink(self, v: int, parents: list[int], score: float) -> tuple[list[int], float]:
        """Greedy backward deletion from ``parents`` (m,) of ``v``, whose score is ``score``.

        Each round drops the first parent whose removal gives the highest score, if that
        beats the current one. Returns (dropped parents in order, final score).
        """
        idx = np.array(parents)
        cov = self.cov
        inv = _inv(cov[idx[:, None], idx])
        c_sv = cov[idx, v]
        removed = []
        while idx.size:
            beta = inv @ c_sv
            sigma = (cov[v, v] - c_sv @ beta) + beta * beta / inv.diagonal()
            scores = self.scores(sigma, idx.size - 1)
            r = int(scores.argmax())
            if not scores[r] > score:
                break
            score = float(scores[r])
            removed.append(int(idx[r]))
            keep = np.arange(idx.size) != r
            inv = inv[keep][:, keep] - np.outer(inv[keep, r], inv[r, keep]) / inv[r, r]
            idx, c_sv = idx[keep], c_sv[keep]
        return removed, score

    def scores(self, sigma: np.ndarray, n_parents: int) -> np.ndarray:
        """(k,) scores from (k,) residual variances of sets with ``n_parents`` parents."""
        if sigma.min() <= 0:
            sigma = np.where(sigma <= 0, EPS, sigma)
        likelihood = -0.5 * self.n * (1 + np.log(sigma))
        return likelihood - self.lambda_value * (n_parents + 1) * self.log_n
