"""numba version of :class:`avili.graph.fastgrasp._Search`: GRaSP's covered-tuck search
with every decision and random draw of the Python one (imported lazily).

The permutation state is the tuple ``S``::

    (order, pos, par, npar, scores, obj, next_obj, loop_obj, loop_y, loop_buf, loop_len)

``par[v, :npar[v]]`` is v's parent list. causal-learn's loop ``for x in y_parents`` walks
a list object that an update refills in place and a restore replaces with a copy, so the
loop can see a list that has since been detached. ``obj[v]`` names v's current list
object (a restore makes a new one); each active dfs level keeps the object it loops over
(``loop_obj``, ``loop_y``) and, once detached, its last contents (``loop_buf``,
``loop_len``).
"""

from __future__ import annotations

import threading

import numpy as np
from numba import njit, types
from numba.typed import List

from avili.graph.compiled import (ADDS_AT, ADDS_N, CLEARS, GROWN, INLINE, JIT, OVERFLOW,
                                  REMOVE_AT, REMOVE_N, SHRUNK, new_forest, shuffle, trace)


@njit(**JIT)
def _tuck(S, i, j, scratch):
    """Move the ancestors of the node at ``i`` found in (j, i] to j, keeping order."""
    order, pos, par, npar = S[0], S[1], S[2], S[3]
    mark, stamp = scratch[0], scratch[1][0] + 1
    scratch[1][0] = stamp
    stack = [order[i]]
    while stack:
        v = stack.pop()
        if mark[v] != stamp:
            mark[v] = stamp
            for t in range(npar[v]):
                stack.append(par[v, t])
    if j >= i:
        return
    old = order[j:i + 1].copy()
    k = j
    for z in old[1:]:
        if mark[z] == stamp:
            order[k] = z
            k += 1
    order[k] = old[0]
    k += 1
    for z in old[1:]:
        if mark[z] != stamp:
            order[k] = z
            k += 1
    for k in range(j, i + 1):
        pos[order[k]] = k


@njit(**INLINE)
def _walk(ints, scores, adds, children, removed, pos, k, par, z):
    """:func:`avili.graph.compiled.trace` where every node on the way is known: writes
    ``par[z, :count]``, returns (score, count); count -1 where it needs the full one."""
    node, cnt = z, 0
    while True:
        if ints[node, GROWN] == 0:
            return 0.0, -1
        at = ints[node, ADDS_AT]
        t = 0
        while t < ints[node, ADDS_N] and pos[adds[at + t]] >= k:
            t += 1
        if t == ints[node, ADDS_N]:
            break
        if children[at + t] < 0:
            return 0.0, -1
        par[z, cnt] = adds[at + t]
        cnt += 1
        node = children[at + t]
    if ints[node, SHRUNK] == 0:
        return 0.0, -1
    at = ints[node, REMOVE_AT]
    for q in range(ints[node, REMOVE_N]):
        t = 0
        while par[z, t] != removed[at + q]:
            t += 1
        for u in range(t, cnt - 1):
            par[z, u] = par[z, u + 1]
        cnt -= 1
    return scores[node, 1], cnt


@njit(**JIT)
def _update(S, F, i, j, cov, K, scratch):
    """Re-trace the nodes at positions j..i in place; returns the score change."""
    order, pos, par, npar, scores = S[0], S[1], S[2], S[3], S[4]
    ints, node_scores, adds, children, removed = F[0], F[1], F[2][0], F[2][2], F[2][3]
    old, new = 0.0, 0.0
    for k in range(j, i + 1):
        z = order[k]
        old += scores[z]
        score, cnt = _walk(ints, node_scores, adds, children, removed, pos, k, par, z)
        if cnt < 0:
            score, cnt = trace(F, z, pos, k, par[z], cov, K, scratch)
        npar[z], scores[z] = cnt, score
        new += score
    return new - old


@njit(**JIT)
def _save(S, i, j):
    """(vertices, parent lists end to end, counts, scores) at positions j..i."""
    zs = S[0][j:i + 1].copy()
    counts = S[3][zs]
    flat = np.empty(counts.sum(), np.int64)
    at = 0
    for t in range(zs.size):
        flat[at:at + counts[t]] = S[2][zs[t], :counts[t]]
        at += counts[t]
    return zs, flat, counts, S[4][zs]


@njit(**JIT)
def _restore(S, j, saved, levels):
    zs, pars, counts, scores = saved
    order, pos, par, npar, obj = S[0], S[1], S[2], S[3], S[5]
    at = 0
    for t in range(zs.size):
        z = zs[t]
        for lv in range(levels):  # a loop over z's list object keeps its last contents
            if S[8][lv] == z and S[7][lv] == obj[z]:
                S[9][lv, :npar[z]] = par[z, :npar[z]]
                S[10][lv] = npar[z]
                S[7][lv] = -1
        order[j + t], pos[z] = z, j + t
        par[z, :counts[t]] = pars[at:at + counts[t]]
        at += counts[t]
        npar[z], S[4][z] = counts[t], scores[t]
        obj[z] = S[6][0]
        S[6][0] += 1


