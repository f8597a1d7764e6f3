"""``avili infer-graph``: infer the latent interaction graph, or print an existing one
(its strongest edges, or one class's view of a large graph)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from avili.cli._common import (GraphAlgorithm, GraphBackend, InputKind, Json, Overwrite, Quiet,
                               Seed, _emit, _outputs, _progress, _warn, command)
from avili.config import GraphConfig


@command("infer-graph")
def infer_graph(
    soft: Annotated[Optional[Path], typer.Argument(
        help="Soft labels (NPZ) from 'avili teach', or a bare NPZ with 'audio' and 'visual' "
             "arrays.", show_default=False)] = None,
    out: Annotated[Optional[Path], typer.Option(help="Graph to write (default: graph.npz "
                                                     "beside the input).")] = None,
    formats: Annotated[Optional[list[str]], typer.Option(
        "--format", help="npz, json, csv, dot or graphml; repeat for several (each beside "
                         "--out with its own suffix). distill reads the npz.")] = None,
    csv: Annotated[Optional[Path], typer.Option(help="Also write the edge list as CSV.")] = None,
    plot: Annotated[Optional[Path], typer.Option(help="Also draw the graph as a PNG.")] = None,
    lambda_value: Annotated[float, typer.Option("--lambda", help="BIC penalty lambda (avili "
                            "default 1; causal-learn 0.1.4.8's own default is 2).")
                            ] = GraphConfig.lambda_value,
    restarts: Annotated[int, typer.Option(help="Run seeds seed..seed+R-1, keep the best BIC "
                                               "score.")] = GraphConfig.restarts,
    bootstrap: Annotated[int, typer.Option(help="Rerun on B resampled row sets; edge "
                                                "frequencies come from them.")] = 0,
    min_frequency: Annotated[float, typer.Option(help="Drop edges adjacent in fewer of the "
                                                      "runs than this share.")] = 0.0,
    workers: Annotated[int, typer.Option(help="Parallel runs (0 = every core).")] = 0,
    max_memory: Annotated[float, typer.Option(help="Memory for GRaSP's search trees in MB, "
                          "all parallel runs together (0 = a quarter of RAM). Beyond it the "
                          "trees are rebuilt as needed: slower, the same graph.")] = 0.0,
    backend: Annotated[GraphBackend, typer.Option(help="fast (avili's own search: the same "
                       "graphs as causal-learn, much faster) or causal-learn.")
                       ] = GraphBackend(GraphConfig.backend),
    algorithm: Annotated[GraphAlgorithm, typer.Option(help="grasp, or boss (best order score "
                         "search: far faster at hundreds of nodes).")
                         ] = GraphAlgorithm(GraphConfig.algorithm),
    top_k: Annotated[int, typer.Option(help="Keep an edge only if it is among the k strongest "
                                            "of one of its nodes; 0 keeps all.")] = 0,
    min_lift: Annotated[float, typer.Option(help="Keep a co-occurrence edge only if the "
                        "teacher sees its two events together at least this many times as "
                        "often as chance (soft-label lift); 0 keeps all.")
                        ] = GraphConfig.min_lift,
    input_kind: Annotated[InputKind, typer.Option(help="probs are mapped to log-odds, "
                          "probs-linear searched as they are (sparser graphs from a "
                          "confident teacher at hundreds of classes), logits (or "
                          "label-space scores) used as they are; auto: probs when all "
                          "values lie in [0, 1].")] = InputKind.auto,
    class_names: Annotated[Optional[str], typer.Option(help="Comma-separated class names for "
                                                           "a bare file.")] = None,
    show: Annotated[Optional[Path], typer.Option(
        help="Print the strongest edges of an existing graph NPZ instead.")] = None,
    top: Annotated[int, typer.Option(help="Strongest edges to print.")] = 10,
    classes: Annotated[Optional[list[str]], typer.Option(
        "--class", help="With --show: only the edges of this class (audio or visual node); "
                        "repeat for several. For graphs with hundreds of classes.")] = None,
    seed: Seed = 0, quiet: Quiet = False, overwrite: Overwrite = False, as_json: Json = False,
) -> None:
    """Infer the latent interaction graph with GRaSP or BOSS on train soft labels.

    Variables are the C audio and C visual class columns; the result is a weighted CPDAG
    over nodes audio:<class> and visual:<class>. weight[i, j] > 0 means i -> j. With
    --restarts/--bootstrap every edge also gets its frequency across runs, and the weight
    becomes frequency x strength.

    Example: avili infer-graph soft.npz --out graph.npz --bootstrap 20 --min-frequency 0.5
    """
    from avili import api
    from avili.config import check_range

    check_range("--top", top, 0)
    if show is not None:
        from avili.data.graphfile import load_graph

        from avili.graph.export import class_edges, edge_records

        graph = load_graph(show)
        edges = class_edges(graph, classes) if classes else edge_records(graph)
        _print_edges(edges, top, as_json, {"graph": str(show)}, "")
        return
    from avili.errors import AviliError

    if classes:
        raise AviliError("--class selects the edges that --show prints; give --show GRAPH")
    if soft is None:
        raise AviliError("give the soft labels to infer from, or --show GRAPH to print one")
    from avili.graph.export import check_formats, output_paths

    target = out or soft.with_name("graph.npz")
    names = [n.strip() for n in class_names.split(",")] if class_names else None
    cfg = GraphConfig(lambda_value=lambda_value, top_k=top_k, min_lift=min_lift,
                      input_kind=input_kind.value,
                      restarts=restarts, bootstrap=bootstrap, min_frequency=min_frequency,
                      workers=workers, backend=backend.value, algorithm=algorithm.value,
                      max_memory_mb=max_memory, seed=seed)
    _outputs(overwrite, *output_paths(target, check_formats(formats or [])).values(), csv, plot)
    s = api.infer_graph(soft, cfg, target, csv, names, formats or ["npz"], plot,
                        _progress(quiet))
    _warn(s["warnings"])
    runs = "" if restarts == 1 and not bootstrap else f", mean Jaccard {s['mean_jaccard']:.2f}"
    _print_edges(s.pop("edge_list"), top, as_json, s,
                 f"wrote {', '.join(s['written'])} ({s['edges']} edges; input {s['input_kind']}, "
                 f"transform {s['transform']}{runs})")


def _print_edges(edges: list[dict], top: int, as_json: bool, summary: dict, line: str
                 ) -> None:
    """The strongest ``top`` of ``edges`` (edge records, strongest first) as a table, then
    ``line``; or with ``as_json`` the summary with every edge."""
    if as_json:
        _emit({**summary, "edge_list": edges}, True, "")
        return
    from avili.cli._console import stdout
    from avili.cli.report import edge_table

    stdout.print(edge_table(edges[:top], f"strongest of {len(edges)} edges"))
    if line:
        _emit(summary, False, line)
