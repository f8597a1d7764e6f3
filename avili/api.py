"""The functions the CLI calls, one per stage: read inputs, run the stage, write outputs
atomically, return a summary dict. Usable from Python scripts the same way.

No function here prints, exits or picks file names: callers pass every path.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any, Sequence

import numpy as np

from avili.artifacts import (atomic_output, file_sha256, ids_sha256, output_group,  # noqa: F401
                             provenance, to_jsonable)
from avili.config import (DistillConfig, GraphConfig, ImportConfig,
                          SyntheticConfig, TeachConfig, VideoConfig)
from avili.data.lazy import budget_bytes, open_for_training
from avili.data.softlabels import (SoftLabels, align_to_dataset, load_soft_labels,
                                   save_soft_labels)
from avili.errors import AviliError
from avili.data.graphfile import check_classes, load_graph, save_graph
from avili.progress import Progress
from avili.students import load_student, students_and_data  # noqa: F401 (part of the API)

PathLike = str | os.PathLike


def extract_synthetic(cfg: SyntheticConfig, out: PathLike, planted_out: PathLike,
                      progress: Progress | None = None) -> dict[str, Any]:
    """Generate the synthetic benchmark; write the dataset (HDF5) and planted graph (NPZ).
    Features are generated and written chunk by chunk, so any size fits in memory."""
    from avili.data.schema import DatasetWriter, split_counts
    from avili.data.synthetic import CHUNK, plan
    from avili.progress import NullProgress

    p, progress = plan(cfg), progress or NullProgress()
    events = ("audio_events", "visual_events")
    with DatasetWriter(out, cfg.clips, cfg.audio_dim, cfg.visual_dim, p.names,
                       p.provenance("dataset", source="synthetic"), events) as writer:
        progress.start("generate", -(-cfg.clips // CHUNK))
        try:
            for rows, part in p.chunks():
                writer.write(rows, part.audio, part.visual, part.label, part.split,
                             part.clip_id, **{k: getattr(part, k) for k in events})
                progress.advance(1)
        finally:
            progress.stop()
    planted = p.graph()
    save_graph(planted, planted_out)
    return {"out": str(out), "planted": str(planted_out), "clips": cfg.clips,
            "classes": len(p.names), "planted_links": len(planted.edges()),
            **split_counts(p.split)}


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
          progress: Progress | None = None, resume: bool = False, overwrite: bool = False,
          tensorboard: PathLike | None = None) -> dict[str, Any] | None:
    """Train the teacher; write its checkpoint, its per-epoch logs ``<out>.log.jsonl`` and
    ``<out>.log.csv`` (:mod:`avili.train.log`) and the soft labels of every clip; with
    ``tensorboard``, the same scalars in that folder. The per-epoch training state
    (``<out>.state.pt``) allows ``resume`` after an interruption and is kept after the
    run; without ``resume`` an existing state is refused unless ``overwrite``
    (:func:`_unfinished_state`). Under torchrun rank 0 writes and reports; the other ranks
    get None."""
    from avili.train.distributed import rank as distributed_rank
    from avili.train.state import state_path
    from avili.train.teach import train_teacher

    _unfinished_state(out, resume, overwrite, tensorboard)
    ds = open_for_training(data, budget_bytes(cfg.max_memory_mb))
    if cfg.expected_positives > len(ds.class_names):
        raise AviliError(f"--expected-positives {cfg.expected_positives:g} exceeds the number "
                         f"of classes ({len(ds.class_names)})", data)
    result = train_teacher(ds, cfg, progress, state_path(out), resume,
                           _identities(ids_sha256(ds.clip_id.tolist()), data=data))
    if distributed_rank() != 0:  # under torchrun only rank 0 writes
        return None
    save_teacher(result, cfg, ds, data, out, soft_out)
    _tensorboard(result.fit.history, tensorboard)
    return {"out": str(out), "soft_out": str(soft_out), "best_epoch": result.fit.best_epoch,
            "val_loss": -result.fit.best_score, "temperatures": result.temperatures,
            "mode": cfg.mode, "harvested": _harvest_quality(result.soft, data)}


def save_teacher(result: Any, cfg: TeachConfig, ds: Any, data: PathLike, out: PathLike,
                 soft_out: PathLike) -> None:
    """Write a trained teacher (a :class:`avili.train.teach.TeacherResult` on ``ds``, read
    from the dataset file ``data``): its checkpoint ``out`` and soft labels ``soft_out``,
    both or neither, each recording its provenance."""
    from avili.checkpoint import save_checkpoint
    from avili.train.log import write_logs

    record = provenance("teacher", cfg, {"data": data}, seed=cfg.seed,
                        clip_ids_sha256=result.soft.provenance["clip_ids_sha256"],
                        temperatures=result.temperatures, training=result.training)
    with output_group() as group:  # all outputs, or none
        save_checkpoint(out, "teacher", _payload(result.model, cfg, ds, result.fit,
                                                 temperatures=result.temperatures), record)
        write_logs(result.fit.history, out)
        result.soft.provenance = {**result.soft.provenance, **record, "kind": "soft_labels",
                                  "teacher": {"path": os.fspath(out),
                                              "sha256": file_sha256(group.staged(out))}}
        save_soft_labels(result.soft, soft_out)


def _harvest_quality(soft: Any, data: PathLike) -> dict[str, Any] | None:
    """Precision and recall of the harvested modality labels against the dataset's
    per-modality event truth, on the test split (a report, read after training; None
    without event keys). The features stay on disk: only labels, splits and events are
    read (a memory budget of 0)."""
    from avili.data.lazy import open_dataset

    ds = open_dataset(data, max_memory=0, events=True)
    rows, out = np.flatnonzero(ds.split == "test"), {}
    if ds.audio_events is None or ds.visual_events is None or rows.size == 0:
        return None
    for side in ("audio", "visual"):
        found = getattr(soft, f"{side}_labels")[rows, ds.label[rows]] > 0
        truth = getattr(ds, f"{side}_events")[rows, ds.label[rows]] > 0
        out[side] = {"precision": float((found & truth).sum() / max(found.sum(), 1)),
                     "recall": float((found & truth).sum() / max(truth.sum(), 1)),
                     "present": float(truth.mean())}
    return out


def infer_graph(soft_path: PathLike, cfg: GraphConfig, out: PathLike,
                csv_out: PathLike | None = None, class_names: Sequence[str] | None = None,
                formats: Sequence[str] = ("npz",), plot_out: PathLike | None = None,
                progress: Progress | None = None) -> dict[str, Any]:
    """GRaSP on soft labels; write the graph in each of ``formats`` (``out`` for its own
    suffix, ``<out stem>.<format>`` for the others), the CSV edge list and a PNG drawing
    when asked. ``progress`` counts the restarts and bootstrap runs. The summary holds
    the edge records, strongest first, as ``edge_list``."""
    from avili.graph.export import check_formats, edge_records
    from avili.graph.infer import infer_graph as discover

    check_formats(list(formats))
    soft = load_soft_labels(soft_path, class_names)
    graph = discover(soft, cfg, progress)
    paths = save_graph_files(graph, cfg, soft, out, csv_out, formats, plot_out)
    stability = graph.provenance["stability"]
    return {"out": str(out), "written": [str(p) for p in paths.values()],
            "edge_list": edge_records(graph),
            "edges": len(graph.edges()), "transform": graph.provenance["transform"],
            "input_kind": graph.provenance["input_kind"],
            "warnings": graph.provenance["warnings"],
            "mean_jaccard": stability["mean_jaccard"], "chosen_seed": stability["chosen_seed"]}


def save_graph_files(graph: Any, cfg: GraphConfig, soft: SoftLabels, out: PathLike,
                     csv_out: PathLike | None = None, formats: Sequence[str] = ("npz",),
                     plot_out: PathLike | None = None) -> dict[str, Any]:
    """Write ``graph``, inferred with ``cfg`` from ``soft`` (read from ``soft.path``), in
    each of ``formats`` (``out`` for its own suffix, ``<out stem>.<format>`` for the
    others), plus the CSV edge list and the PNG drawing when asked: every file or none.
    Returns {format: path}."""
    from avili.graph.export import check_formats, output_paths, plot, write_format

    paths = output_paths(out, check_formats(list(formats)))
    inputs = {"soft": soft.path} if soft.path is not None else {}
    graph.provenance = provenance("graph", cfg, inputs, seed=cfg.seed,
                                  **graph.provenance,
                                  clip_ids_sha256=soft.provenance.get("clip_ids_sha256"))
    with output_group():  # every requested file, or none
        for fmt, path in paths.items():
            write_format(graph, fmt, path)
        if csv_out is not None:
            write_format(graph, "csv", csv_out)
        if plot_out is not None:
            plot(graph, plot_out)
    return paths


def distill(data: PathLike, cfg: DistillConfig, out: PathLike, soft: PathLike | None = None,
            graph: PathLike | None = None, progress: Progress | None = None,
            resume: bool = False, overwrite: bool = False,
            tensorboard: PathLike | None = None) -> dict[str, Any] | None:
    """Train the student (metric loss + LIR); write its checkpoint and per-epoch logs
    (and TensorBoard scalars), as in :func:`teach`. Under torchrun rank 0 writes and
    reports; the other ranks get None. Interrupted runs continue with
    ``resume``, as in :func:`teach`."""
    from avili.train.distill import train_student
    from avili.train.distributed import rank as distributed_rank
    from avili.train.state import state_path

    _unfinished_state(out, resume, overwrite, tensorboard)
    ds = open_for_training(data, budget_bytes(cfg.max_memory_mb))
    soft_labels = g = None
    if soft is not None:
        aligned = align_to_dataset(load_soft_labels(soft), ds.clip_id, ds.class_names, data)
        # training reads the probabilities only: drop the ids, splits and harvested labels
        soft_labels = SoftLabels(aligned.audio, aligned.visual, aligned.class_names,
                                 path=aligned.path)
        del aligned
    if graph is not None:
        g = load_graph(graph)
        check_classes(g, ds.class_names, data)
    selection, ids = None, ids_sha256(ds.clip_id.tolist())
    if cfg.lir_weight > 0 or any(w > 0 for w in cfg.lir_weight_grid):
        from avili.train.distill import check_lir_inputs

        check_lir_inputs(cfg, soft_labels, g)
    if cfg.lir_weight_grid or cfg.graph_weight_grid:
        if resume:
            raise AviliError("--resume is not available with --lir-weight auto or "
                             "--graph-weight auto; rerun, or resume a fixed weight")
        from avili.train.select import select_student

        selection = select_student(ds, cfg, soft_labels, g, progress)
        result, cfg = selection.result, selection.config
    else:
        result = train_student(ds, cfg, soft_labels, g, progress, state_path(out), resume,
                               _identities(ids, data=data, soft=soft, graph=graph))
    if distributed_rank() != 0:  # under torchrun only rank 0 writes
        return None
    chosen = {} if selection is None else {"selection": selection.record}
    save_student(result, cfg, ds, out, {"data": data, "soft": soft, "graph": graph}, ids,
                 selection=None if selection is None else selection.record)
    _tensorboard(result.fit.history, tensorboard)
    return {"out": str(out), "best_epoch": result.fit.best_epoch,
            "val_avg_mAP": result.fit.best_score, "lir": cfg.lir if cfg.lir_weight > 0 else None,
            "lir_weight": cfg.lir_weight, "graph_weight": cfg.graph_weight, **chosen}


def save_student(result: Any, cfg: DistillConfig, ds: Any, out: PathLike,
                 inputs: dict[str, PathLike | None], clip_ids_sha256: str | None = None,
                 selection: dict | None = None) -> None:
    """Write a trained student (a :class:`avili.train.distill.StudentResult` on ``ds``)
    to the checkpoint ``out``, recording its config, its input files ({role: path}; None
    entries are skipped) and the ``selection`` record of ``--lir-weight auto``."""
    from avili.checkpoint import save_checkpoint
    from avili.train.log import write_logs

    inputs = {k: v for k, v in inputs.items() if v}
    chosen = {} if selection is None else {"selection": selection}
    ids = clip_ids_sha256 or ids_sha256(ds.clip_id.tolist())
    record = provenance("student", cfg, inputs, seed=cfg.seed,
                        clip_ids_sha256=ids, training=result.training, **chosen)
    with output_group():  # the checkpoint and its logs, or none
        save_checkpoint(out, "student", _payload(result.model, cfg, ds, result.fit,
                                                 links=result.links.tolist(), **chosen), record)
        write_logs(result.fit.history, out)


def _identities(clip_ids_sha256: str, **paths: PathLike | None) -> dict[str, str]:
    """What a resumed run must find again: the dataset's clip-id hash (given) and size,
    and the SHA-256 of each other input file."""
    return {role: (f"{clip_ids_sha256}:{os.path.getsize(path)}" if role == "data"
                   else file_sha256(path))
            for role, path in paths.items() if path is not None}


def _unfinished_state(out: PathLike, resume: bool, overwrite: bool,
                      tensorboard: PathLike | None = None) -> None:
    """Checks before training. A run's ``<out>.state.pt`` is never dropped silently:
    without ``resume`` it is refused, or, with ``overwrite``, deleted to start over. (It
    is kept after a finished run, so that ``--resume --epochs N+k`` can extend it.) With
    ``tensorboard``, its package must be installed before a long run starts."""
    from avili.train.state import state_path

    if tensorboard is not None:
        from avili.train.log import require_tensorboard

        require_tensorboard()
    state = state_path(out)
    if resume or not state.exists():
        return
    if not overwrite:
        raise AviliError(f"found the training state {state} of an earlier run; pass --resume "
                         "to continue it (or extend it with more --epochs), or --overwrite "
                         "to start over", out)
    state.unlink()


def _tensorboard(history: list[dict[str, Any]], logdir: PathLike | None) -> None:
    if logdir is not None:
        from avili.train.log import write_tensorboard

        write_tensorboard(history, logdir)


def _payload(model: Any, cfg: Any, ds: Any, fit: Any, **extra: Any) -> dict[str, Any]:
    from avili.train.loop import reproducible

    return {"config": asdict(cfg), "state_dict": model.state_dict(),
            "class_names": list(ds.class_names),
            "dims": {"audio": int(ds.audio.shape[1]), "visual": int(ds.visual.shape[1])},
            "history": reproducible(fit.history), "best_epoch": int(fit.best_epoch),
            "best_score": float(fit.best_score), "extra": extra}


from avili.eval.stage import compare, diagnose_graph, evaluate, plot_names  # noqa: E402,F401
from avili.retrieval.stage import build_index, retrieve, search_index  # noqa: E402,F401
