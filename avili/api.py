"""The functions the CLI calls, one per stage: read inputs, run the stage, write outputs
atomically, return a summary dict. Usable from Python scripts the same way.

No function here prints, exits or picks file names: callers pass every path.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any, Sequence

import numpy as np

from avili.artifacts import atomic_output, file_sha256, ids_sha256, provenance
from avili.config import (DistillConfig, EvalConfig, GraphConfig, ImportConfig, SyntheticConfig,
                          TeachConfig, VideoConfig)
from avili.data.schema import read_dataset, write_dataset
from avili.data.softlabels import align_to_dataset, load_soft_labels, save_soft_labels
from avili.errors import AviliError
from avili.graph.graphfile import check_classes, load_graph, save_graph
from avili.progress import Progress

PathLike = str | os.PathLike


def extract_synthetic(cfg: SyntheticConfig, out: PathLike, planted_out: PathLike
                      ) -> dict[str, Any]:
    """Generate the synthetic benchmark; write the dataset (HDF5) and planted graph (NPZ)."""
    from avili.data.synthetic import generate

    ds, planted = generate(cfg)
    write_dataset(ds, out)
    save_graph(planted, planted_out)
    counts = {s: int((ds.split == s).sum()) for s in ("train", "val", "test")}
    return {"out": str(out), "planted": str(planted_out), "clips": len(ds),
            "classes": ds.num_classes, "planted_links": len(planted.edges()), **counts}


def import_features(source: PathLike, out: PathLike, cfg: ImportConfig,
                    progress: Progress | None = None) -> dict[str, Any]:
    """Convert published feature files (HDF5/NPZ, or the AVE release folder) into an avili
    dataset; see :mod:`avili.data.importers` for the formats."""
    from avili.data.importers import import_features as run

    return run(source, out, cfg, progress)


def extract_videos(videos: PathLike, labels: PathLike, out: PathLike, cfg: VideoConfig,
                   progress: Progress | None = None) -> dict[str, Any]:
    """Decode raw videos and embed them with the configured backbones (``avili[media]``)."""
    from avili.media.extract import extract_videos as run

    return run(videos, labels, out, cfg, progress)


def merge(parts: Sequence[PathLike], out: PathLike, progress: Progress | None = None
          ) -> dict[str, Any]:
    """Join avili dataset shards (e.g. from ``extract --videos --shard i/n``) into one."""
    from avili.data.merge import merge_datasets

    if not parts:
        raise AviliError("--merge needs at least one dataset shard")
    return merge_datasets(list(parts), out, progress=progress)


def teach(data: PathLike, cfg: TeachConfig, out: PathLike, soft_out: PathLike,
          progress: Progress | None = None) -> dict[str, Any]:
    """Train the AV-SAL teacher; write its checkpoint and the soft labels of every clip."""
    from avili.checkpoint import save_checkpoint
    from avili.train.teach import train_teacher

    ds = read_dataset(data, events=False)
    result = train_teacher(ds, cfg, progress)
    record = provenance("teacher", cfg, {"data": data}, seed=cfg.seed,
                        clip_ids_sha256=ids_sha256(ds.clip_id.tolist()),
                        temperatures=result.temperatures)
    save_checkpoint(out, "teacher", _payload(result.model, cfg, ds, result.fit,
                                             temperatures=result.temperatures), record)
    result.soft.provenance = {**record, "kind": "soft_labels",
                              "teacher": {"path": os.fspath(out), "sha256": file_sha256(out)}}
    save_soft_labels(result.soft, soft_out)
    return {"out": str(out), "soft_out": str(soft_out), "best_epoch": result.fit.best_epoch,
            "val_bce": -result.fit.best_score, "temperatures": result.temperatures}


def infer_graph(soft_path: PathLike, cfg: GraphConfig, out: PathLike,
                csv_out: PathLike | None = None, class_names: Sequence[str] | None = None,
                formats: Sequence[str] = ("npz",), plot_out: PathLike | None = None
                ) -> dict[str, Any]:
    """GRaSP on soft labels; write the graph in each of ``formats`` (``out`` for its own
    suffix, ``<out stem>.<format>`` for the others), the CSV edge list and a PNG drawing
    when asked."""
    from avili.graph.infer import infer_graph as discover
    from avili.graph.export import check_formats, output_paths, plot, write_format

    paths = output_paths(out, check_formats(list(formats)))
    soft = load_soft_labels(soft_path, class_names)
    graph = discover(soft, cfg)
    graph.provenance = provenance("graph", cfg, {"soft": soft_path}, seed=cfg.seed,
                                  **graph.provenance,
                                  clip_ids_sha256=soft.provenance.get("clip_ids_sha256"))
    for fmt, path in paths.items():
        write_format(graph, fmt, path)
    if csv_out is not None:
        write_format(graph, "csv", csv_out)
    if plot_out is not None:
        plot(graph, plot_out)
    stability = graph.provenance["stability"]
    return {"out": str(out), "written": [str(p) for p in paths.values()], "graph": graph,
            "edges": len(graph.edges()), "transform": graph.provenance["transform"],
            "input_kind": graph.provenance["input_kind"],
            "warnings": graph.provenance["warnings"],
            "mean_jaccard": stability["mean_jaccard"], "chosen_seed": stability["chosen_seed"]}


def distill(data: PathLike, cfg: DistillConfig, out: PathLike, soft: PathLike | None = None,
            graph: PathLike | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Train the student (metric loss + LIR); write its checkpoint."""
    from avili.checkpoint import save_checkpoint
    from avili.train.distill import train_student

    ds = read_dataset(data, events=False)
    soft_labels = g = None
    if soft is not None:
        soft_labels = align_to_dataset(load_soft_labels(soft), ds.clip_id, ds.class_names, data)
    if graph is not None:
        g = load_graph(graph)
        check_classes(g, ds.class_names, data)
    result = train_student(ds, cfg, soft_labels, g, progress)
    inputs = {k: v for k, v in {"data": data, "soft": soft, "graph": graph}.items() if v}
    record = provenance("student", cfg, inputs, seed=cfg.seed,
                        clip_ids_sha256=ids_sha256(ds.clip_id.tolist()))
    save_checkpoint(out, "student", _payload(result.model, cfg, ds, result.fit,
                                             links=result.links.tolist()), record)
    return {"out": str(out), "best_epoch": result.fit.best_epoch,
            "val_avg_mAP": result.fit.best_score}


