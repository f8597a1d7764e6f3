"""GRaSP with the BIC score, a fast re-implementation of causal-learn 0.1.4.8's ``grasp()``.

Same search, same decisions: grow-shrink trees (branches visited best first), covered
tucks searched depth-first to ``depth``, the +-1e-6 improvement thresholds, and the same
sequence of ``random`` draws (a private ``random.Random(seed)`` stands in for
``random.seed(seed)`` on the global one). Even causal-learn's quirks are kept: a parent
list shuffled in place is the list the search loop iterates, so it can change under the
loop after a tuck, and ``flipped`` carries over between loop iterations. Faster because
scores come in numpy batches (:mod:`avili.graph.fastscore`), positions are an array
instead of ``list.index``, and prefix tests are O(1).

Where numba is installed, :func:`fast_grasp` runs the same search compiled
(:mod:`avili.graph.compiledsearch`, loaded lazily); the Python classes below remain the
reference it is tested against, the fallback without numba, and BOSS's trees.
"""

from __future__ import annotations

import random
from operator import itemgetter

import numpy as np

from avili.graph.fastscore import BicScore


class _Node:
    """A grow-shrink tree node: the parent set reached by the adds on its path."""

    __slots__ = ("up", "taken", "score", "adds", "scores", "children", "remove", "best", "state",
                 "skip")

    def __init__(self, up: "_Node | None", taken: int, score: float):
        self.up, self.taken, self.score = up, taken, score
        self.adds = None  # improving adds, best first
        self.scores = None
        self.children = None
        self.remove = None  # parents the shrink step drops, in order
        self.best = score  # score after shrinking
        self.state = self.skip = None  # residual state, kept for growing children


class _Tree:
    """Grow-shrink tree of one vertex (causal-learn's ``GST``)."""

    def __init__(self, vertex: int, scorer: BicScore, p: int):
        self.vertex, self.scorer, self.p = vertex, scorer, p
        self.root = _Node(None, -1, scorer.empty(vertex))

    def _grow(self, node: _Node, parents: list[int]) -> None:
        """Score every add still available at ``node``; keep improving ones, best first.

        Available: every vertex but this one, its parents, and the adds visited (and
        passed over) on the way down.
        """
        up = node.up
        if up is None:
            state, skip = self.scorer.root(self.vertex), set()
        else:
            state = self.scorer.extend(up.state, self.vertex, parents[-1])
            skip = up.skip.union(up.adds[:node.taken])
        scores = self.scorer.grow(state, self.vertex)
        hits = (scores > node.score).nonzero()[0]
        pairs = [(a, s) for a, s in zip(hits.tolist(), scores[hits].tolist()) if a not in skip]
        pairs.sort(key=itemgetter(1), reverse=True)  # stable: ties keep index order
        node.adds = [a for a, _ in pairs]
        node.scores = [s for _, s in pairs]
        node.children = [None] * len(pairs)
        if pairs:  # kept only where children will need it
            node.state, node.skip = state, skip

    def _shrink(self, node: _Node, parents: list[int]) -> None:
        """Drop parents while that helps (causal-learn's shrink), in place."""
        node.remove, node.best = [], node.score
        if len(parents) == 1:  # the only smaller set is the root's
            if self.root.score > node.score:
                node.remove, node.best = [parents[0]], self.root.score
        elif parents:
            node.remove, node.best = self.scorer.shrink(self.vertex, parents, node.score)
        for r in node.remove:
            parents.remove(r)

    def trace(self, pos: list[int], k: int, parents: list[int],
              scanned: list[int] | None = None) -> float:
        """Best parent set among the nodes at positions < ``k`` (``pos[v]`` is v's
        position), appended to ``parents`` (empty on entry); returns its score. ``scanned``,
        when given, receives every add the walk looked at: the only vertices whose entering
        or leaving the prefix can change the result."""
        node = self.root
        while True:
            if node.adds is None:
                self._grow(node, parents)
            idx = 0
            for add in node.adds:
                if pos[add] < k:
                    break
                idx += 1
            else:
                if scanned is not None:
                    scanned.extend(node.adds)
                break
            if scanned is not None:
                scanned.extend(node.adds[:idx + 1])
            parents.append(add)
            child = node.children[idx]
            if child is None:
                child = node.children[idx] = _Node(node, idx, node.scores[idx])
            node = child
        if node.remove is None:
            self._shrink(node, parents)
        else:
            for r in node.remove:
                parents.remove(r)
        return node.best