@njit(**INLINE)
def _loop_list(S, level):
    """(items, count): the list the dfs at ``level`` loops over, live or detached."""
    y = S[8][level]
    if S[7][level] == S[5][y]:  # still y's live list
        return S[2][y], S[3][y]
    return S[9][level], S[10][level]


@njit(**JIT)
def _covered(S, level, x, scratch):
    """set([x] + parents[x]) == set(the looped list)."""
    par, npar = S[2], S[3]
    mark, stamp = scratch[0], scratch[1][0] + 1
    scratch[1][0] = stamp
    mark[x] = stamp
    for t in range(npar[x]):
        mark[par[x, t]] = stamp
    items, n = _loop_list(S, level)
    if n != npar[x] + 1:
        return False
    for t in range(n):
        if mark[items[t]] != stamp:
            return False
    return True


@njit(**JIT)
def _flip(S, flipped, x, i):
    """flipped ^ {sorted (x, z) for z in parents[x] if pos[z] < i}, as sorted codes."""
    p, par, pos = S[1].size, S[2], S[1]
    codes = [min(x, z) * p + max(x, z) for z in par[x, :S[3][x]] if pos[z] < i]
    both = np.concatenate((flipped, np.array(codes, dtype=np.int64)))
    both.sort()
    keep = np.ones(both.size, np.bool_)
    for t in range(1, both.size):
        if both[t] == both[t - 1]:
            keep[t] = keep[t - 1] = False
    return both[keep]


@njit(**JIT)
def _seen(history, flipped):
    for h in history:
        if h.size == flipped.size and np.all(h == flipped):
            return True
    return False


@njit(**JIT)
def _next_x(S, level, frames, history, model):
    """The next parent x to tuck at ``level``, -1 when the level's pass is over. A frame
    is (indices, at, idx): the shuffled positions, the current one, and the loop index
    into its list (-1: move on to the next position)."""
    order, par, npar, mt = S[0], S[2], S[3], model[2][2]
    indices, at, idx = frames
    while True:
        if idx[level] < 0:
            at[level] += 1
            if at[level] >= order.size:
                return -1
            y = order[indices[level, at[level]]]
            if npar[y] > 1:  # shorter lists draw nothing
                shuffle(mt, par[y, :npar[y]])
            S[7][level], S[8][level], idx[level] = S[5][y], y, 0
        items, n = _loop_list(S, level)
        if idx[level] >= n:
            idx[level] = -1
            continue
        x = items[idx[level]]
        idx[level] += 1
        if len(history) == 0 or _covered(S, level, x, model[2]):
            return x


@njit(**JIT)
def _enter(level, frames, mt):
    indices, at, idx = frames
    indices[level] = np.arange(indices.shape[1])
    shuffle(mt, indices[level])
    at[level], idx[level] = -1, -1


@njit(**JIT)
def dfs(S, F, depth, history, model):
    """One pass of causal-learn's recursive ``dfs``, as a loop over explicit frames
    (numba cannot cache recursion); True when a tuck improved the score. ``model`` =
    (cov, K, scratch), scratch[2] the random state, scratch[3][0] set: stop now."""
    cov, K, scratch = model
    levels, p = S[7].size, S[0].size
    frames = (np.zeros((levels, p), np.int64), np.zeros(levels, np.int64),
              np.zeros(levels, np.int64))
    flips = [np.empty(0, np.int64) for _ in range(levels)]
    saves = [_save(S, 0, -1) for _ in range(levels)]
    js = np.zeros(levels, np.int64)
    level = 0
    _enter(0, frames, scratch[2])
    while scratch[3][0] == 0:
        x = _next_x(S, level, frames, history, model)
        if x < 0:  # this level's pass found nothing: back to the tuck that led here
            if level == 0:
                return False
            level -= 1
            history.pop()
            _restore(S, js[level], saves[level], level + 1)
            continue
        i = frames[0][level, frames[1][level]]
        js[level] = S[1][x]
        saves[level] = _save(S, i, js[level])
        _tuck(S, i, js[level], scratch)
        bump = _update(S, F, i, js[level], cov, K, scratch)
        if F[3][OVERFLOW]:  # the forest is full: the caller reruns with more room
            return False
        if bump > 1e-6:
            return True
        if bump > -1e-6:
            flips[level] = _flip(S, flips[level], x, i)
            if flips[level].size and not _seen(history, flips[level]):
                history.append(flips[level])
                if depth - level > 0:
                    level += 1
                    flips[level] = flips[level - 1]
                    _enter(level, frames, scratch[2])
                    continue
                history.pop()
        _restore(S, js[level], saves[level], level + 1)