def _payload(model: Any, cfg: Any, ds: Any, fit: Any, **extra: Any) -> dict[str, Any]:
    return {"config": asdict(cfg), "state_dict": model.state_dict(),
            "class_names": list(ds.class_names),
            "dims": {"audio": int(ds.audio.shape[1]), "visual": int(ds.visual.shape[1])},
            "history": fit.history, "best_epoch": int(fit.best_epoch),
            "best_score": float(fit.best_score), "extra": extra}


def load_student(path: PathLike) -> tuple[Any, dict[str, Any]]:
    """Rebuild a student from its checkpoint (safe loading). Returns (model, checkpoint)."""
    from avili.checkpoint import load_checkpoint
    from avili.config import config_from_dict
    from avili.models import build_student

    ckpt = load_checkpoint(path, "student")
    cfg = config_from_dict(DistillConfig, ckpt["config"])
    model = build_student(ckpt["dims"]["audio"], ckpt["dims"]["visual"], cfg.hidden,
                          cfg.embed_dim, cfg.dropout)
    try:
        model.load_state_dict(ckpt["state_dict"])
    except (RuntimeError, KeyError) as exc:
        raise AviliError(f"weights do not fit the stored config ({str(exc)[:100]})", path) from None
    model.eval()
    return model, ckpt


