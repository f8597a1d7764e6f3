"""The ``eval`` stage on files: read student checkpoints and a dataset, score them on one
split, and optionally write embeddings, plots and the graph diagnostic. Library code: no
printing, no exiting."""

from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np

from avili.artifacts import atomic_output, output_group
from avili.config import EvalConfig
from avili.data.graphfile import check_classes, load_graph
from avili.data.softlabels import align_to_dataset, load_soft_labels
from avili.errors import AviliError
from avili.progress import NullProgress, Progress
from avili.students import students_and_data

PathLike = str | os.PathLike


def evaluate(model_path: PathLike, data: PathLike, cfg: EvalConfig,
             save_embeddings: PathLike | None = None) -> dict[str, Any]:
    """Standard mAP (a2v, v2a, average), mAP@R, P@k, R@k, MRR and per-class AP on one
    split (optionally CIs and the non-standard cumulative mAP); optionally save the
    split's embeddings."""
    return compare([model_path], data, cfg, save_embeddings)["models"][0]


def compare(model_paths: Sequence[PathLike], data: PathLike, cfg: EvalConfig,
            save_embeddings: PathLike | None = None, plot_dir: PathLike | None = None,
            soft: PathLike | None = None, diagnose: tuple | None = None,
            progress: Progress | None = None) -> dict[str, Any]:
    """Evaluate several students on the same split; every model after the first also gets
    its differences to the first, with paired bootstrap 95% CIs over the same queries.
    ``save_embeddings`` keeps the first model's; ``plot_dir`` gets PNGs
    (:func:`_plots`); ``soft`` supplies the harvested labels of ``--relevance harvested``;
    ``diagnose`` = (graph, soft labels, DiagnoseConfig) adds the false-negative diagnostic
    (:func:`diagnose_graph`) on the same embeddings, as ``"diagnostic"``. ``progress``
    reports the t-SNE maps of the plots, the slow part."""
    if not model_paths:
        raise AviliError("give at least one --model")
    if diagnose is not None and len(model_paths) < 2:
        raise AviliError("--diagnose-graph compares models: give at least two --model")
    ds, part, seen = _embedded(model_paths, data, cfg.split, cfg.relevance == "events",
                               int(cfg.max_memory_mb * 2**20) or None, cfg.device)
    harvested = _harvested(soft, ds, cfg.split, data) if soft else None
    diagnostic = (None if diagnose is None else  # before any file is written
                  _diagnostic(ds, part, seen, data, *diagnose, cfg.split))
    rows = [{"data": str(data), **row} for row in score_models(seen, part, cfg, harvested)[0]]
    if save_embeddings is not None:
        _save_embeddings(save_embeddings, seen[0][1], seen[0][2], part)
    out = {"split": cfg.split, "relevance": cfg.relevance, "baseline": str(model_paths[0]),
           "models": rows,
           "plots": []}
    if plot_dir is not None:
        with output_group():  # every PNG, or none
            out["plots"] = _plots(seen, part, cfg, plot_dir, rows, progress)
    if diagnostic is not None:
        out["diagnostic"] = diagnostic
    return out


def score_models(seen: Sequence[tuple[Any, np.ndarray, np.ndarray]], part: Any,
                 cfg: EvalConfig, harvested: tuple | None = None
                 ) -> tuple[list[dict[str, Any]], list[dict[str, np.ndarray]]]:
    """One row of metrics (:func:`avili.eval.evaluate.summarize`) per (name, audio (n, E),
    visual (n, E)) embeddings of the clips of ``part``; every row after the first also
    holds its differences to the first, with paired bootstrap 95% CIs. Also each model's
    per-query AP, {direction: (n,) float64, NaN where no gallery item is relevant}."""
    from avili.eval.evaluate import differences, direction_metrics, summarize

    rows, per_query, base = [], [], None
    for name, audio, visual in seen:
        stats = direction_metrics(audio, visual, part, cfg, harvested)
        row = {"model": str(name), "split": cfg.split, "relevance": cfg.relevance,
               "map_variant": cfg.map_variant, **summarize(stats, part, cfg)}
        if base is None:
            base = stats
        else:
            row.update(differences(stats, base, cfg))
        rows.append(row)
        per_query.append({d: stats[d]["AP"] for d in ("a2v", "v2a")})
    return rows, per_query


def _embedded(model_paths: Sequence[PathLike], data: PathLike, split: str, events: bool,
              max_memory: int | None = None, device: str = "auto"
              ) -> tuple[Any, Any, list[tuple]]:
    """The dataset (read once), its ``split``, and (path, audio, visual) embeddings
    (n, E) of that split for each model, computed on ``device``."""
    from avili.eval.evaluate import embed

    models, ds = students_and_data(model_paths, data, events, max_memory)
    part = ds.subset(split)
    return ds, part, [(path, *embed(model, part, device))
                      for path, model in zip(model_paths, models)]


