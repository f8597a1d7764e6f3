"""numba kernels for :mod:`avili.graph.fastgrasp`: Python's ``random`` stream, BIC scores
and the grow-shrink trees. Imported lazily (numba is slow to import); the search itself
is in :mod:`avili.graph.compiledsearch`.

The arithmetic is that of :mod:`avili.graph.fastscore`, loop by loop. The random stream
is CPython's: MT19937 from a ``random.Random`` state, ``_randbelow`` by rejection on
``getrandbits(k)``, and ``shuffle`` drawing from the last index down, so the search takes
the same draws as causal-learn's ``grasp()``.

The trees of all vertices live in one forest of preallocated arrays indexed by node id;
node ``v`` (< p) is the root of vertex v's tree. A forest is the tuple ``F``::

    (ints, scores, pool, count, rs, ds, cols)

with, per node (a row of ``ints`` and ``scores``): its parent node (-1 at a root), the
index of its add among the parent's adds, its score, its score after the shrink, whether
its adds and its shrink are known, its improving adds best first with their scores and
child ids (-1: not yet made) and the parents its shrink drops (slices of ``pool``), and,
where it has adds, its residual state (r, d, col: rows of ``rs``, ``ds``, ``cols``): col
is the Cholesky row its own add appended. The trees are a cache: when any part of the
forest is full, :func:`trace` empties it (:func:`clear`) and rebuilds what it needs, so
memory stays within the room given and the result does not change.
"""

from __future__ import annotations

import numpy as np
from numba import njit

JIT = dict(cache=True, nogil=True, error_model="numpy")
# small helpers called in the hot loops: inlined, so numba can prune their refcounting
INLINE = dict(JIT, inline="always")
EPS = np.finfo(float).eps


# -- CPython's random -------------------------------------------------------------------------

