"""The public Python API: every stage in memory, on objects instead of files.

Each function takes its inputs (a :class:`Dataset` or a dataset path, soft labels, a
graph, a model) and the stage's options as keyword arguments with the CLI's defaults: the
fields of the stage's config dataclass (``epochs=``, ``lir_weight=``, ...), or a whole
``config=``. Results are typed dataclasses. Nothing here prints, exits or writes files;
:mod:`avili.api` holds the file-based stages the CLI calls.

    import avili
    ds, planted = avili.synthetic(clips=2000)
    teacher = avili.train_teacher(ds, epochs=20)
    graph = avili.infer_graph(teacher)
    student = avili.train_student(ds, soft=teacher, graph=graph)
    print(avili.evaluate(student, ds).avg_mAP)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

from avili.config import (DistillConfig, EvalConfig, GraphConfig, SyntheticConfig,
                          TeachConfig, configure)
from avili.data.graphfile import Graph
from avili.data.schema import Dataset
from avili.data.softlabels import SoftLabels
from avili.errors import AviliError
from avili.progress import Progress

PathLike = str | os.PathLike


def load_dataset(path: PathLike, *, max_memory_mb: float = 0.0) -> Dataset:
    """An avili dataset (HDF5). Features beyond ``max_memory_mb`` (0: a quarter of RAM)
    stay on disk and are read in chunks."""
    from avili.data.lazy import budget_bytes, open_for_training

    return open_for_training(path, budget_bytes(max_memory_mb))


def _dataset(data: Dataset | PathLike) -> Dataset:
    return load_dataset(data) if isinstance(data, (str, os.PathLike)) else data


def synthetic(config: SyntheticConfig | None = None, **options: Any) -> tuple[Dataset, Graph]:
    """The built-in synthetic benchmark in memory: (dataset, planted graph). Options are
    :class:`avili.config.SyntheticConfig`'s fields (``clips``, ``classes``, ``seed``...)."""
    from avili.data.synthetic import generate

    return generate(configure(SyntheticConfig, config, options, "synthetic"))


def train_teacher(data: Dataset | PathLike, config: TeachConfig | None = None, *,
                  progress: Progress | None = None, **options: Any) -> Any:
    """Train the teacher on ``data``'s train split (epoch chosen by val loss) and predict
    calibrated soft labels for every clip. Options: :class:`avili.config.TeachConfig`.
    Returns a :class:`avili.train.teach.TeacherResult` (``model``, ``soft``, ``fit``)."""
    from avili.train.teach import train_teacher as train

    cfg = configure(TeachConfig, config, options, "train_teacher")  # before any reading
    return train(_dataset(data), cfg, progress)


def soft_labels(soft: Any) -> SoftLabels:
    """Soft labels from a :class:`SoftLabels`, a teacher result or an NPZ path."""
    if isinstance(soft, (str, os.PathLike)):
        from avili.data.softlabels import load_soft_labels

        return load_soft_labels(soft)
    soft = getattr(soft, "soft", soft)
    if not isinstance(soft, SoftLabels):
        raise AviliError(f"expected soft labels, a teacher result or a path; got "
                         f"{type(soft).__name__}")
    return soft


def infer_graph(soft: Any, config: GraphConfig | None = None, **options: Any) -> Graph:
    """The latent interaction graph (GRaSP by default) between the 2C class-modality
    nodes of the soft labels' train split. ``soft``: see :func:`soft_labels`. Options:
    :class:`avili.config.GraphConfig`."""
    from avili.graph.infer import infer_graph as discover

    return discover(soft_labels(soft), configure(GraphConfig, config, options, "infer_graph"))


def _graph(graph: Graph | PathLike | None) -> Graph | None:
    if isinstance(graph, (str, os.PathLike)):
        from avili.data.graphfile import load_graph

        return load_graph(graph)
    return graph


def _weights(options: dict[str, Any]) -> dict[str, Any]:
    """``lir_weight``/``graph_weight`` as the CLI reads them: "auto" picks the weight on
    val from the default grid, a number fixes it (and empties the grid)."""
    defaults = DistillConfig()
    for name in ("lir_weight", "graph_weight"):
        if name not in options:
            continue
        if options[name] == "auto":
            options.pop(name)
            options.setdefault(f"{name}_grid", getattr(defaults, f"{name}_grid")
                               or (getattr(defaults, name),))
        else:
            options.setdefault(f"{name}_grid", ())
    return options


