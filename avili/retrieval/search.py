"""Top-k search of query embeddings against a gallery: exact, or approximate with faiss.

Exact search multiplies a block of queries with a block of the gallery into one
preallocated score buffer (``memory_mb``), keeps each block's top k, and merges the
candidates once per query block, so working memory stays at the buffer plus
O(queries x blocks x k). Approximate search is a faiss IVF-PQ index (the ``avili[faiss]``
extra, imported only here and only when asked for), for galleries of 10M and more.

Scores are inner products; avili's embeddings are L2-normalized, so they are cosines.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from avili.errors import AviliError


def exact_topk(queries: np.ndarray, gallery: np.ndarray, k: int, memory_mb: int = 256
               ) -> tuple[np.ndarray, np.ndarray]:
    """(scores (Q, k) float32 descending, index (Q, k) int64) of the k best gallery rows
    for each of ``queries`` (Q, E) against ``gallery`` (G, E), k clipped to G."""
    import torch

    q = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
    g = torch.from_numpy(np.ascontiguousarray(gallery, dtype=np.float32))
    k = min(k, g.shape[0])
    if k < 1:
        raise AviliError("search needs k >= 1 and a non-empty gallery")
    rows = max(1, min(q.shape[0], 1024))
    cols = max(k, min(g.shape[0], (memory_mb << 20) // (4 * rows)))
    buffer = torch.empty(rows, cols)
    best_s, best_i = [], []
    for i in range(0, q.shape[0], rows):
        block = q[i:i + rows]
        cand_s, cand_i = [], []
        for j in range(0, g.shape[0], cols):
            part = g[j:j + cols]
            out = buffer[:block.shape[0], :part.shape[0]]
            torch.mm(block, part.T, out=out)
            s, idx = torch.topk(out, min(k, part.shape[0]), dim=1)
            cand_s.append(s)
            cand_i.append(idx + j)
        s, pick = torch.topk(torch.cat(cand_s, 1), k, dim=1)
        best_s.append(s)
        best_i.append(torch.gather(torch.cat(cand_i, 1), 1, pick))
    return torch.cat(best_s).numpy(), torch.cat(best_i).numpy()


def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        raise AviliError("approximate search needs faiss; install it with "
                         "pip install 'avili[faiss]'") from None
    return faiss


def build_ivfpq(gallery: np.ndarray, nlist: int, m: int, nbits: int = 8, seed: int = 0
                ) -> bytes:
    """A trained, filled faiss IVF-PQ index (inner product) over ``gallery`` (G, E),
    serialized. ``nlist`` inverted lists, ``m`` sub-quantizers of ``nbits`` bits; E must
    be divisible by m. Training uses at most 256 x nlist rows, drawn with ``seed``."""
    faiss = _faiss()
    g = np.ascontiguousarray(gallery, dtype=np.float32)
    if g.shape[1] % m:
        raise AviliError(f"--pq-m {m} must divide the embedding size {g.shape[1]}")
    if g.shape[0] < max(nlist, 1 << nbits):
        raise AviliError(f"IVF-PQ with --nlist {nlist} and --nbits {nbits} needs at least "
                         f"{max(nlist, 1 << nbits)} gallery items, this one has {g.shape[0]}; "
                         "lower them, or search exactly")
    index = faiss.IndexIVFPQ(faiss.IndexFlatIP(g.shape[1]), g.shape[1], nlist, m, nbits,
                             faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    train = g[np.sort(rng.choice(g.shape[0], min(g.shape[0], 256 * nlist), replace=False))]
    for params in (index.cp, index.pq.cp):  # small galleries: train anyway, quietly
        params.seed, params.min_points_per_centroid = seed, 1
    index.train(train)
    index.add(g)
    return faiss.serialize_index(index).tobytes()


def ivfpq_topk(blob: bytes, queries: np.ndarray, k: int, nprobe: int = 16
               ) -> tuple[np.ndarray, np.ndarray]:
    """(scores (Q, k), index (Q, k)) from a serialized IVF-PQ index; missing hits are -1."""
    faiss = _faiss()
    index = faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8))
    index.nprobe = nprobe
    scores, idx = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    return scores, idx.astype(np.int64)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each row of ``truth`` (Q, k) found in the same row of ``found``
    (Q, k'): recall@k of an approximate search against exact search."""
    hits = [len(set(f.tolist()) & set(t.tolist())) / max(len(t), 1)
            for f, t in zip(found, truth)]
    return float(np.mean(hits)) if hits else float("nan")