class _Search:
    """Permutation state and the covered-tuck depth-first search of ``grasp()``."""

    def __init__(self, scorer: BicScore, p: int, rng: random.Random):
        self.rng = rng
        self.trees = [_Tree(v, scorer, p) for v in range(p)]
        self.order = list(range(p))
        rng.shuffle(self.order)
        self.pos = [0] * p
        self._reposition(0, p - 1)
        self.parents = [[] for _ in range(p)]
        self.scores = [0.0] * p
        self.edges = 0
        for i, y in enumerate(self.order):
            self.scores[y] = self.trees[y].trace(self.pos, i, self.parents[y])
            self.edges += len(self.parents[y])

    def _reposition(self, j: int, i: int) -> None:
        for k in range(j, i + 1):
            self.pos[self.order[k]] = k

    def _tuck(self, i: int, j: int) -> None:
        """Move the ancestors of the node at ``i`` found in (j, i] to j, keeping order."""
        stack, anc = [self.order[i]], set()
        while stack:
            v = stack.pop()
            if v not in anc:
                anc.add(v)
                stack.extend(self.parents[v])
        order, pos, shift = self.order, self.pos, 0
        for k in range(j + 1, i + 1):
            if order[k] in anc:
                order.insert(j + shift, order.pop(k))
                shift += 1
        for k in range(j, i + 1):
            pos[order[k]] = k

    def _update(self, i: int, j: int) -> tuple[int, float]:
        """Re-trace the nodes at positions j..i; returns (edge change, score change)."""
        edge_bump, old, new = 0, 0, 0
        order, parents, scores, trees, pos = (self.order, self.parents, self.scores,
                                              self.trees, self.pos)
        for k in range(j, i + 1):
            z = order[k]
            z_parents = parents[z]
            edge_bump -= len(z_parents)
            old += scores[z]
            z_parents.clear()
            score = scores[z] = trees[z].trace(pos, k, z_parents)
            edge_bump += len(z_parents)
            new += score
        return edge_bump, new - old

    def _restore(self, j: int, saved: list, edges: int) -> None:
        order, pos, parents, scores = self.order, self.pos, self.parents, self.scores
        for k, (z, z_parents, score) in enumerate(saved, start=j):
            order[k] = z
            pos[z] = k
            parents[z] = z_parents
            scores[z] = score
        self.edges = edges

    def dfs(self, depth: int, flipped: set, history: list) -> bool:
        """One pass of causal-learn's ``dfs``; True when a tuck improved the score."""
        indices = list(range(len(self.order)))
        self.rng.shuffle(indices)
        for i in indices:
            y_parents = self.parents[self.order[i]]
            if len(y_parents) > 1:  # shorter lists draw nothing
                self.rng.shuffle(y_parents)
            for x in y_parents:  # may change under the loop, as in causal-learn
                covered = set([x] + self.parents[x]) == set(y_parents)
                if history and not covered:
                    continue
                j = self.pos[x]
                saved = [(z, self.parents[z][:], self.scores[z]) for z in self.order[j:i + 1]]
                edges = self.edges
                self._tuck(i, j)
                edge_bump, score_bump = self._update(i, j)
                if score_bump > 1e-6:
                    self.edges += edge_bump
                    return True
                if score_bump > -1e-6:
                    flipped = flipped ^ {tuple(sorted([x, z])) for z in self.parents[x]
                                         if self.pos[z] < i}
                    if flipped and flipped not in history:
                        history.append(flipped)
                        if depth > 0 and self.dfs(depth - 1, flipped, history):
                            return True
                        del history[-1]
                self._restore(j, saved, edges)
        return False