def train_student(data: Dataset | PathLike, config: DistillConfig | None = None, *,
                  soft: Any = None, graph: Graph | PathLike | None = None,
                  progress: Progress | None = None, **options: Any) -> Any:
    """Train the student: the metric loss plus LIR with ``soft`` labels and ``graph``.
    Options: :class:`avili.config.DistillConfig`; as on the CLI, ``lir_weight`` is "auto"
    by default (chosen on val among its grid, the plain student included) or a number;
    ``lir_weight=0`` trains the plain metric loss. Returns a
    :class:`avili.train.distill.StudentResult` with the ``config`` used and, for "auto",
    the ``selection`` record."""
    from avili.train.distill import train_student as train
    from avili.train.select import select_student

    cfg = configure(DistillConfig, config, _weights(dict(options)), "train_student")
    ds = _dataset(data)
    probs = None if soft is None else _aligned(soft_labels(soft), ds)
    g = _graph(graph)
    if cfg.lir_weight_grid or cfg.graph_weight_grid:
        chosen = select_student(ds, cfg, probs, g, progress)
        return replace(chosen.result, config=chosen.config, selection=chosen.record,
                       candidates=chosen.trained)
    return replace(train(ds, cfg, probs, g, progress), config=cfg)


@dataclass
class Evaluation:
    """Standard mAP (full ranked gallery) on one split: both directions and their mean;
    ``metrics`` holds every figure of ``avili eval --json`` (mAP@R, MRR, P@k, R@k,
    per-class AP, CIs with ``ci=True``, and against a ``baseline`` its ``delta_*``);
    ``per_query`` each query's AP per direction, for paired tests of your own."""

    split: str
    relevance: str
    a2v_mAP: float
    v2a_mAP: float
    avg_mAP: float
    metrics: dict[str, Any] = field(default_factory=dict)
    per_query: dict[str, Any] = field(default_factory=dict)  # {a2v, v2a}: (n,) AP, NaN: none


def _model(model: Any) -> Any:
    """A student network from a training result, a network or a checkpoint path."""
    if isinstance(model, (str, os.PathLike)):
        from avili.students import load_student

        return load_student(model)[0]
    return getattr(model, "model", model)


def evaluate(model: Any, data: Dataset | PathLike, config: EvalConfig | None = None, *,
             baseline: Any = None, **options: Any) -> Evaluation:
    """Score ``model`` (a student result, network or checkpoint path) on one split of
    ``data`` (default: test). With ``baseline``, also its differences to that model with
    paired bootstrap 95% CIs. Options: :class:`avili.config.EvalConfig`."""
    from avili.eval.evaluate import embed
    from avili.eval.stage import score_models

    cfg = configure(EvalConfig, config, options, "evaluate")
    part = _dataset(data).subset(cfg.split)
    models = [_model(model)] + ([] if baseline is None else [_model(baseline)])
    seen = [("model", *embed(m, part)) for m in models]
    rows, per_query = score_models(seen[::-1], part, cfg)  # deltas: model - baseline
    row = rows[-1]
    return Evaluation(cfg.split, cfg.relevance, row["a2v_mAP"], row["v2a_mAP"],
                      row["avg_mAP"], row, per_query[-1])


def diagnose(models: Sequence[Any], data: Dataset | PathLike, graph: Graph | PathLike,
             soft: Any, *, split: str = "test", **options: Any) -> dict[str, Any]:
    """The false-negative diagnostic on one split: how much closer each model after the
    first holds the clip pairs that the graph's top edges link (and random pairs, the
    control). ``models``: results, networks or checkpoint paths. Options:
    :class:`avili.eval.diagnose.DiagnoseConfig` (``top_edges``, ``tau``...)."""
    from avili.eval.diagnose import DiagnoseConfig, diagnose as run
    from avili.eval.evaluate import embed

    cfg = configure(DiagnoseConfig, None, options, "diagnose")
    ds = _dataset(data)
    part, rows = ds.subset(split), ds.indices(split)
    probs = _aligned(soft_labels(soft), ds)
    return run(_graph(graph), (probs.audio[rows], probs.visual[rows]), part.label,
               [embed(_model(m), part) for m in models], cfg)


