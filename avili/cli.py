"""The avili command line: a thin Typer layer over :mod:`avili.api`.

Each command parses flags into a config, calls one library function and prints a
summary: tables on stdout (or ``--json``), progress and errors on stderr. Heavy libraries
load inside commands, so ``avili --help`` and shell completion stay fast.
"""

from __future__ import annotations

import functools
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from avili import __version__
from avili.config import (DemoConfig, DistillConfig, EvalConfig, GraphConfig, SyntheticConfig,
                          TeachConfig)

app = typer.Typer(name="avili", no_args_is_help=True, pretty_exceptions_enable=False,
                  add_completion=True,
                  help="Audio-visual embeddings robust to sparse labels: teach -> infer-graph "
                       "-> distill -> eval/retrieve.")
_state = {"debug": False}


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class Direction(str, Enum):
    a2v = "a2v"
    v2a = "v2a"


class Relevance(str, Enum):
    label = "label"
    events = "events"


class Transform(str, Enum):
    auto = "auto"
    logit = "logit"
    none = "none"


Seed = Annotated[int, typer.Option(help="Seed for random, numpy and torch.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Json = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
Overwrite = Annotated[bool, typer.Option(help="Replace existing outputs.")]
DeviceOpt = Annotated[Device, typer.Option(help="Where to train: CUDA when present by default.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"avili {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option(help="Show tracebacks on errors.")] = False,
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version,
                                                    is_eager=True, help="Print the version.")] = None,
) -> None:
    """avili: audio-visual embeddings that stay robust when labels are sparse."""
    _state["debug"] = debug


def command(name: str) -> Callable:
    """Register a command whose user-facing errors become one stderr line and exit code 2."""

    def wrap(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            from avili.errors import AviliError

            try:
                return fn(*args, **kwargs)
            except AviliError as exc:
                _fail(str(exc), exc)
            except KeyboardInterrupt as exc:
                _fail("interrupted; finished artifacts are intact, unfinished ones were not "
                      "written", exc, code=130)
            except OSError as exc:
                where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
                _fail(f"{where}{exc.strerror or exc}", exc)

        return app.command(name)(run)

    return wrap


def _fail(message: str, exc: BaseException, code: int = 2) -> None:
    if _state["debug"]:
        raise exc
    from avili._console import stderr

    stderr.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _progress(quiet: bool) -> Any:
    from avili._console import RichProgress
    from avili.progress import NullProgress

    return NullProgress() if quiet else RichProgress()


def _outputs(overwrite: bool, *paths: Optional[Path]) -> None:
    from avili.artifacts import check_output

    for path in paths:
        if path is not None:
            check_output(path, overwrite)


def _emit(summary: dict, as_json: bool, line: str) -> None:
    from avili._console import stdout

    if as_json:
        from avili.artifacts import to_jsonable

        typer.echo(json.dumps(to_jsonable(summary), indent=2, sort_keys=True))
    else:
        stdout.print(line, highlight=False, soft_wrap=True)


@command("extract")
def extract(
    out: Annotated[Path, typer.Option(help="Dataset to write (HDF5).")],
    synthetic: Annotated[bool, typer.Option(help="Generate the built-in synthetic benchmark.")] = False,
    classes: Annotated[int, typer.Option(help="Synthetic: number of classes.")] = 15,
    clips: Annotated[int, typer.Option(help="Synthetic: number of clips.")] = 4000,
    rules: Annotated[Optional[int], typer.Option(
        help="Synthetic: planted cross-class links (default: one per class).")] = None,
    audio_dim: Annotated[int, typer.Option(help="Synthetic: audio feature size.")] = 128,
    visual_dim: Annotated[int, typer.Option(help="Synthetic: visual feature size.")] = 1024,
    planted_out: Annotated[Optional[Path], typer.Option(
        help="Synthetic: planted graph (default: <out>.planted.npz).")] = None,
    seed: Seed = 0, overwrite: Overwrite = False, as_json: Json = False,
) -> None:
    """Build an avili dataset (HDF5).

    Today: the synthetic benchmark with planted latent interactions, plus its planted graph
    for scoring graph recovery.

    Example: avili extract --synthetic --out demo.h5 --classes 15 --clips 4000 --seed 0
    """
    from avili import api
    from avili.errors import AviliError

    if not synthetic:
        raise AviliError("say where the data comes from: --synthetic (importing published "
                         "feature files and raw videos is not available in this version)")
    planted = planted_out or out.with_name(out.stem + ".planted.npz")
    _outputs(overwrite, out, planted)
    if rules is None:
        rules = min(classes, classes * (classes - 1) // 2)
    cfg = SyntheticConfig(classes=classes, clips=clips, rules=rules, audio_dim=audio_dim,
                          visual_dim=visual_dim, seed=seed)
    s = api.extract_synthetic(cfg, out, planted)
    _emit(s, as_json, f"wrote {out}: {s['clips']} clips, {s['classes']} classes (train "
                      f"{s['train']} / val {s['val']} / test {s['test']}); planted graph "
                      f"{planted} ({s['planted_links']} links)")


@command("teach")
def teach(
    data: Annotated[Path, typer.Option(help="avili dataset (HDF5).")],
    out: Annotated[Path, typer.Option(help="Teacher checkpoint to write (.pt).")],
    soft_out: Annotated[Optional[Path], typer.Option(
        help="Soft labels to write (default: soft.npz beside --out).")] = None,
    epochs: int = TeachConfig.epochs, batch_size: int = TeachConfig.batch_size,
    lr: float = TeachConfig.lr, hidden: int = TeachConfig.hidden,
    align_weight: Annotated[float, typer.Option(help="Weight of the AV-SAL alignment loss.")
                            ] = TeachConfig.align_weight,
    seed: Seed = 0, device: DeviceOpt = Device.auto, quiet: Quiet = False,
    overwrite: Overwrite = False, as_json: Json = False,
) -> None:
    """Train the AV-SAL teacher and write soft labels for every clip.

    Each modality gets its own head with one sigmoid per class; the loss is BCE on the
    annotated label per modality plus the alignment between the two modalities' soft-label
    distributions. The epoch is chosen on val; temperatures are calibrated on val.

    Example: avili teach --data demo.h5 --out teacher.pt
    """
    from avili import api

    soft = soft_out or out.with_name("soft.npz")
    _outputs(overwrite, out, soft)
    cfg = TeachConfig(epochs=epochs, batch_size=batch_size, lr=lr, hidden=hidden,
                      align_weight=align_weight, seed=seed, device=device.value)
    s = api.teach(data, cfg, out, soft, _progress(quiet))
    _emit(s, as_json, f"wrote {out} (best epoch {s['best_epoch']}, val BCE "
                      f"{s['val_bce']:.4f}) and {soft}")


@command("infer-graph")
def infer_graph(
    soft: Annotated[Path, typer.Argument(help="Soft labels (NPZ) from 'avili teach', or a bare "
                                              "NPZ with 'audio' and 'visual' arrays.")],
    out: Annotated[Optional[Path], typer.Option(help="Graph to write (default: graph.npz "
                                                     "beside the input).")] = None,
    csv: Annotated[Optional[Path], typer.Option(help="Also write the edge list as CSV.")] = None,
    lambda_value: Annotated[float, typer.Option("--lambda", help="BIC penalty (causal-learn "
                            "0.1.4.8 default 2; 1 = older releases).")] = GraphConfig.lambda_value,
    top_k: Annotated[int, typer.Option(help="Keep an edge only if it is among the k strongest "
                                            "of one of its nodes; 0 keeps all.")] = 0,
    transform: Annotated[Transform, typer.Option(help="Scale GRaSP sees: logit for "
                         "probabilities (auto picks it when all values lie in [0, 1]).")
                         ] = Transform.auto,
    class_names: Annotated[Optional[str], typer.Option(help="Comma-separated class names for "
                                                           "a bare file.")] = None,
    show: Annotated[int, typer.Option(help="Strongest edges to print.")] = 10,
    seed: Seed = 0, overwrite: Overwrite = False, as_json: Json = False,
) -> None:
    """Infer the latent interaction graph with GRaSP (causal-learn) on train soft labels.

    Variables are the C audio and C visual class columns; the result is a weighted CPDAG
    over nodes audio:<class> and visual:<class>. weight[i, j] > 0 means i -> j.

    Example: avili infer-graph soft.npz --out graph.npz --csv graph.csv
    """
    from avili import api

    target = out or soft.with_name("graph.npz")
    _outputs(overwrite, target, csv)
    names = [n.strip() for n in class_names.split(",")] if class_names else None
    cfg = GraphConfig(lambda_value=lambda_value, top_k=top_k, transform=transform.value,
                      seed=seed)
    s = api.infer_graph(soft, cfg, target, csv, names)
    graph = s.pop("graph")
    edges = [{"source": graph.nodes[i], "target": graph.nodes[j], "weight": w,
              "undirected": u, "sign": g} for i, j, w, u, g in graph.edges()]
    if as_json:
        _emit({**s, "edge_list": edges}, True, "")
        return
    from avili._console import stdout
    from avili.report import edge_table

    stdout.print(edge_table(edges[:show], f"strongest of {len(edges)} edges"))
    _emit(s, False, f"wrote {target} ({s['edges']} edges, transform {s['transform']})")


@command("distill")
def distill(
    data: Annotated[Path, typer.Option(help="avili dataset (HDF5).")],
    out: Annotated[Path, typer.Option(help="Student checkpoint to write (.pt).")],
    soft: Annotated[Optional[Path], typer.Option(help="Soft labels from 'avili teach'.")] = None,
    graph: Annotated[Optional[Path], typer.Option(help="Graph from 'avili infer-graph'.")] = None,
    lir_weight: Annotated[float, typer.Option(help="Weight of LIR; 0 trains the plain baseline.")
                          ] = DistillConfig.lir_weight,
    loss: Annotated[str, typer.Option(help="Metric loss.")] = DistillConfig.loss,
    epochs: int = DistillConfig.epochs, batch_size: int = DistillConfig.batch_size,
    lr: float = DistillConfig.lr, margin: float = DistillConfig.margin,
    embed_dim: int = DistillConfig.embed_dim,
    seed: Seed = 0, device: DeviceOpt = Device.auto, quiet: Quiet = False,
    overwrite: Overwrite = False, as_json: Json = False,
) -> None:
    """Train the student: a cross-modal metric loss plus LIR.

    LIR pulls together audio and visual clips with different labels whose classes are
    linked in the graph, weighted by their soft-label probabilities. The epoch with the
    best val average mAP is kept.

    Example: avili distill --data demo.h5 --soft soft.npz --graph graph.npz --out student.pt
    """
    from avili import api

    _outputs(overwrite, out)
    cfg = DistillConfig(loss=loss, epochs=epochs, batch_size=batch_size, lr=lr, margin=margin,
                        embed_dim=embed_dim, lir_weight=lir_weight, seed=seed,
                        device=device.value)
    s = api.distill(data, cfg, out, soft, graph, _progress(quiet))
    _emit(s, as_json, f"wrote {out} (best epoch {s['best_epoch']}, val avg mAP "
                      f"{s['val_avg_mAP']:.4f})")


@command("eval")
def evaluate(
    model: Annotated[Path, typer.Option(help="Student checkpoint.")],
    data: Annotated[Path, typer.Option(help="avili dataset (HDF5).")],
    split: Annotated[str, typer.Option(help="train, val or test.")] = "test",
    relevance: Annotated[Relevance, typer.Option(help="label: same annotated class; events: "
                         "the gallery item holds the query's event.")] = Relevance.label,
    save_embeddings: Annotated[Optional[Path], typer.Option(help="Write the split's "
                               "embeddings (NPZ).")] = None,
    overwrite: Overwrite = False, as_json: Json = False,
) -> None:
    """Standard mAP over the full ranked gallery: audio->visual, visual->audio, average.

    Example: avili eval --model student.pt --data demo.h5 --split test --json
    """
    from avili import api

    _outputs(overwrite, save_embeddings)
    s = api.evaluate(model, data, EvalConfig(split=split, relevance=relevance.value),
                     save_embeddings)
    if as_json:
        _emit(s, True, "")
        return
    from avili._console import stdout
    from avili.report import metrics_table

    stdout.print(metrics_table({str(model): s}, f"{split} split, relevance {relevance.value}"))


@command("retrieve")
def retrieve(
    model: Annotated[Path, typer.Option(help="Student checkpoint.")],
    data: Annotated[Path, typer.Option(help="avili dataset (HDF5).")],
    query: Annotated[str, typer.Option(help="Clip id of the query.")],
    k: Annotated[int, typer.Option(help="Number of hits.")] = 10,
    direction: Annotated[Direction, typer.Option(help="a2v: audio query, visual gallery.")
                         ] = Direction.a2v,
    split: Annotated[Optional[str], typer.Option(help="Gallery split (default: the "
                                                      "query's own).")] = None,
    as_json: Json = False,
) -> None:
    """Top-k cross-modal search for one clip.

    Example: avili retrieve --model student.pt --data demo.h5 --query syn0-00001 --k 5
    """
    from avili import api

    s = api.retrieve(model, data, query, k, direction.value, split)
    if as_json:
        _emit(s, True, "")
        return
    from avili._console import stdout
    from avili.report import hits_table

    stdout.print(hits_table(s))


@command("demo")
def demo(
    workdir: Annotated[Path, typer.Option(help="Folder for every artifact (regenerated).")
                       ] = Path("avili-demo"),
    seed: Seed = 0, quiet: Quiet = False, as_json: Json = False,
) -> None:
    """Run the whole pipeline on the synthetic default and compare baseline vs LIR.

    Writes every artifact into --workdir (replacing earlier demo files there), then prints
    test mAP for the --lir-weight 0 baseline and the LIR student, and how well the inferred
    graph recovers the planted links.

    Example: avili demo --workdir avili-demo
    """
    from avili.config import replace_seed
    from avili.pipeline import run_demo

    results = run_demo(workdir, replace_seed(DemoConfig(), seed), _progress(quiet))
    if as_json:
        _emit(results, True, "")
        return
    from avili._console import stdout
    from avili.report import demo_table

    stdout.print(demo_table(results))


if __name__ == "__main__":  # pragma: no cover
    app(prog_name="avili")
    sys.exit(0)
