"""Gallery indexes: embed a split once (``retrieve index``), then answer top-k queries
against it (``retrieve search``) by clip id or from a file of feature vectors."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from avili.config import IndexConfig, SearchConfig
from avili.data.gallery import Gallery
from avili.data.schema import Dataset
from avili.errors import AviliError, reader
from avili.retrieval.search import build_ivfpq, exact_topk, ivfpq_topk, recall_at_k

QUERY_SIDE = {"a2v": ("audio", "visual"), "v2a": ("visual", "audio")}  # (query, gallery)


def sides(direction: str) -> tuple[str, str]:
    """(query modality, gallery modality) of ``direction``."""
    if direction not in QUERY_SIDE:
        raise AviliError(f"unknown direction {direction!r}; expected a2v or v2a")
    return QUERY_SIDE[direction]


def build_gallery(audio: np.ndarray, visual: np.ndarray, part: Dataset, cfg: IndexConfig,
                  provenance: dict[str, Any]) -> Gallery:
    """A gallery over ``part``'s clips from their (N, E) audio and visual embeddings; with
    ``cfg.ivfpq`` also an IVF-PQ index per modality, whose recall@10 against exact search
    (queries: up to ``cfg.recall_queries`` clips of the other modality; ``cfg.nprobe``
    lists, ``cfg.k_factor`` candidates per hit re-ranked exactly) goes into the
    provenance."""
    g = Gallery(audio=audio, visual=visual, clip_id=part.clip_id, label=part.label,
                class_names=list(part.class_names), provenance=dict(provenance))
    if cfg.ivfpq:
        recall = {}
        rng = np.random.default_rng(cfg.seed)
        probe = np.sort(rng.choice(len(g), min(len(g), cfg.recall_queries), replace=False))
        for direction in ("a2v", "v2a"):
            q_side, g_side = sides(direction)
            vectors = getattr(g, g_side)
            g.ivfpq[g_side] = build_ivfpq(vectors, cfg.nlist, cfg.pq_m, cfg.nbits, cfg.seed)
            queries = getattr(g, q_side)[probe]
            truth = exact_topk(queries, vectors, 10)[1]
            found = ivfpq_topk(g.ivfpq[g_side], queries, 10, cfg.nprobe, gallery=vectors,
                               k_factor=cfg.k_factor)[1]
            recall[direction] = round(recall_at_k(found, truth), 4)
        g.provenance["ivfpq_recall@10"] = {"nprobe": cfg.nprobe, "k_factor": cfg.k_factor,
                                           "queries": int(probe.size), **recall}
    return g


def clip_queries(g: Gallery, ids: list[str], direction: str) -> np.ndarray:
    """(Q, E) query-modality embeddings of the gallery clips ``ids``."""
    where = {c: i for i, c in enumerate(g.clip_id.tolist())}
    missing = [c for c in ids if c not in where]
    if missing:
        raise AviliError(f"query clip id {missing[0]!r} is not in the gallery", g.path)
    return getattr(g, sides(direction)[0])[[where[c] for c in ids]]


def check_k(k: int) -> None:
    if k < 1:
        raise AviliError(f"--k must be at least 1, got {k}")


def ranked_hits(scores: np.ndarray, idx: np.ndarray, clip_id: np.ndarray, label: np.ndarray,
                class_names: list[str]) -> list[list[dict[str, Any]]]:
    """Per query, from (Q, k) scores and gallery rows: hits with rank, clip_id, class and
    score; rows < 0 (faiss found fewer than k) are left out."""
    return [[{"rank": r + 1, "clip_id": str(clip_id[i]), "class": class_names[int(label[i])],
              "score": float(s)} for r, (s, i) in enumerate(zip(row_s, row_i)) if i >= 0]
            for row_s, row_i in zip(scores, idx)]


def search(g: Gallery, queries: np.ndarray, cfg: SearchConfig) -> list[list[dict[str, Any]]]:
    """Ranked hits (rank, clip_id, class, score) for each of ``queries`` (Q, E)."""
    check_k(cfg.k)
    gallery_side = sides(cfg.direction)[1]
    vectors = getattr(g, gallery_side)
    if queries.shape[1] != vectors.shape[1]:
        raise AviliError(f"queries have {queries.shape[1]} dimensions, the gallery "
                         f"{vectors.shape[1]}", g.path)
    if cfg.approximate:
        if gallery_side not in g.ivfpq:
            raise AviliError("this gallery has no IVF-PQ index; rebuild it with 'avili "
                             "retrieve index --ivfpq', or search exactly", g.path)
        scores, idx = ivfpq_topk(g.ivfpq[gallery_side], queries, cfg.k, cfg.nprobe,
                                 gallery=vectors, k_factor=cfg.k_factor)
    else:
        scores, idx = exact_topk(queries, vectors, cfg.k, cfg.memory_mb)
    return ranked_hits(scores, idx, g.clip_id, g.label, g.class_names)


@reader
def read_query_features(path: str | os.PathLike) -> np.ndarray:
    """(Q, D) float32 from a .npy, or an .npz holding exactly one array."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise AviliError(f"cannot read query features ({str(exc)[:80]})", path) from None
    if not isinstance(loaded, np.ndarray):
        if len(loaded.files) != 1:
            raise AviliError(f"expected one array in the .npz, found {loaded.files}", path)
        loaded = loaded[loaded.files[0]]
    arr = np.atleast_2d(loaded)
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.number):
        raise AviliError(f"query features must be a numeric (Q, D) array, got {arr.dtype} "
                         f"{arr.shape}", path)
    with np.errstate(over="ignore"):  # beyond float32's range becomes Inf: refused below
        arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        raise AviliError("query features contain NaN or Inf (or values beyond float32)", path)
    return arr