def _aligned(soft: SoftLabels, ds: Dataset) -> SoftLabels:
    """``soft`` row for row with ``ds`` (soft labels without clip ids are taken as they
    are)."""
    from avili.data.softlabels import align_to_dataset

    return soft if soft.clip_id is None else align_to_dataset(soft, ds.clip_id,
                                                               ds.class_names, ds.path)


@dataclass
class Hit:
    """One retrieved clip: its 1-based rank, clip id, annotated class and cosine score."""

    rank: int
    clip_id: str
    label: str
    score: float


def retrieve(model: Any, data: Dataset | PathLike, query: str, *, k: int = 10,
             direction: str = "a2v", split: str | None = None) -> list[Hit]:
    """Top-``k`` cross-modal search for the clip ``query`` (a clip id): its audio against
    the visual gallery (``a2v``) or the reverse; the gallery is ``split`` (default: the
    query's own split)."""
    from avili.retrieval.stage import clip_hits

    hits = clip_hits(_model(model), _dataset(data), query, k, direction, split)["hits"]
    return [Hit(h["rank"], h["clip_id"], h["class"], h["score"]) for h in hits]


def _reuses_plain(cfg: DistillConfig, students: Sequence[str]) -> bool:
    """Whether ``lir`` under "auto" trains the baseline among its candidates: the
    plain student (LIR weight 0) with the same loss, epochs, batches and seed."""
    return "lir" in students and bool(cfg.lir_weight_grid or cfg.graph_weight_grid)


@dataclass
class PipelineResult:
    """Everything :func:`run_pipeline` made, in memory, and its test-split scores."""

    dataset: Dataset
    planted: Graph | None
    teacher: Any
    graph: Graph
    students: dict[str, Any]
    scores: dict[str, dict[str, Evaluation]]
    recovery: dict[str, float] | None


def run_pipeline(config: Any = None, *, data: Dataset | PathLike | None = None,
                 planted: Graph | None = None, students: Sequence[str] = ("baseline", "lir"),
                 relevance: Sequence[str] = ("label", "events"), ci: bool = True,
                 progress: Progress | None = None) -> PipelineResult:
    """teach -> infer-graph -> distill -> eval in memory, as ``avili demo`` runs it.

    ``config``: an :class:`avili.config.DemoConfig` (default: the demo's). ``data``:
    default the synthetic benchmark of ``config.synthetic`` (its planted graph then gives
    ``recovery``). ``students``: ``baseline`` (the metric loss alone, LIR weight 0) and
    ``lir`` (``config.distill``, LIR weight chosen on val by default), trained with the same
    loss, epochs and seed. Each is scored on the test split for each ``relevance``; ``lir``
    against ``baseline`` with paired 95% CIs when ``ci``."""
    from avili.config import DemoConfig
    from avili.data.graphfile import recovery

    cfg = config or DemoConfig()
    if data is None:
        data, planted = synthetic(cfg.synthetic)
    ds = _dataset(data)
    teacher = train_teacher(ds, cfg.teach, progress=progress)
    graph = infer_graph(teacher, cfg.graph)
    plain = replace(cfg.distill, lir_weight=0.0, lir_weight_grid=(), graph_weight_grid=())
    configs = {"baseline": plain, "lir": cfg.distill}
    trained = {name: train_student(ds, configs[name], soft=teacher, graph=graph,
                                   progress=progress) for name in students
               if name != "baseline" or not _reuses_plain(cfg.distill, students)}
    if "baseline" in students and "baseline" not in trained:  # auto trained it already
        plain_run = trained["lir"].candidates[0.0, 0.0]
        trained = {"baseline": replace(plain_run, config=plain), **trained}
    scores = {name: {rel: evaluate(model, ds, split="test", relevance=rel, ci=ci,
                                   baseline=trained.get("baseline") if name != "baseline"
                                   else None) for rel in relevance}
              for name, model in trained.items()}
    return PipelineResult(ds, planted, teacher, graph, trained, scores,
                          None if planted is None else recovery(graph, planted))

