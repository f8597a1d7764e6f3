"""Top-k search of query embeddings against a gallery: exact, or approximate with faiss.

Exact search runs faiss's flat inner-product kernel (``knn_inner_product``, the one behind
``IndexFlatIP``, without copying the gallery) where the ``avili[faiss]`` extra is
installed, and otherwise a chunked torch search: a block of queries times a block of the
gallery into one preallocated score buffer (``memory_mb``), each block's top k kept and
merged once per query block. Approximate search probes a faiss IVF-PQ index for
``k * k_factor`` candidates and re-ranks them exactly against the gallery embeddings.

Scores are inner products; avili's embeddings are L2-normalized, so they are cosines.
Tie order, the same on every path: higher score first, then the lower gallery row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from avili.errors import AviliError

EXACT_BACKENDS = ("auto", "faiss", "torch")


def exact_topk(queries: np.ndarray, gallery: np.ndarray, k: int, memory_mb: int = 256, *,
               backend: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """(scores (Q, k) float32 descending, index (Q, k) int64) of the k best gallery rows
    for each of ``queries`` (Q, E) against ``gallery`` (G, E), k clipped to G; ties go to
    the lower gallery row. ``backend``: "faiss" (needs the extra), "torch", or "auto"
    (faiss where installed). ``memory_mb`` bounds torch's score buffer."""
    if backend not in EXACT_BACKENDS:
        raise AviliError(f"unknown exact search backend {backend!r}; expected one of "
                         f"{', '.join(EXACT_BACKENDS)}")
    q = np.ascontiguousarray(queries, dtype=np.float32)
    g = np.ascontiguousarray(gallery, dtype=np.float32)
    k = min(k, g.shape[0])
    if k < 1:
        raise AviliError("search needs k >= 1 and a non-empty gallery")
    wide = min(k + 1, g.shape[0])  # one more, to see a tie at the k-th place
    faiss = _faiss() if backend == "faiss" else _faiss_or_none() if backend == "auto" else None
    if faiss is not None:
        scores, idx = faiss.knn(q, g, wide, metric=faiss.METRIC_INNER_PRODUCT)
    else:
        scores, idx = _torch_topk(q, g, wide, memory_mb)
    return _settle_ties(q, g, scores, idx, k)


