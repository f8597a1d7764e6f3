"""The retrieval stage: one-off search from a model and a dataset, gallery indexes, and
queries against them by clip id, feature file or media file. Re-exported by
:mod:`avili.api`."""

from __future__ import annotations

import os
from typing import Any, Iterator, Sequence

import numpy as np

from avili.artifacts import file_sha256, ids_sha256, provenance
from avili.config import IndexConfig, SearchConfig
from avili.errors import AviliError
from avili.students import load_student, student_and_data

PathLike = str | os.PathLike


def retrieve(model_path: PathLike, data: PathLike, query: str, k: int = 10,
             direction: str = "a2v", split: str | None = None, device: str = "auto",
             max_memory_mb: float = 0.0) -> dict[str, Any]:
    """Top-k cross-modal search for one clip id (:func:`clip_hits`) with a student
    checkpoint and a dataset file; features beyond ``max_memory_mb`` (0: a quarter of
    RAM) stay on disk and are read in chunks."""
    from avili.config import check_range
    from avili.retrieval.index import check_k, sides

    check_k(k)
    sides(direction)
    check_range("--max-memory", max_memory_mb, 0)
    model, ds = student_and_data(model_path, data, False, int(max_memory_mb * 2**20) or None)
    return clip_hits(model, ds, query, k, direction, split, device)


def clip_hits(model: Any, ds: Any, query: str, k: int = 10, direction: str = "a2v",
              split: str | None = None, device: str = "auto") -> dict[str, Any]:
    """Top-k cross-modal search for the clip id ``query`` of ``ds``. The gallery is
    ``split`` (default: the query clip's own split), in the other modality, embedded on
    ``device``. Scores are cosine similarities. Returns the query, its class, the gallery
    size and the hits."""
    from avili.eval.evaluate import embed
    from avili.retrieval.index import check_k, ranked_hits, sides
    from avili.retrieval.search import exact_topk

    check_k(k)
    q_side, g_side = sides(direction)
    where = np.flatnonzero(ds.clip_id == query)
    if where.size == 0:
        raise AviliError(f"query clip id {query!r} is not in the dataset", ds.path)
    row = int(where[0])
    gallery = ds.subset(split or str(ds.split[row]))
    query_emb = dict(zip(("audio", "visual"), embed(model, ds.take(where[:1]), device)))
    gallery_emb = dict(zip(("audio", "visual"), embed(model, gallery, device)))
    scores, top = exact_topk(query_emb[q_side], gallery_emb[g_side], k)
    hits = ranked_hits(scores, top, gallery.clip_id, gallery.label, gallery.class_names)[0]
    return {"query": query, "query_class": ds.class_names[int(ds.label[row])],
            "direction": direction, "gallery_size": len(gallery), "hits": hits}


def build_index(model_path: PathLike, data: PathLike, out: PathLike, cfg: IndexConfig
                ) -> dict[str, Any]:
    """Embed ``cfg.split`` (default: every clip) with a student and write a gallery index
    (``.avx``), with faiss IVF-PQ indexes when ``cfg.ivfpq``."""
    from avili.data.gallery import Gallery, write_gallery
    from avili.data.lazy import Rows
    from avili.eval.evaluate import embed
    from avili.retrieval.index import build_gallery

    model, ds = student_and_data(model_path, data, False, int(cfg.max_memory_mb * 2**20) or None)
    part = ds.subset(cfg.split) if cfg.split else ds
    features = ({"source": "videos", "config": ds.provenance.get("config")}
                if ds.provenance.get("source") == "videos" else None)
    record = provenance("gallery", cfg, {"model": model_path, "data": data}, seed=cfg.seed,
                        clip_ids_sha256=ids_sha256(part.clip_id.tolist()), features=features)
    dim = int(model.audio[-1].out_features)
    if isinstance(part.audio, Rows) and not cfg.ivfpq:  # over budget: embed block by block
        g = Gallery(None, None, part.clip_id, part.label, list(part.class_names), record)
        write_gallery(g, out, _embedded_blocks(model, part, cfg.device))
    else:
        audio, visual = embed(model, part, cfg.device)
        g = build_gallery(audio, visual, part, cfg, record)
        write_gallery(g, out)
    return {"out": str(out), "clips": len(g), "dim": dim,
            "ivfpq_recall@10": g.provenance.get("ivfpq_recall@10")}