@njit(**JIT)
def _start(order, cov, K, root_scores, mt, stop, depth, node_cap, pool_cap, state_cap,
           reclaim):
    """The search's state (S, F, scratch) after the first trace of every vertex (or
    sooner, once ``stop[0]`` is set)."""
    p = order.size
    pos = np.empty(p, np.int64)
    pos[order] = np.arange(p)
    levels = max(depth, 1)
    S = (order, pos, np.zeros((p, p), np.int64), np.zeros(p, np.int64), np.zeros(p),
         np.arange(p), np.array([p]), np.full(levels, -1), np.zeros(levels, np.int64),
         np.zeros((levels, p), np.int64), np.zeros(levels, np.int64))
    scratch = (np.zeros(p, np.int64), np.zeros(1, np.int64), mt, stop)
    F = new_forest(cov, root_scores, node_cap, pool_cap, state_cap, reclaim)
    for k in range(p):
        if stop[0]:
            break
        y = order[k]
        S[4][y], S[3][y] = trace(F, y, pos, k, S[2][y], cov, K, scratch)
    return S, F, scratch


@njit(**JIT)
def _next_pass(S, F, cov, K, scratch, depth, history):
    """One pass of the search (it changes S, F and scratch in place); True when it
    improved the score, so that another pass is due."""
    if F[3][OVERFLOW] != 0 or scratch[3][0] or not dfs(S, F, depth - 1, history,
                                                       (cov, K, scratch)):
        return False
    history.clear()  # each pass starts afresh, as causal-learn's does
    return True


def _grasp_search(order, cov, K, root_scores, mt, depth, room, reclaim):
    """(order, par, npar, fitted, clears) of one search in a forest of ``room``. It runs
    in a worker thread (the kernels release the GIL) while this one waits, so Ctrl-C or
    SIGTERM lands here at once; it then stops the search and is raised."""
    stop, out = np.zeros(1, np.int64), []

    def search() -> None:
        try:
            S, F, scratch = _start(order, cov, K, root_scores, mt, stop, depth, *room,
                                   reclaim)
            history = List.empty_list(types.int64[::1])
            while _next_pass(S, F, cov, K, scratch, depth, history):
                pass
            out.append((S[0], S[2], S[3], F[3][OVERFLOW] == 0, int(F[3][CLEARS])))
        except BaseException as exc:  # re-raised in the caller's thread
            out.append(exc)

    worker = threading.Thread(target=search, name="avili-grasp", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except BaseException:
        stop[0] = 1
        worker.join()
        raise
    if isinstance(out[0], BaseException):
        raise out[0]
    return out[0]


# bytes of tree storage: a node's ints and scores (9 x 8 + 2 x 8); a pool slot (an add, its
# score and child, a removal: 4 x 8); a residual state of p variables (3 x p x 8)
NODE_BYTES, SLOT_BYTES = 9 * 8 + 2 * 8, 4 * 8


def forest_room(p: int, budget: int) -> tuple[int, int, int]:
    """(nodes, pool slots, states) of room for the trees of p variables in ``budget``
    bytes: a fifth to the nodes, two fifths each to the pool and the residual states;
    never less than one trace can need (a path of p adds of p slots each), so any budget
    finishes."""
    nodes = max(budget // 5 // NODE_BYTES, 2 * p + 2)
    slots = max(2 * budget // 5 // SLOT_BYTES, p * p + p)
    states = max(2 * budget // 5 // (24 * p), p + 1)
    return nodes, slots, states


def first_room(p: int) -> tuple[int, int, int]:
    """(nodes, pool slots, states) the trees of p variables start with."""
    return 64 * p + 4096, 4 * (64 * p + 4096), 8 * p + 64


def grasp_search(order: np.ndarray, cov: np.ndarray, consts: np.ndarray,
                 root_scores: np.ndarray, mt: np.ndarray, depth: int,
                 budget: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """GRaSP from the shuffled ``order`` (p,) int64 with the random state ``mt`` (625,)
    int64 (:func:`avili.graph.compiled.mt_state`); ``cov`` (p, p), ``consts`` (-0.5 n,
    lambda, log n), ``root_scores`` (p,) the scores of empty parent sets. Returns
    (order, par, npar, clears): the final order, each v's parents ``par[v, :npar[v]]``,
    and how often the trees were emptied to stay within ``budget`` bytes.

    The trees start small; when they fill up, the search is rerun from the start with
    four times the room (same inputs, same result), up to the budget's room
    (:func:`forest_room`), where they are emptied and rebuilt as needed instead."""
    p = order.size
    cap = forest_room(p, budget)
    room = tuple(min(want, most) for want, most in zip(first_room(p), cap))
    while True:
        out = _grasp_search(order.copy(), cov, consts, root_scores, mt.copy(), depth, room,
                            room == cap)
        if out[3]:
            return out[0], out[1], out[2], out[4]
        assert room != cap, "forest_room leaves room for any one trace"
        room = tuple(min(4 * have, most) for have, most in zip(room, cap))