@njit(**JIT)
def _twist(mt):
    for kk in range(624):
        y = (mt[kk] & 0x80000000) | (mt[(kk + 1) % 624] & 0x7FFFFFFF)
        mt[kk] = mt[(kk + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)


@njit(**JIT)
def _genrand(mt):
    """Next 32-bit word of the MT19937 state ``mt`` (625,) int64, mt[624] the index."""
    if mt[624] >= 624:
        _twist(mt)
        mt[624] = 0
    y = mt[mt[624]]
    mt[624] += 1
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680
    y ^= (y << 15) & 0xEFC60000
    y ^= y >> 18
    return y & 0xFFFFFFFF


@njit(**JIT)
def _randbelow(mt, n):
    k, m = 0, n
    while m:
        k += 1
        m >>= 1
    r = _genrand(mt) >> (32 - k)
    while r >= n:
        r = _genrand(mt) >> (32 - k)
    return r


@njit(**JIT)
def shuffle(mt, x):
    """``random.shuffle(x)`` in place, drawing from ``mt``."""
    for i in range(x.size - 1, 0, -1):
        j = _randbelow(mt, i + 1)
        x[i], x[j] = x[j], x[i]


def mt_state(rng) -> np.ndarray:
    """(625,) int64 state of a ``random.Random``, for :func:`shuffle`."""
    return np.array(rng.getstate()[1], dtype=np.int64)


# -- BIC scores -------------------------------------------------------------------------------

@njit(**INLINE)
def _score(sigma, n_parents, K):
    """BIC of one residual variance; ``K`` = (-0.5 n, lambda, log n)."""
    if sigma <= 0:
        sigma = EPS
    return K[0] * (1 + np.log(sigma)) - K[1] * (n_parents + 1) * K[2]


@njit(**JIT)
def _inverse(block):
    try:
        return np.linalg.inv(block)
    except Exception:  # singular: causal-learn falls back to the pseudo-inverse
        return np.linalg.pinv(block)


@njit(**JIT)
def _best_removal(inv, c_sv, cvv, m, K):
    """(index, score) of the parent whose removal scores best (the first of equals)."""
    best_r, best = -1, 0.0
    beta = np.zeros(m)
    for a in range(m):
        for b in range(m):
            beta[a] += inv[a, b] * c_sv[b]
    dot = 0.0
    for a in range(m):
        dot += c_sv[a] * beta[a]
    for a in range(m):
        s = _score((cvv - dot) + beta[a] * beta[a] / inv[a, a], m - 1, K)
        if best_r < 0 or s > best or (s != s and best == best):
            best_r, best = a, s
    return best_r, best


@njit(**JIT)
def bic_shrink(cov, v, idx, score, K):
    """``BicScore.shrink``: greedy deletions from ``idx`` (m,) int64 -> (dropped, score)."""
    idx = idx.copy()
    m = idx.size
    inv = _inverse(cov[idx][:, idx].copy())
    c_sv = np.empty(m)
    for a in range(m):
        c_sv[a] = cov[idx[a], v]
    removed = []
    while m:
        r, s = _best_removal(inv, c_sv, cov[v, v], m, K)
        if not s > score:
            break
        score = s
        removed.append(idx[r])
        keep = np.arange(m) != r
        inv = inv[keep][:, keep] - np.outer(inv[keep, r], inv[r, keep]) / inv[r, r]
        idx, c_sv, m = idx[keep], c_sv[keep], m - 1
    return np.array(removed, dtype=np.int64), score


# -- grow-shrink trees ------------------------------------------------------------------------

# the forest's int fields, one row per node; and its counters
UP, TAKEN, GROWN, SHRUNK, ADDS_AT, ADDS_N, REMOVE_AT, REMOVE_N, STATE = range(9)
NODES, POOL, REMOVED, STATES, OVERFLOW, CLEARS, STATE_CAP, ROOTS, RECLAIM = range(9)


@njit(**JIT)
def new_forest(cov, root_scores, node_cap, pool_cap, state_cap, reclaim):
    """A forest holding the p roots, scored ``root_scores`` (p,), with room for
    ``node_cap`` nodes, ``pool_cap`` adds (and removals) and ``state_cap`` residual states;
    see the module docstring. When full, :func:`trace` empties it if ``reclaim``, else
    stops with the overflow flag set."""
    p = cov.shape[0]
    ints = np.empty((node_cap, 9), np.int64)
    scores = np.empty((node_cap, 2))  # score, best
    scores[:p, 0] = scores[:p, 1] = root_scores
    pool = (np.empty(pool_cap, np.int64), np.empty(pool_cap), np.empty(pool_cap, np.int64),
            np.empty(pool_cap, np.int64))  # adds, their scores, children; removals
    F = (ints, scores, pool, np.array([p, 0, 0, 0, 0, 0, state_cap, p, reclaim]),
         np.empty((state_cap, p)), np.empty((state_cap, p)), np.empty((state_cap, p)))
    clear(F)
    return F


@njit(**JIT)
def clear(F):
    """Empty the forest back to its p ungrown roots. The trees are a cache: a trace
    rebuilds what it needs from the roots, to the same parent set and score."""
    ints, count = F[0], F[3]
    p = count[ROOTS]
    ints[:p] = 0
    ints[:p, UP] = ints[:p, STATE] = -1
    count[NODES], count[POOL], count[REMOVED], count[STATES] = p, 0, 0, 0
    count[OVERFLOW] = 0


@njit(**JIT)
def _new_node(F, u, taken, score):
    ints, count = F[0], F[3]
    node = count[NODES]
    if node >= ints.shape[0]:
        count[OVERFLOW] = 1
        return -1
    count[NODES] += 1
    ints[node] = 0
    ints[node, UP], ints[node, TAKEN], ints[node, STATE] = u, taken, -1
    F[1][node, 0] = F[1][node, 1] = score
    return node


@njit(**JIT)
def _extend(F, u, v, b, cov):
    """Residual state (r, d, col) given S + [b] from node ``u``'s state given S."""
    ints = F[0]
    r_u, d_u = F[4][ints[u, STATE]], F[5][ints[u, STATE]]
    scale = 1.0 / np.sqrt(d_u[b]) if d_u[b] > 0 else 0.0
    chain = []
    c = u
    while ints[c, UP] >= 0:
        chain.append(ints[c, STATE])
        c = ints[c, UP]
    if chain:
        tmp = np.zeros(r_u.size)
        for t in range(len(chain) - 1, -1, -1):
            w = F[6][chain[t]]
            tmp += w[b] * w
        col = (cov[b] - tmp) * scale
    else:
        col = cov[b] * scale
    d = d_u - col * col
    d[b] = np.inf
    return r_u - col * col[v], d, col


@njit(**JIT)
def _mark_skip(F, node, mark, stamp):
    """Mark the adds passed over on the way down to ``node``."""
    ints, adds = F[0], F[2][0]
    c = node
    while ints[c, UP] >= 0:
        u = ints[c, UP]
        at = ints[u, ADDS_AT]
        for t in range(ints[c, TAKEN]):
            mark[adds[at + t]] = stamp
        c = u


@njit(**JIT)
def _keep(F, node, hits, vals, r, d, col):
    """Store ``node``'s improving adds ``hits`` with scores ``vals``, best first."""
    ints, count, pool = F[0], F[3], F[2]
    h, at = hits.size, count[POOL]
    if at + h > pool[0].size or (h and count[STATES] >= count[STATE_CAP]):
        count[OVERFLOW] = 1
        return
    rank = np.argsort(-vals, kind="mergesort")  # stable: ties keep index order
    pool[0][at:at + h], pool[1][at:at + h] = hits[rank], vals[rank]
    pool[2][at:at + h] = -1
    ints[node, ADDS_AT], ints[node, ADDS_N], ints[node, GROWN] = at, h, 1
    count[POOL] += h
    if h:
        at = ints[node, STATE] = count[STATES]
        count[STATES] += 1
        F[4][at], F[5][at] = r, d
        if col.size:  # a root's is empty, and never read
            F[6][at] = col


@njit(**JIT)
def _grow(F, node, v, path, cnt, cov, K, scratch):
    """Score every add still available at ``node``; keep improving ones, best first."""
    u = F[0][node, UP]
    if u < 0:
        r, d, col = cov[v].copy(), np.diag(cov).copy(), cov[v][:0].copy()
        d[v] = np.inf
    else:
        r, d, col = _extend(F, u, v, path[cnt - 1], cov)
    mark, stamp = scratch[0], scratch[1][0] + 1
    scratch[1][0] = stamp
    _mark_skip(F, node, mark, stamp)
    p, own = r.size, F[1][node, 0]
    hits, vals = np.empty(p, np.int64), np.empty(p)
    h = 0
    for a in range(p):
        s = _score(r[v] - r[a] * r[a] / d[a], cnt + 1, K)
        if s > own and mark[a] != stamp:
            hits[h], vals[h] = a, s
            h += 1
    _keep(F, node, hits[:h], vals[:h], r, d, col)


@njit(**JIT)
def _shrink(F, node, v, path, cnt, cov, K):
    """Drop parents while that helps (causal-learn's shrink); sets the node's removals."""
    ints, count, removed = F[0], F[3], F[2][3]
    drop = path[:0].copy()
    if cnt == 1:
        if F[1][v, 0] > F[1][node, 0]:
            drop, F[1][node, 1] = path[:1].copy(), F[1][v, 0]
    elif cnt > 1:
        drop, F[1][node, 1] = bic_shrink(cov, v, path[:cnt].copy(), F[1][node, 0], K)
    at = count[REMOVED]
    if at + drop.size > removed.size:
        count[OVERFLOW] = 1
        return
    removed[at:at + drop.size] = drop
    ints[node, REMOVE_AT], ints[node, REMOVE_N], ints[node, SHRUNK] = at, drop.size, 1
    count[REMOVED] += drop.size


@njit(**INLINE)
def _first_in_prefix(adds, at, n, pos, k):
    for t in range(n):
        if pos[adds[at + t]] < k:
            return t
    return -1


@njit(**JIT)
def trace(F, v, pos, k, out, cov, K, scratch):
    """Best parent set of ``v`` among the vertices at positions < ``k`` (``pos[a]`` is
    a's position), written to ``out[:count]`` in causal-learn's order; returns
    (score, count). When the forest fills up, a reclaiming forest is emptied
    (:func:`clear`) and the trace rerun: same result, memory bounded by the room. The
    overflow flag stays set when the forest does not reclaim, or when the trace does not
    fit even an empty one."""
    fresh = False
    while True:
        score, cnt = _trace(F, v, pos, k, out, cov, K, scratch)
        if F[3][OVERFLOW] == 0 or fresh or F[3][RECLAIM] == 0:
            return score, cnt
        clear(F)
        F[3][CLEARS] += 1
        fresh = True


@njit(**JIT)
def _trace(F, v, pos, k, out, cov, K, scratch):
    ints, adds, children = F[0], F[2][0], F[2][2]
    node, cnt = v, 0
    while F[3][OVERFLOW] == 0:
        if ints[node, GROWN] == 0:
            _grow(F, node, v, out, cnt, cov, K, scratch)
            if F[3][OVERFLOW]:
                break
        at = ints[node, ADDS_AT]
        t = _first_in_prefix(adds, at, ints[node, ADDS_N], pos, k)
        if t < 0:
            if ints[node, SHRUNK] == 0:
                _shrink(F, node, v, out, cnt, cov, K)
            return F[1][node, 1], _drop(F, node, out, cnt)
        out[cnt] = adds[at + t]
        cnt += 1
        if children[at + t] < 0:
            children[at + t] = _new_node(F, node, t, F[2][1][at + t])
        node = children[at + t]
    return 0.0, 0


@njit(**INLINE)
def _drop(F, node, out, cnt):
    """Apply ``node``'s removals to ``out[:cnt]`` as list.remove does (first occurrence,
    order kept); returns the new count."""
    at, removed = F[0][node, REMOVE_AT], F[2][3]
    for q in range(F[0][node, REMOVE_N]):
        t = 0
        while out[t] != removed[at + q]:
            t += 1
        out[t:cnt - 1] = out[t + 1:cnt].copy()
        cnt -= 1
    return cnt


# -- DAG -> CPDAG -----------------------------------------------------------------------------

@njit(**JIT)
def dag_to_cpdag(parents, order):
    """:func:`avili.graph.fastgrasp.dag_to_cpdag` (Chickering's edge labelling) in loops:
    ``parents`` (p, p) bool, i -> j at [i, j]; ``order`` (p,) a topological order.
    Returns (directed, undirected) (p, p) bool masks."""
    p = parents.shape[0]
    rank = np.empty(p, np.int64)
    rank[order] = np.arange(p)
    compelled = np.zeros((p, p), np.bool_)
    reversible = np.zeros((p, p), np.bool_)
    for y in order:  # edges into earlier nodes are all labelled first
        x = -1  # lowest unknown edge into y: the highest-ordered parent
        for a in range(p):
            if parents[a, y] and (x < 0 or rank[a] > rank[x]):
                x = a
        if x < 0:
            continue
        if np.any(compelled[:, x] & ~parents[:, y]):
            compelled[:, y] |= parents[:, y]
            continue
        compelled[:, y] |= compelled[:, x]
        others = parents[:, y].copy()
        others[x] = False
        label = compelled if np.any(others & ~parents[:, x]) else reversible
        for a in range(p):
            if parents[a, y] and not compelled[a, y]:
                label[a, y] = True
    return compelled, reversible | reversible.T
