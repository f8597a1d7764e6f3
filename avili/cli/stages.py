"""The training and scoring stages: teach, distill, eval, and the demo that chains the
pipeline (infer-graph is in :mod:`avili.cli.graph`, retrieve in :mod:`avili.cli.retrieve`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from avili.cli._common import (Device, DeviceOpt, Dropout, EmbedDevice, Hidden, Json, LirForm,
                               LossName, MapVariant, MaxMemory, Mining, Negatives, Overwrite,
                               Quiet, Relevance, Resume, Seed, Split, TeacherMode,
                               TensorBoard, WeightDecay, _emit, _outputs, _print_grids,
                               _progress, choices, command, weight_or_auto)
from avili.config import (AMP_MODES, GRAPH_WEIGHT_GRID, LIR_WEIGHT_GRID, DistillConfig,
                          EvalConfig, SyntheticConfig, TeachConfig)

Amp = choices("Amp", AMP_MODES)
AmpOpt = Annotated[Amp, typer.Option(help="Mixed precision for the training steps on CUDA: "
                                          "bf16 or fp16 autocast (refused on the CPU).")]
Tf32 = Annotated[bool, typer.Option(help="Let CUDA matmuls use TF32 while training (no "
                                         "effect on the CPU).")]

@command("teach")
def teach(
    data: Annotated[Path, typer.Option(help="avili dataset (HDF5).")],
    out: Annotated[Path, typer.Option(help="Teacher checkpoint to write (.pt).")],
    soft_out: Annotated[Optional[Path], typer.Option(
        help="Soft labels to write (default: soft.npz beside --out).")] = None,
    epochs: int = TeachConfig.epochs, batch_size: int = TeachConfig.batch_size,
    lr: float = TeachConfig.lr, hidden: Hidden = TeachConfig.hidden,
    weight_decay: WeightDecay = TeachConfig.weight_decay, dropout: Dropout = TeachConfig.dropout,
    align_weight: Annotated[float, typer.Option(help="Weight of the AV-SAL alignment loss.")
                            ] = TeachConfig.align_weight,
    mode: Annotated[TeacherMode, typer.Option(help="independent (per-modality heads, no "
                    "alignment; VALOR), aligned (AV-SAL: plus the alignment loss) or fused "
                    "(one head on both modalities).")] = TeacherMode(TeachConfig.mode),
    negatives: Annotated[Negatives, typer.Option(help="Unannotated classes: epr (unknown, "
                         "with an expected number of events per clip), weak (down-weighted "
                         "negatives) or assume (negatives: plain BCE).")
                         ] = Negatives(TeachConfig.negatives),
    expected_positives: Annotated[float, typer.Option(help="epr: expected events per clip "
                                  "and modality.")] = TeachConfig.expected_positives,
    negative_weight: Annotated[float, typer.Option(help="weak: weight of each unannotated "
                               "class as a negative; 0 = 1/(C-1).")
                               ] = TeachConfig.negative_weight,
    harvest_quantile: Annotated[float, typer.Option(help="Harvested modality labels: a "
                                "class counts as present above this quantile of its val "
                                "scores on other classes' clips.")] = 0.95,
    resume: Resume = False, max_memory: MaxMemory = 0.0, tensorboard: TensorBoard = None,
    seed: Seed = 0, device: DeviceOpt = Device.auto, amp: AmpOpt = Amp.off,
    tf32: Tf32 = False, quiet: Quiet = False, overwrite: Overwrite = False, as_json: Json = False,
) -> None:
    """Train the teacher and write soft labels (and harvested modality labels) for every
    clip.

    Each modality gets its own head with one sigmoid per class. A clip's one annotated
    label is a positive; its other classes are unknown, not absent (--negatives epr, the
    default), so co-occurring events that nobody annotated keep their probability. The
    aligned mode adds the AV-SAL alignment between the two modalities' soft-label
    distributions. The epoch is chosen on val; temperatures are calibrated on val under the
    same criterion.

    Example: avili teach --data demo.h5 --out teacher.pt
    """
    from avili import api

    soft = soft_out or out.with_name("soft.npz")
    cfg = TeachConfig(mode=mode.value, negatives=negatives.value,
                      expected_positives=expected_positives, negative_weight=negative_weight,
                      harvest_quantile=harvest_quantile, epochs=epochs,
                      batch_size=batch_size, lr=lr, hidden=hidden, align_weight=align_weight,
                      weight_decay=weight_decay, dropout=dropout,
                      max_memory_mb=max_memory, seed=seed, device=device.value,
                      amp=amp.value, tf32=tf32)
    _training_outputs(overwrite, resume, out, soft)
    s = api.teach(data, cfg, out, soft, _progress(quiet), resume, overwrite, tensorboard)
    if s is None:  # a torchrun rank other than 0: rank 0 reports
        return
    from avili.checkpoint import epoch_number
    from avili.cli.report import harvest_text

    _emit(s, as_json, f"wrote {out} (best epoch {epoch_number(s['best_epoch'])}, val loss "
                      f"{s['val_loss']:.4f}) and {soft}{harvest_text(s['harvested'])}")


@command("distill")
def distill(
    data: Annotated[Path, typer.Option(help="avili dataset (HDF5).")],
    out: Annotated[Path, typer.Option(help="Student checkpoint to write (.pt).")],
    soft: Annotated[Optional[Path], typer.Option(help="Soft labels from 'avili teach'.")] = None,
    graph: Annotated[Optional[Path], typer.Option(help="Graph from 'avili infer-graph'.")] = None,
    lir: Annotated[LirForm, typer.Option(help="LIR's form: graded (likely false negatives "
                   "rank below same-label clips and above unrelated ones), eliminate (they "
                   "leave the negatives), pull, or pair (the authors' released form).")
                   ] = LirForm(DistillConfig.lir),
    lir_weight: Annotated[str, typer.Option(help="Weight of LIR; 0 trains the plain "
                          "baseline; auto picks it on val.")] = "auto",
    graph_weight: Annotated[str, typer.Option(help="graded/eliminate: the graph's share of "
                            "the false-negative probability (0 soft labels alone, 1 only "
                            "graph-linked pairs); auto picks it on val.")
                            ] = str(DistillConfig.graph_weight),
    pair_edge_weight: Annotated[float, typer.Option(help="pair: weight of a clip whose "
                                "audio:y-visual:y is an edge; 1 is the graph-free control.")
                                ] = DistillConfig.pair_edge_weight,
    loss: Annotated[LossName, typer.Option(help="Metric loss; each combines with LIR.")
                    ] = LossName(DistillConfig.loss),
    mining: Annotated[Mining, typer.Option(help="triplet: batch-hard or semi-hard "
                                                "triplets.")] = Mining.hard,
    temperature: Annotated[float, typer.Option(help="infonce/supcon/fnac temperature; 0 = "
                                                    "the loss's default.")] = 0.0,
    fnac_weight: Annotated[float, typer.Option(help="FNAC suppression weight.")
                           ] = DistillConfig.fnac_weight,
    fnac_warmup: Annotated[int, typer.Option(help="Epochs before FNAC's suppression.")
                           ] = DistillConfig.fnac_warmup,
    cpsp_weight: Annotated[float, typer.Option(help="CPSP pair-level weight.")
                           ] = DistillConfig.cpsp_weight,
    tolerance: Annotated[float, typer.Option(help="auto: val avg mAP a stronger candidate "
                         "may give up against the best.")] = DistillConfig.tolerance,
    epochs: int = DistillConfig.epochs, batch_size: int = DistillConfig.batch_size,
    lr: float = DistillConfig.lr, margin: float = DistillConfig.margin,
    embed_dim: int = DistillConfig.embed_dim, hidden: Hidden = DistillConfig.hidden,
    weight_decay: WeightDecay = DistillConfig.weight_decay,
    dropout: Dropout = DistillConfig.dropout, resume: Resume = False,
    tensorboard: TensorBoard = None,
    max_memory: MaxMemory = 0.0,
    gather: Annotated[bool, typer.Option(help="Under torchrun: gather every rank's "
                                              "embeddings (with gradients) so the loss sees "
                                              "the whole global batch; --no-gather: each "
                                              "rank's own slice.")] = DistillConfig.gather,
    seed: Seed = 0, device: DeviceOpt = Device.auto, amp: AmpOpt = Amp.off,
    tf32: Tf32 = False, quiet: Quiet = False, overwrite: Overwrite = False, as_json: Json = False,
) -> None:
    """Train the student: a cross-modal metric loss plus LIR.

    LIR uses the teacher's soft labels and the graph to find different-label pairs that
    probably share an event (false negatives). The default form, graded, ranks them below
    same-label clips and above unrelated ones. --lir-weight auto trains the plain student
    and one per candidate weight and keeps the strongest whose val mAP is within
    --tolerance of the best. The epoch with the best val average mAP is kept.

    Example: avili distill --data demo.h5 --soft soft.npz --graph graph.npz --out student.pt
    """
    from avili import api

    weight, weight_grid = weight_or_auto(lir_weight, "--lir-weight", LIR_WEIGHT_GRID)
    gweight, graph_grid = weight_or_auto(graph_weight, "--graph-weight", GRAPH_WEIGHT_GRID)
    cfg = DistillConfig(loss=loss.value, mining=mining.value, temperature=temperature,
                        lir=lir.value, lir_weight_grid=weight_grid,
                        lir_weight=DistillConfig.lir_weight if weight is None else weight,
                        graph_weight_grid=graph_grid, tolerance=tolerance,
                        graph_weight=DistillConfig.graph_weight if gweight is None else gweight,
                        pair_edge_weight=pair_edge_weight,
                        fnac_weight=fnac_weight, fnac_warmup=fnac_warmup,
                        cpsp_weight=cpsp_weight, epochs=epochs, batch_size=batch_size, lr=lr,
                        margin=margin, embed_dim=embed_dim, hidden=hidden,
                        weight_decay=weight_decay, dropout=dropout,
                        max_memory_mb=max_memory, gather=gather, seed=seed,
                        device=device.value, amp=amp.value, tf32=tf32)
    _training_outputs(overwrite, resume, out)
    s = api.distill(data, cfg, out, soft, graph, _progress(quiet), resume, overwrite,
                    tensorboard)
    if s is None:  # a torchrun rank other than 0: rank 0 reports
        return
    chosen = (f"; {s['lir']} LIR, weight {s['lir_weight']:g}, graph weight "
              f"{s['graph_weight']:g}" if s["lir"] else "; plain loss")
    picked = " chosen on val" if "selection" in s else ""
    from avili.checkpoint import epoch_number

    _emit(s, as_json, f"wrote {out} (best epoch {epoch_number(s['best_epoch'])}, val avg mAP "
                      f"{s['val_avg_mAP']:.4f}{chosen}{picked})")


@command("eval")
def evaluate(
    model: Annotated[list[Path], typer.Option(help="Student checkpoint; repeat to compare "
                                                   "models on the same split.")],
    data: Annotated[Path, typer.Option(help="avili dataset (HDF5).")],
    split: Annotated[Split, typer.Option(help="train, val or test.")] = Split.test,
    relevance: Annotated[Relevance, typer.Option(help="label: same annotated class; events: "
                         "the gallery item holds the query's event; harvested: the "
                         "teacher's harvested modality labels (needs --soft).")
                         ] = Relevance.label,
    ci: Annotated[bool, typer.Option("--ci", help="Bootstrap 95% CIs over queries.")] = False,
    map_variant: Annotated[MapVariant, typer.Option(help="cumulative: also report the "
                           "NON-STANDARD cumulative mAP some published code computes, "
                           "labelled as such.")] = MapVariant.standard,
    per_class: Annotated[bool, typer.Option("--per-class", help="Also print per-class AP.")
                         ] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print tables as Markdown.")
                        ] = False,
    chunk: Annotated[int, typer.Option(help="Queries scored at once (memory ~ chunk x "
                                            "gallery x 9 bytes); 0 = automatic.")] = 0,
    save_embeddings: Annotated[Optional[Path], typer.Option(help="Write the split's "
                               "embeddings (NPZ), of the first model.")] = None,
    seed: Annotated[int, typer.Option(help="Bootstrap resampling seed.")] = 0,
    diagnose_graph: Annotated[Optional[Path], typer.Option(help="Graph (NPZ): also report "
                              "how much closer each model after the first holds the clip "
                              "pairs its top edges link (needs --soft).")] = None,
    soft: Annotated[Optional[Path], typer.Option(help="Teacher soft labels, for "
                                                      "--diagnose-graph and --relevance "
                                                      "harvested.")] = None,
    tau: Annotated[float, typer.Option(help="Soft-label threshold for co-active pairs.")
                   ] = 0.5,
    top_edges: Annotated[int, typer.Option(help="Graph edges diagnosed.")] = 10,
    plot: Annotated[Optional[Path], typer.Option(help="Folder for PNG plots: precision-"
                    "recall per direction, val mAP per epoch, t-SNE maps.", file_okay=False)
                    ] = None,
    max_memory: MaxMemory = 0.0, device: EmbedDevice = Device.auto, quiet: Quiet = False,
    overwrite: Overwrite = False, as_json: Json = False,
) -> None:
    """Standard mAP over the full ranked gallery, with mAP@R, MRR, P@k and R@k.

    Both directions (audio->visual, visual->audio) and their average. Several --model
    options give one comparison table with each model's difference to the first and its
    bootstrap 95% CI.

    Example: avili eval --model baseline.pt --model student.pt --data demo.h5 --ci
    """
    from avili import api

    cfg = EvalConfig(split=split.value, relevance=relevance.value, ci=ci or len(model) > 1,
                     map_variant=map_variant.value, chunk=chunk, seed=seed,
                     max_memory_mb=max_memory, device=device.value)
    from avili.artifacts import check_distinct
    from avili.eval.diagnose import DiagnoseConfig

    diagnosis = DiagnoseConfig(top_edges=top_edges, tau=tau, seed=seed)
    pngs = [] if plot is None else [plot / n for n in api.plot_names(model)]
    check_distinct([save_embeddings, plot])  # a --plot folder where the NPZ goes
    _outputs(overwrite, save_embeddings, *pngs)
    diagnose = None
    if diagnose_graph is not None:
        if soft is None:
            from avili.errors import AviliError

            raise AviliError("--diagnose-graph needs --soft (the teacher's soft labels)")
        diagnose = (diagnose_graph, soft, diagnosis)
    s = api.compare(model, data, cfg, save_embeddings, plot,
                    soft if relevance == Relevance.harvested else None, diagnose,
                    progress=_progress(quiet))
    diag = s.get("diagnostic")
    if as_json:
        _emit(s, True, "")  # {"models": [...]} however many
        return
    from avili.cli.report import comparison_grid, diagnostic_grid, metrics_grid, per_class_grid

    grids = [metrics_grid(s["models"][0])] if len(model) == 1 else [comparison_grid(s)]
    grids += [per_class_grid(m) for m in s["models"]] if per_class else []
    grids += [diagnostic_grid(diag)] if diag else []
    _print_grids(grids, markdown)
    if s["plots"]:
        from avili.cli._console import stderr

        stderr.print(f"plots: {', '.join(s['plots'])}", markup=False, highlight=False,
                     soft_wrap=True)


@command("demo")
def demo(
    workdir: Annotated[Path, typer.Option(help="Folder for every artifact (regenerated).",
                                          file_okay=False)] = Path("avili-demo"),
    clips: Annotated[int, typer.Option(help="Synthetic clips to generate.")
                     ] = SyntheticConfig.clips,
    epochs: Annotated[int, typer.Option(help="Training epochs of the teacher and of both "
                                             "students.")] = TeachConfig.epochs,
    seed: Seed = 0, quiet: Quiet = False, as_json: Json = False,
) -> None:
    """Run the whole pipeline on the synthetic default and compare baseline vs LIR.

    Writes every artifact into --workdir (replacing earlier demo files there), then prints
    test mAP for the --lir-weight 0 baseline and the LIR student, and how well the inferred
    graph recovers the planted links.

    Example: avili demo --workdir avili-demo
    """
    from avili.config import demo_config
    from avili.pipeline import run_demo

    results = run_demo(workdir, demo_config(seed, clips, epochs), _progress(quiet))
    if as_json:
        _emit(results, True, "")
        return
    from avili.cli._console import stdout
    from avili.cli.report import demo_table

    stdout.print(demo_table(results))


def _training_outputs(overwrite: bool, resume: bool, out: Path, *others: Path) -> None:
    """Check a training command's outputs: the checkpoint ``out``, its per-epoch logs
    (:func:`avili.train.log.log_paths`) and ``others``."""
    from avili.train.log import log_paths

    _outputs(overwrite or _extends(resume, out), out, *others, *log_paths(out))


def _extends(resume: bool, out: Path) -> bool:
    """--resume over a run's own training state may replace that run's outputs: it
    finishes an interrupted commit, or extends a finished run (--epochs N+k)."""
    from avili.train.state import state_path

    return resume and state_path(out).is_file()