def _student_and_data(model_path: PathLike, data: PathLike, events: bool) -> tuple[Any, Any]:
    model, ckpt = load_student(model_path)
    ds = read_dataset(data, events=events)
    if list(ckpt["class_names"]) != list(ds.class_names):
        raise AviliError(f"model {model_path} does not match {data}: trained on other classes")
    dims = (ds.audio.shape[1], ds.visual.shape[1])
    if dims != (ckpt["dims"]["audio"], ckpt["dims"]["visual"]):
        raise AviliError(f"model {model_path} does not match {data}: it expects feature sizes "
                         f"{ckpt['dims']['audio']}/{ckpt['dims']['visual']}, the data has "
                         f"{dims[0]}/{dims[1]}")
    return model, ds


def evaluate(model_path: PathLike, data: PathLike, cfg: EvalConfig,
             save_embeddings: PathLike | None = None) -> dict[str, Any]:
    """Standard mAP (a2v, v2a, average), mAP@R, P@k, R@k, MRR and per-class AP on one
    split (optionally CIs and the non-standard cumulative mAP); optionally save the
    split's embeddings."""
    return compare([model_path], data, cfg, save_embeddings)["models"][0]


def compare(model_paths: Sequence[PathLike], data: PathLike, cfg: EvalConfig,
            save_embeddings: PathLike | None = None) -> dict[str, Any]:
    """Evaluate several students on the same split; every model after the first also gets
    its differences to the first, with paired bootstrap 95% CIs over the same queries.
    ``save_embeddings`` keeps the first model's."""
    from avili.evaluate import differences, direction_metrics, embed, summarize

    if not model_paths:
        raise AviliError("give at least one --model")
    if cfg.map_variant not in ("standard", "cumulative"):
        raise AviliError(f"unknown --map-variant {cfg.map_variant!r}; expected standard or "
                         "cumulative")
    rows, base = [], None
    for path in model_paths:
        model, ds = _student_and_data(path, data, events=cfg.relevance == "events")
        part = ds.subset(cfg.split)
        audio, visual = embed(model, part)
        stats = direction_metrics(audio, visual, part, cfg)
        row = {"model": str(path), "data": str(data), "split": cfg.split,
               "relevance": cfg.relevance, "map_variant": cfg.map_variant,
               **summarize(stats, part, cfg)}
        if base is None:
            base = stats
            if save_embeddings is not None:
                _save_embeddings(save_embeddings, audio, visual, part)
        else:
            row.update(differences(stats, base, cfg))
        rows.append(row)
    return {"split": cfg.split, "relevance": cfg.relevance, "baseline": str(model_paths[0]),
            "models": rows}


def _save_embeddings(path: PathLike, audio: np.ndarray, visual: np.ndarray, part: Any) -> None:
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, audio=audio, visual=visual, clip_id=part.clip_id,
                     label=part.label, class_names=np.array(part.class_names))


def retrieve(model_path: PathLike, data: PathLike, query: str, k: int = 10,
             direction: str = "a2v", split: str | None = None) -> dict[str, Any]:
    """Top-k cross-modal search for one clip id. The gallery is ``split`` (default: the
    query clip's own split), in the other modality. Scores are cosine similarities."""
    from avili.evaluate import embed

    if k < 1:
        raise AviliError(f"--k must be at least 1, got {k}")
    if direction not in ("a2v", "v2a"):
        raise AviliError(f"unknown direction {direction!r}; expected a2v or v2a")
    model, ds = _student_and_data(model_path, data, events=False)
    where = np.flatnonzero(ds.clip_id == query)
    if where.size == 0:
        raise AviliError(f"query clip id {query!r} is not in the dataset", data)
    row = int(where[0])
    gallery = ds.subset(split or str(ds.split[row]))
    qa, qv = embed(model, ds.take(where[:1]))
    ga, gv = embed(model, gallery)
    q, g = (qa[0], gv) if direction == "a2v" else (qv[0], ga)
    scores = g @ q
    top = np.argsort(-scores, kind="stable")[:k]
    hits = [{"rank": r + 1, "clip_id": str(gallery.clip_id[i]),
             "class": gallery.class_names[int(gallery.label[i])], "score": float(scores[i])}
            for r, i in enumerate(top)]
    return {"query": query, "query_class": ds.class_names[int(ds.label[where[0]])],
            "direction": direction, "gallery_size": len(gallery), "hits": hits}