def _harvested(soft_path: PathLike, ds: Any, split: str, data: PathLike
               ) -> tuple[np.ndarray, np.ndarray]:
    """The split's harvested (audio, visual) (n, C) labels from a soft-label file."""
    soft = align_to_dataset(load_soft_labels(soft_path), ds.clip_id, ds.class_names, data)
    if soft.audio_labels is None or soft.visual_labels is None:
        raise AviliError("no harvested 'audio_labels'/'visual_labels' in these soft labels; "
                         "write them with 'avili teach'", soft_path)
    rows = ds.indices(split)
    return soft.audio_labels[rows], soft.visual_labels[rows]


def plot_names(model_paths: Sequence[PathLike]) -> list[str]:
    """The file names ``eval --plot DIR`` writes into DIR for these models."""
    from pathlib import Path

    return (["pr_a2v.png", "pr_v2a.png", "training.png"]
            + [f"tsne_{Path(p).stem}.png" for p in model_paths])


def _plots(seen: list, part: Any, cfg: EvalConfig, plot_dir: PathLike,
           rows: Sequence[dict[str, Any]], progress: Progress | None = None) -> list[str]:
    """PNGs in ``plot_dir``: mean precision-recall curves per direction (``pr_a2v.png``,
    ``pr_v2a.png``, each model's mean AP from its ``rows`` entry in the legend), val mAP
    per training epoch with the chosen epoch marked (``training.png``) and a t-SNE map per
    model (``tsne_<model file stem>.png``, one ``progress`` step each). Returns the paths
    written."""
    from pathlib import Path

    from avili.checkpoint import load_checkpoint
    from avili.eval import plots
    from avili.eval.evaluate import mean_pr_curves

    out, labels = Path(plot_dir), [Path(p).stem for p, *_ in seen]
    curves = [mean_pr_curves(a, v, part, cfg) for _, a, v in seen]
    written = [plots.pr_curves({lab: c[d] for lab, c in zip(labels, curves)}, d,
                               out / f"pr_{d}.png",
                               {lab: row[f"{d}_mAP"] for lab, row in zip(labels, rows)})
               for d in ("a2v", "v2a")]
    saved = [load_checkpoint(p, "student") for p, *_ in seen]
    written.append(plots.training_curves(
        {lab: ckpt["history"] for lab, ckpt in zip(labels, saved)}, out / "training.png",
        {lab: ckpt.get("best_epoch") for lab, ckpt in zip(labels, saved)}))
    written += _tsne_maps(seen, labels, part, cfg, out, progress or NullProgress())
    return [str(p) for p in written]


def _tsne_maps(seen: list, labels: list[str], part: Any, cfg: EvalConfig, out: Any,
               progress: Progress) -> list[Any]:
    """``tsne_<label>.png`` per model; t-SNE takes a while, so each is a progress step."""
    from avili.eval import plots
    from avili.eval.evaluate import tsne_map

    written = []
    progress.start("t-SNE maps", len(seen))
    try:
        for lab, (_, a, v) in zip(labels, seen):
            progress.advance(0, lab)
            points, label, side = tsne_map(a, v, part.label, seed=cfg.seed)
            written.append(plots.embedding_map(
                points, label, side, part.class_names,
                f"t-SNE of {lab} embeddings ({cfg.split} split)", out / f"tsne_{lab}.png"))
            progress.advance(1, lab)
    finally:
        progress.stop()
    return written


def diagnose_graph(model_paths: Sequence[PathLike], data: PathLike, graph_path: PathLike,
                   soft_path: PathLike, split: str, cfg: Any) -> dict[str, Any]:
    """The false-negative diagnostic (:mod:`avili.eval.diagnose`) of several students on one
    split: how much closer each later model holds the graph-linked clip pairs than the
    first, with a random-pair control. ``cfg`` is a :class:`avili.eval.diagnose.DiagnoseConfig`."""
    if len(model_paths) < 2:
        raise AviliError("--diagnose-graph compares models: give at least two --model")
    ds, part, seen = _embedded(model_paths, data, split, events=False)
    return _diagnostic(ds, part, seen, data, graph_path, soft_path, cfg, split)


def _diagnostic(ds: Any, part: Any, seen: list[tuple], data: PathLike, graph_path: PathLike,
                soft_path: PathLike, cfg: Any, split: str) -> dict[str, Any]:
    from avili.eval.diagnose import diagnose

    graph = load_graph(graph_path)
    check_classes(graph, part.class_names, data)
    soft = align_to_dataset(load_soft_labels(soft_path), ds.clip_id, ds.class_names, data)
    rows = ds.indices(split)
    result = diagnose(graph, (soft.audio[rows], soft.visual[rows]), part.label,
                      [(a, v) for _, a, v in seen], cfg)
    return {"graph": str(graph_path), "soft": str(soft_path), "split": split,
            "models": [str(p) for p, *_ in seen], **result}


def _save_embeddings(path: PathLike, audio: np.ndarray, visual: np.ndarray, part: Any) -> None:
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, audio=audio, visual=visual, clip_id=part.clip_id,
                     label=part.label, class_names=np.array(part.class_names))