def _torch_topk(q: np.ndarray, g: np.ndarray, k: int, memory_mb: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """(Q, k) scores and rows of the k best of ``g`` (G, E) for ``q`` (Q, E), descending;
    the order of tied rows is torch's."""
    import torch

    tq, tg = torch.from_numpy(q), torch.from_numpy(g)
    rows = max(1, min(tq.shape[0], 1024))
    cols = max(k, min(tg.shape[0], (memory_mb << 20) // (4 * rows)))
    buffer = torch.empty(rows, cols)
    best_s, best_i = [], []
    for i in range(0, tq.shape[0], rows):
        block = tq[i:i + rows]
        cand_s, cand_i = [], []
        for j in range(0, tg.shape[0], cols):
            part = tg[j:j + cols]
            out = buffer[:block.shape[0], :part.shape[0]]
            torch.mm(block, part.T, out=out)
            s, idx = torch.topk(out, min(k, part.shape[0]), dim=1)
            cand_s.append(s)
            cand_i.append(idx + j)
        s, pick = torch.topk(torch.cat(cand_s, 1), k, dim=1)
        best_s.append(s)
        best_i.append(torch.gather(torch.cat(cand_i, 1), 1, pick))
    return torch.cat(best_s).numpy(), torch.cat(best_i).numpy().astype(np.int64)


def _settle_ties(q: np.ndarray, g: np.ndarray, scores: np.ndarray, idx: np.ndarray, k: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The top k of a descending (Q, k') top list, k' = k + 1 unless k = G, in tie order.
    Rows whose k-th and (k+1)-th scores are equal may have kept any of the tied rows, so
    they are scored again in full (one (G,) product each) and picked by tie order."""
    if idx.shape[1] > k:
        for r in np.flatnonzero(scores[:, k - 1] == scores[:, k]):
            full = g @ q[r]
            top = np.flatnonzero(full >= np.partition(full, -k)[-k])  # ties included
            top = top[np.lexsort((top, -full[top]))[:k]]
            scores[r, :k], idx[r, :k] = full[top], top
    return _tie_order(scores[:, :k], idx[:, :k])


def _tie_order(scores: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Q, k) scores and rows sorted per row by score descending, then row ascending;
    missing rows (-1) last."""
    key = np.where(idx < 0, np.iinfo(np.int64).max, idx)
    order = np.lexsort((key, -scores), axis=1)
    return (np.ascontiguousarray(np.take_along_axis(scores, order, 1)),
            np.ascontiguousarray(np.take_along_axis(idx, order, 1)))


def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        raise AviliError("faiss is not installed (IVF-PQ indexes need it); install it with "
                         "pip install 'avili[faiss]'") from None
    return faiss


def _faiss_or_none() -> Any:
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def build_ivfpq(gallery: np.ndarray, nlist: int, m: int = 0, nbits: int = 4, seed: int = 0
                ) -> bytes:
    """A trained, filled faiss IVF-PQ index (inner product) over ``gallery`` (G, E),
    serialized. ``nlist`` inverted lists, ``m`` sub-quantizers of ``nbits`` bits (0: E / 2,
    two dimensions per sub-quantizer); E must be divisible by m. With 4 bits the index is
    faiss's SIMD fast-scan IVF-PQ, else the classic one. Training uses at most
    256 x nlist rows, drawn with ``seed``."""
    faiss = _faiss()
    g = np.ascontiguousarray(gallery, dtype=np.float32)
    e = g.shape[1]
    m = m or (e // 2 if e % 2 == 0 else e)
    if e % m:
        raise AviliError(f"--pq-m {m} must divide the embedding size {e}")
    if g.shape[0] < max(nlist, 1 << nbits):
        raise AviliError(f"IVF-PQ with --nlist {nlist} and --nbits {nbits} needs at least "
                         f"{max(nlist, 1 << nbits)} gallery items, this one has {g.shape[0]}; "
                         "lower them, or search exactly")
    kind = faiss.IndexIVFPQFastScan if nbits == 4 else faiss.IndexIVFPQ
    index = kind(faiss.IndexFlatIP(e), e, nlist, m, nbits, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    train = g[np.sort(rng.choice(g.shape[0], min(g.shape[0], 256 * nlist), replace=False))]
    for params in (index.cp, index.pq.cp):  # small galleries: train anyway, quietly
        params.seed, params.min_points_per_centroid = seed, 1
    index.train(train)
    index.add(g)
    return faiss.serialize_index(index).tobytes()


def load_ivfpq(blob: bytes) -> Any:
    """The faiss index serialized in ``blob`` (from :func:`build_ivfpq`)."""
    return _faiss().deserialize_index(np.frombuffer(blob, dtype=np.uint8))


def ivfpq_topk(index: bytes | Any, queries: np.ndarray, k: int, nprobe: int = 16, *,
               gallery: np.ndarray | None = None, k_factor: int = 1
               ) -> tuple[np.ndarray, np.ndarray]:
    """(scores (Q, k) float32, index (Q, k) int64) from an IVF-PQ index (serialized, or
    from :func:`load_ivfpq`); missing hits are -1. With ``gallery`` (G, E), the index's
    ``k * k_factor`` candidates are re-ranked by exact inner product, so the scores are
    exact and the order is exact search's; without it, scores are PQ estimates."""
    if isinstance(index, (bytes, bytearray)):
        index = load_ivfpq(bytes(index))
    index.nprobe = nprobe
    q = np.ascontiguousarray(queries, dtype=np.float32)
    wide = k * max(k_factor, 1) if gallery is not None else k
    scores, idx = index.search(q, min(wide, index.ntotal))
    if gallery is None:
        return scores, idx.astype(np.int64)
    return refine_topk(q, gallery, idx.astype(np.int64), k)


def refine_topk(queries: np.ndarray, gallery: np.ndarray, candidates: np.ndarray, k: int,
                rows: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(scores (Q, k) float32, index (Q, k) int64): the k best of each query's
    ``candidates`` (Q, K) gallery rows (-1: none) by exact inner product of ``queries``
    (Q, E) with ``gallery`` (G, E), in tie order; -1 and -inf where fewer than k.
    ``rows`` queries at a time bound the gathered (rows, K, E) block."""
    out_s = np.full((len(candidates), k), -np.inf, np.float32)
    out_i = np.full((len(candidates), k), -1, np.int64)
    width = min(k, candidates.shape[1])
    for i in range(0, len(candidates), rows):
        cand = candidates[i:i + rows]
        vectors = np.take(gallery, np.maximum(cand, 0), axis=0)  # (rows, K, E)
        s = np.matmul(vectors, queries[i:i + rows, :, None])[..., 0]
        s[cand < 0] = -np.inf
        s, idx = _tie_order(s, cand)
        out_s[i:i + rows, :width], out_i[i:i + rows, :width] = s[:, :width], idx[:, :width]
    out_i[~np.isfinite(out_s)] = -1
    return out_s, out_i


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each row of ``truth`` (Q, k) found in the same row of ``found``
    (Q, k'): recall@k of an approximate search against exact search."""
    hits = [len(set(f.tolist()) & set(t.tolist())) / max(len(t), 1)
            for f, t in zip(found, truth)]
    return float(np.mean(hits)) if hits else float("nan")