def _embedded_blocks(model: Any, part: Any, device: str = "auto", rows: int = 4096
                     ) -> Iterator[tuple]:
    """(k, E) audio and visual embeddings of ``part``'s clips, ``rows`` at a time, on
    ``device``."""
    from avili.models import predict, resolve_device

    device = resolve_device(device)
    model.to(device)
    for start in range(0, len(part), rows):
        yield tuple(predict(lambda x, m=m: model.encode(x, m),
                            getattr(part, m)[start:start + rows], device)
                    for m in ("audio", "visual"))


def search_index(index_path: PathLike, cfg: SearchConfig, clip_ids: Sequence[str] = (),
                 features: PathLike | None = None, model_path: PathLike | None = None,
                 media: Sequence[PathLike] = ()) -> dict[str, Any]:
    """Top-k hits against a gallery index for one kind of query: gallery clips
    (``clip_ids``); raw query-modality feature vectors in ``features`` (.npy (Q, D), or .npz
    with one array); or ``media`` files, run through the backbones the index's dataset was
    extracted with (``avili[media]``). The last two are embedded with ``model_path``, which
    must be the index's own model."""
    from avili.data.gallery import read_gallery
    from avili.retrieval.index import clip_queries, read_query_features, search, sides

    g = read_gallery(index_path)
    if sum(map(bool, (clip_ids, features is not None, media))) != 1:
        raise AviliError("give one kind of query: --query clip ids, --query-file or "
                         "--query-media")
    side = sides(cfg.direction)[0]
    if clip_ids:
        queries, names = clip_queries(g, list(clip_ids), cfg.direction), list(clip_ids)
    else:
        if model_path is None:
            raise AviliError("--query-file and --query-media need --model, the student the "
                             "index was built with")
        if features is not None:
            raw, source = read_query_features(features), features
            names = [f"{os.fspath(features)}[{i}]" for i in range(raw.shape[0])]
        else:
            raw, source, names = _media_features(g, media, side), media[0], list(map(str, media))
        queries = _embed_features(model_path, g, raw, side, source)
    hits = search(g, queries, cfg)
    return {"index": str(index_path), "direction": cfg.direction, "gallery_size": len(g),
            "approximate": cfg.approximate,
            "results": [{"query": n, "hits": h} for n, h in zip(names, hits)]}


def _media_features(g: Any, media: Sequence[PathLike], side: str) -> np.ndarray:
    """(Q, D) ``side`` features of media files, extracted as the index's dataset was."""
    from avili.config import VideoConfig, config_from_dict
    from avili.media.extract import embed_media_file

    source = g.provenance.get("features") or {}
    if source.get("source") != "videos":
        raise AviliError("--query-media needs an index over a dataset built with 'avili "
                         "extract --videos', whose backbones it reuses", g.path)
    cfg = config_from_dict(VideoConfig, source["config"])
    return np.stack([embed_media_file(path, cfg)[0 if side == "audio" else 1]
                     for path in media])


def _embed_features(model_path: PathLike, g: Any, raw: np.ndarray, modality: str,
                    features: PathLike) -> np.ndarray:
    from avili.models import predict

    built_with = g.provenance.get("inputs", {}).get("model", {}).get("sha256")
    if built_with and built_with != file_sha256(model_path):
        raise AviliError(f"model {model_path} is not the one index {g.path} was built with")
    model, ckpt = load_student(model_path)
    want = ckpt["dims"][modality]
    if raw.shape[1] != want:
        raise AviliError(f"{modality} features have {raw.shape[1]} dimensions, the model "
                         f"expects {want}", features)
    import torch

    return predict(lambda x: model.encode(x, modality), raw, torch.device("cpu"))