def dag_to_cpdag(parents: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CPDAG of a DAG by Chickering's (1995) edge labelling.

    ``parents`` (p, p) bool, ``parents[i, j]`` meaning i -> j; ``order`` (p,) a
    topological order. Returns (directed, undirected) (p, p) bool masks: compelled edges
    i -> j, and reversible edges both ways.
    """
    p = parents.shape[0]
    rank = np.empty(p, dtype=np.int64)
    rank[np.asarray(order)] = np.arange(p)
    compelled = np.zeros((p, p), dtype=bool)
    reversible = np.zeros((p, p), dtype=bool)
    for y in order:  # edges into earlier nodes are all labelled first
        pa = np.flatnonzero(parents[:, y])
        if pa.size == 0:
            continue
        x = pa[np.argmax(rank[pa])]  # lowest unknown edge into y: highest-ordered parent
        w = np.flatnonzero(compelled[:, x])
        if np.any(~parents[w, y]):
            compelled[pa, y] = True
            continue
        compelled[w, y] = True
        others = pa[pa != x]
        label = compelled if np.any(~parents[others, x]) else reversible
        unknown = pa[~compelled[pa, y]]
        label[unknown, y] = True
    return compelled, reversible | reversible.T


def _compiled():
    """The numba search module, or None where numba is not installed (the Python search
    is used then). Imported here, not at the top: numba takes about a second to load."""
    try:
        from avili.graph import compiledsearch
    except ImportError:
        return None
    return compiledsearch


def tree_budget(budget_mb: float = 0.0) -> int:
    """Bytes the search trees may take: ``budget_mb`` MB, or a quarter of physical
    memory when 0. Beyond it, the trees are emptied and rebuilt as needed (slower, same
    graph)."""
    from avili.data.lazy import physical_memory

    return int(budget_mb * 2**20) if budget_mb > 0 else physical_memory() // 4


def _search_python(scorer: BicScore, p: int, depth: int, rng: random.Random
                   ) -> tuple[list[int], list[list[int]]]:
    search = _Search(scorer, p, rng)
    while search.dfs(depth - 1, set(), []):
        pass
    return search.order, search.parents


def _search_compiled(kernels, scorer: BicScore, p: int, depth: int, rng: random.Random,
                     budget: int | None) -> tuple[np.ndarray, list[np.ndarray]]:
    from avili.graph.compiled import mt_state

    order = list(range(p))
    rng.shuffle(order)
    consts = np.array([-0.5 * scorer.n, scorer.lambda_value, scorer.log_n])
    roots = np.array([scorer.empty(v) for v in range(p)])
    order, par, npar, _ = kernels.grasp_search(np.array(order, dtype=np.int64), scorer.cov,
                                               consts, roots, mt_state(rng), depth,
                                               tree_budget() if budget is None else budget)
    return order, [par[v, :npar[v]] for v in range(p)]


def _to_cpdag(kernels, parents: list, order) -> tuple[np.ndarray, np.ndarray]:
    p = len(parents)
    dag = np.zeros((p, p), dtype=bool)
    for y, y_parents in enumerate(parents):
        dag[y_parents, y] = True
    if kernels is None:
        return dag_to_cpdag(dag, np.asarray(order))
    from avili.graph.compiled import dag_to_cpdag as compiled_cpdag

    return compiled_cpdag(dag, np.asarray(order, dtype=np.int64))


def fast_grasp(data: np.ndarray, lambda_value: float = 2.0, depth: int = 3, seed: int = 0,
               *, compiled: bool = True, budget: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """GRaSP with the BIC score on ``data`` (N, p), identical to
    :func:`avili.graph.discovery.run_grasp` with the same arguments.

    ``compiled``: run the numba search (:mod:`avili.graph.compiledsearch`) when numba is
    installed; False, or no numba, runs the Python one. Both give the same graph.
    ``budget``: bytes the compiled search's trees may hold (default: a quarter of
    memory); beyond it they are emptied and rebuilt, to the same graph.
    Returns ``directed`` (p, p) bool, ``directed[i, j]`` meaning i -> j, and
    ``undirected`` (p, p) bool, symmetric, for CPDAG edges i --- j.
    """
    data = np.asarray(data, dtype=np.float64)
    p = data.shape[1]
    scorer, rng = BicScore(data, lambda_value), random.Random(seed)
    kernels = _compiled() if compiled else None
    if kernels is None:
        order, parents = _search_python(scorer, p, depth, rng)
    else:
        order, parents = _search_compiled(kernels, scorer, p, depth, rng, budget)
    return _to_cpdag(kernels, parents, order)
