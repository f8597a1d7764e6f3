"""BOSS with the BIC score, a fast re-implementation of causal-learn 0.1.4.8's ``boss()``.

Same search, same decisions: the order starts as ``0..p-1``; each pass shuffles the
variables (one ``random.shuffle`` per pass, from a private ``random.Random(seed)``) and
moves each variable to the position that maximizes the total score, when that beats its
current position by more than 1e-6 (causal-learn's ``better_mutation``). Positions with
equal totals are common (moving a variable past an unrelated one changes nothing), and
causal-learn settles them by floating-point rounding: the first strictly greater running
sum wins. So the totals here are summed in its order from bit-identical local scores
(:meth:`avili.graph.fastscore.BicScore.exact`).

Faster because a trace is recomputed only when it can change: a vertex's trace depends on
its prefix only through the adds its walk scanned (:meth:`_BossTree.walk`), so inserting
or removing one variable re-walks only the trees that scanned it, and the moving
variable's own trace along the order is re-walked only when the prefix reaches one of its
passed-over adds. Grow-shrink trees and local scores are those of
:mod:`avili.graph.fastgrasp`.
"""

from __future__ import annotations

import random

import numpy as np

from avili.graph.fastgrasp import _Node, _Tree, dag_to_cpdag
from avili.graph.fastscore import BicScore


class _BossTree(_Tree):
    """A grow-shrink tree whose leaf scores are causal-learn's exact values."""

    def walk(self, pos: list[int], k: int) -> tuple[float, list[int], list[int]]:
        """Trace with the prefix ``{a: pos[a] < k}``; returns (score, parents, scanned)
        (see :meth:`_Tree.trace`)."""
        parents, scanned = [], []
        score = self.trace(pos, k, parents, scanned)
        return score, parents, scanned

    def _shrink(self, node: _Node, parents: list[int]) -> None:
        path = parents[:]
        super()._shrink(node, parents)
        node.best = self._exact_best(node, path)

    def _exact_best(self, node: _Node, path: list[int]) -> float:
        """The leaf's score as causal-learn computes it: its grow score uses the parents in
        path order; a shrink leaves the score of its last accepted removal, whose parent
        list is that round's list rotated to start after the removed parent."""
        if not node.remove:
            return self.scorer.exact(self.vertex, path)
        last = [a for a in path if a not in node.remove[:-1]]
        idx = last.index(node.remove[-1])
        return self.scorer.exact(self.vertex, last[idx + 1:] + last[:idx])


class _Boss:
    """The order, each vertex's current trace, and causal-learn's ``better_mutation``."""

    def __init__(self, scorer: BicScore, p: int):
        self.p, self.out = p, p + 1  # pos[v] = out: v is in no prefix
        self.trees = [_BossTree(v, scorer, p) for v in range(p)]
        self.order = list(range(p))
        self.pos = list(range(p))
        self.score = [0.0] * p
        self.scanned: list[set] = [set()] * p
        for v in range(p):
            self._refresh(v)

    def _refresh(self, w: int) -> None:
        score, _, scanned = self.trees[w].walk(self.pos, self.pos[w])
        self.score[w], self.scanned[w] = score, set(scanned)

    def _other(self, w: int, v: int) -> float:
        """w's score with ``pos[v]`` as it is set now (v moved in or out of w's prefix)."""
        if v in self.scanned[w]:
            return self.trees[w].walk(self.pos, self.pos[w])[0]
        return self.score[w]

    def _forward(self, v: int, i: int) -> list[float]:
        """Totals of the order with v removed, up to each insertion point j (0..p), plus
        v's own score there (causal-learn's first loop)."""
        pos, order, tree, score = self.pos, self.order, self.trees[v], self.score
        pos[v] = self.out
        totals, running, until, own = [0.0] * (self.p + 1), 0.0, -1, 0.0
        for j in range(self.p + 1):
            if j > until:  # the prefix reached an add v's last walk passed over
                own, _, scanned = tree.walk(pos, j)
                until = min((pos[a] for a in scanned if pos[a] >= j), default=self.out)
            totals[j] = own + running
            if j < self.p and order[j] != v:
                w = order[j]
                running += score[w] if j < i else self._other(w, v)
        return totals

    def _backward(self, v: int, i: int, scores: list[float]) -> int:
        """Adds to ``scores`` (p + 1,) the scores of the variables after each insertion
        point, with v before them (causal-learn's second loop); returns the best point."""
        pos, order, score = self.pos, self.order, self.score
        pos[v] = -1
        best, running = self.p, 0.0
        for j in range(self.p - 1, -1, -1):
            w = order[j]
            if w != v:
                running += score[w] if j > i else self._other(w, v)
            scores[j] += running
            if scores[j] > scores[best]:
                best = j
        pos[v] = i
        return best

    def mutate(self, v: int) -> bool:
        """Move v to its best position; True when that improved the score by > 1e-6."""
        i = self.pos[v]
        scores = self._forward(v, i)
        best = self._backward(v, i, scores)
        if scores[i] + 1e-6 > scores[best]:  # causal-learn's test, to the last bit
            return False
        new = best - int(best > i)
        self.order.insert(new, self.order.pop(i))
        lo, hi = min(i, new), max(i, new)
        for k in range(lo, hi + 1):
            self.pos[self.order[k]] = k
        for k in range(lo, hi + 1):
            self._refresh(self.order[k])
        return True

    def parents(self) -> list[list[int]]:
        return [self.trees[v].walk(self.pos, self.pos[v])[1] for v in range(self.p)]


def fast_boss(data: np.ndarray, lambda_value: float = 2.0, depth: int = 3, seed: int = 0
              ) -> tuple[np.ndarray, np.ndarray]:
    """BOSS with the BIC score on ``data`` (N, p), identical to
    :func:`avili.graph.discovery.run_boss` with the same arguments (``depth`` unused).

    Returns ``directed`` (p, p) bool, ``directed[i, j]`` meaning i -> j, and
    ``undirected`` (p, p) bool, symmetric, for CPDAG edges i --- j.
    """
    data = np.asarray(data, dtype=np.float64)
    p = data.shape[1]
    search, rng = _Boss(BicScore(data, lambda_value), p), random.Random(seed)
    variables = list(range(p))
    improved = True
    while improved:
        rng.shuffle(variables)
        improved = False
        for v in variables:
            improved |= search.mutate(v)
    dag = np.zeros((p, p), dtype=bool)
    for y, y_parents in enumerate(search.parents()):
        dag[y_parents, y] = True
    return dag_to_cpdag(dag, np.asarray(search.order))
