"""Graph exports beside the NPZ: JSON, CSV, Graphviz DOT, GraphML (networkx) and a PNG
drawing (matplotlib). Every file is written atomically.

All formats carry the same edges as :meth:`Graph.edges`: cause, effect, weight in [0, 1],
whether the edge is directed (an undirected CPDAG edge is listed once), the frequency of
the edge across restart/bootstrap runs and its sign (+1 co-occurrence, -1 competition,
0 suppression).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from avili.artifacts import atomic_output
from avili.config import GRAPH_FORMATS
from avili.errors import AviliError, first_line
from avili.data.graphfile import SCHEMA, Graph, edges_csv, node_names, save_graph

FORMATS = GRAPH_FORMATS
MODALITY_COLOURS = {"audio": "#1f77b4", "visual": "#ff7f0e"}


def edge_records(graph: Graph) -> list[dict[str, Any]]:
    """One dict per edge, strongest first."""
    names = graph.nodes
    return [{"cause": names[i], "effect": names[j], "weight": round(w, 6),
             "directed": not und, "frequency": round(float(graph.frequency[i, j]), 4),
             "sign": sign} for i, j, w, und, sign in graph.edges()]


def class_edges(graph: Graph, classes: Sequence[str]) -> list[dict[str, Any]]:
    """The edge records (:func:`edge_records`, strongest first) that touch a node of any of
    ``classes`` (class names; audio or visual node): one class's view of a large graph. An
    unknown name raises, suggesting the closest known ones."""
    import difflib

    for name in classes:
        if name not in graph.class_names:
            folded = {n.casefold(): n for n in graph.class_names}  # 'dog' finds 'Dog'
            close = [folded[n] for n in
                     difflib.get_close_matches(name.casefold(), list(folded), n=3)]
            hint = (f"; did you mean {', '.join(map(repr, close))}?" if close else
                    f"; the graph has {graph.num_classes} classes (see 'avili info')")
            raise AviliError(f"unknown class name {name!r}{hint}", graph.path)
    wanted = {f"{m}:{n}" for m in ("audio", "visual") for n in classes}
    return [r for r in edge_records(graph) if r["cause"] in wanted or r["effect"] in wanted]


def to_json(graph: Graph) -> str:
    """Nodes, edges and provenance as one JSON document."""
    return json.dumps({"schema": SCHEMA, "nodes": graph.nodes,
                       "class_names": graph.class_names, "edges": edge_records(graph),
                       "provenance": graph.provenance}, indent=2, default=str) + "\n"


def read_json(path: str | os.PathLike) -> Graph:
    """The graph in a JSON export (:func:`to_json`), as :func:`load_graph` reads the NPZ."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise AviliError(f"not a readable JSON file ({first_line(exc)})", path) from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise AviliError(f"a JSON file, but not an avili graph export (expected schema "
                         f"{SCHEMA!r})", path)
    try:
        names = [str(n) for n in doc["class_names"]]
        weight, undirected, sign, frequency = _edge_matrices(doc["edges"], node_names(names))
        graph = Graph(names, weight, undirected, sign, dict(doc.get("provenance") or {}),
                      path, frequency)
    except (KeyError, TypeError, ValueError) as exc:
        raise AviliError(f"malformed graph JSON export ({type(exc).__name__}: "
                         f"{first_line(exc)})", path) from None
    return graph


def _edge_matrices(edges: list[dict[str, Any]], nodes: list[str]) -> tuple[np.ndarray, ...]:
    """(2C, 2C) weight, undirected, sign, frequency from edge records; an undirected
    edge goes both ways."""
    index = {name: k for k, name in enumerate(nodes)}
    p = len(nodes)
    weight, frequency = np.zeros((p, p), np.float32), np.zeros((p, p), np.float32)
    undirected, sign = np.zeros((p, p), bool), np.zeros((p, p), np.int8)
    for e in edges:
        i, j = index[e["cause"]], index[e["effect"]]
        for a, b in ((i, j),) if e["directed"] else ((i, j), (j, i)):
            weight[a, b], frequency[a, b] = float(e["weight"]), float(e["frequency"])
            undirected[a, b], sign[a, b] = not e["directed"], int(e["sign"])
    return weight, undirected, sign, frequency


def to_dot(graph: Graph) -> str:
    """Graphviz DOT: nodes coloured by modality, pen width by weight, undirected CPDAG
    edges drawn without arrowheads."""
    lines = ["digraph avili {", "  node [style=filled, fontcolor=white];"]
    for name in graph.nodes:
        colour = MODALITY_COLOURS[name.split(":", 1)[0]]
        lines.append(f"  {json.dumps(name)} [fillcolor={json.dumps(colour)}];")
    for e in edge_records(graph):
        style = "" if e["directed"] else ", dir=none"
        lines.append(f"  {json.dumps(e['cause'])} -> {json.dumps(e['effect'])} "
                     f"[penwidth={0.5 + 4 * e['weight']:.2f}, label=\"{e['weight']:.2f}\""
                     f"{style}];")
    return "\n".join(lines + ["}"]) + "\n"


def to_networkx(graph: Graph) -> Any:
    """A networkx DiGraph (undirected edges appear both ways, with directed=False)."""
    import networkx as nx

    g = nx.DiGraph()
    for name in graph.nodes:
        g.add_node(name, modality=name.split(":", 1)[0], label=name.split(":", 1)[1])
    for e in edge_records(graph):
        attrs = {k: e[k] for k in ("weight", "directed", "frequency", "sign")}
        g.add_edge(e["cause"], e["effect"], **attrs)
        if not e["directed"]:
            g.add_edge(e["effect"], e["cause"], **attrs)
    return g


def write_format(graph: Graph, fmt: str, path: str | os.PathLike) -> Path:
    """Write ``graph`` as ``fmt`` (one of :data:`FORMATS`) to ``path``, atomically."""
    if fmt == "npz":
        return save_graph(graph, path)
    with atomic_output(path) as tmp:
        if fmt == "graphml":
            import networkx as nx

            nx.write_graphml(to_networkx(graph), tmp)
        else:
            text = {"json": to_json, "csv": edges_csv, "dot": to_dot}[fmt](graph)
            tmp.write_text(text)
    return Path(path)


def plot_edges(graph: Graph, top: int = 40, same_class: bool = False
               ) -> list[tuple[int, int, float, bool, int]]:
    """The edges :func:`plot` draws, as :meth:`Graph.edges` rows: the ``top`` strongest
    cross-class links first; the trivial same-class audio:x <-> visual:x edges only with
    ``same_class``, in the places left after the cross-class ones."""
    c, edges = graph.num_classes, graph.edges()
    cross = [e for e in edges if e[0] % c != e[1] % c]
    trivial = [e for e in edges if e[0] % c == e[1] % c] if same_class else []
    return (cross + trivial)[:max(top, 0)]


def plot_rows(edges: list[tuple], num_classes: int) -> dict[int, int]:
    """class index -> row (0 = top) for the classes whose audio or visual node an edge
    touches, in class order; the others are not drawn."""
    touched = sorted({k % num_classes for e in edges for k in e[:2]})
    return {k: row for row, k in enumerate(touched)}


def plot(graph: Graph, path: str | os.PathLike, top: int = 40,
         same_class: bool = False) -> Path:
    """A PNG of the edges :func:`plot_edges` picks (the ``top`` strongest cross-class
    links): audio nodes on the left, visual on the right, one row per class an edge
    touches, coloured by modality, edge width by weight, dashed for competition edges."""
    from avili.eval.plots import pyplot, save

    plt = pyplot()
    c, edges = graph.num_classes, plot_edges(graph, top, same_class)
    rows = plot_rows(edges, c)
    pos = {k: (float(k >= c), -float(rows[k % c])) for e in edges for k in e[:2]}
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(rows) + 2.4), dpi=120)
    ax.set_xlim(-0.6, 1.6)
    ax.set_ylim(-max(len(rows) - 1, 0) - 0.7, 1.3)  # the column names fit inside
    for i, j, w, und, sign in edges:
        _draw_edge(ax, pos[i], pos[j], w, und, sign, (i < c) == (j < c))
    for k, (x, y) in pos.items():
        left = k < c
        ax.scatter([x], [y], s=60, color=MODALITY_COLOURS["audio" if left else "visual"],
                   zorder=3)
        ax.text(x - 0.04 if left else x + 0.04, y, graph.class_names[k % c], fontsize=8,
                ha="right" if left else "left", va="center")
    _finish(ax, graph, edges, same_class)
    return save(fig, path)


def _draw_edge(ax: Any, start: tuple, end: tuple, weight: float, undirected: bool,
               sign: int, same_side: bool) -> None:
    """One edge; an edge within a column bends towards the middle, never further than
    0.4 of the gap between the columns."""
    rad = 0.0
    if same_side:
        (x0, y0), (x1, y1) = ax.transData.transform([start, end])
        room = abs(ax.transData.transform((0.4, 0))[0] - ax.transData.transform((0, 0))[0])
        rad = min(0.3, room / max(abs(y1 - y0), 1.0)) * np.sign(y1 - y0)
        rad = rad if start[0] == 0 else -rad
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(
        arrowstyle="-" if undirected else "-|>", lw=0.5 + 3.5 * weight,
        alpha=0.8 if sign > 0 else 0.5, zorder=2 if sign > 0 else 1,
        color="tab:green" if sign > 0 else "grey", linestyle="--" if sign < 0 else "-",
        connectionstyle=f"arc3,rad={rad:.3f}", shrinkA=5, shrinkB=5))


def _finish(ax: Any, graph: Graph, edges: list[tuple], same_class: bool) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", color=col, label=m)
               for m, col in MODALITY_COLOURS.items()]
    handles += [Line2D([], [], color="tab:green", label="co-occurrence (+)"),
                Line2D([], [], color="grey", ls="--", label="competition (-)"),
                Line2D([], [], color="grey", label="suppression (0)")]
    ax.text(0.0, 0.6, "audio", ha="center", va="bottom", fontsize=9, weight="bold")
    ax.text(1.0, 0.6, "visual", ha="center", va="bottom", fontsize=9, weight="bold")
    if not edges:
        ax.text(0.5, 0.0, "no edges to draw", ha="center", va="center", fontsize=9)
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=5,
              fontsize=8, frameon=False)
    ax.set_axis_off()
    ax.set_title(_title(graph, len(edges), same_class), fontsize=10)


def _title(graph: Graph, shown: int, same_class: bool) -> str:
    c, edges = graph.num_classes, graph.edges()
    trivial = sum(e[0] % c == e[1] % c for e in edges)
    if same_class:
        return (f"avili graph: {shown} of {len(edges)} edges, cross-class first, then "
                "same-class\n(width = weight)")
    cross = len(edges) - trivial
    head = ("no cross-class edges" if not cross else f"all {cross} cross-class edges"
            if shown == cross else f"the {shown} strongest of {cross} cross-class edges")
    hidden = f"{trivial} same-class audio-visual edge{'' if trivial == 1 else 's'} not drawn; "
    return f"avili graph: {head}\n({hidden if trivial else ''}width = weight)"


def check_formats(formats: list[str]) -> list[str]:
    """The formats, deduplicated in order; unknown names raise."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise AviliError(f"unknown --format {unknown[0]!r}; expected {', '.join(FORMATS)}")
    return list(dict.fromkeys(formats)) or ["npz"]


def output_paths(out: str | os.PathLike, formats: list[str]) -> dict[str, Path]:
    """``out`` for its own suffix's format (npz when unknown), ``<out stem>.<fmt>`` for
    the others."""
    out = Path(out)
    return {f: out if out.suffix == f".{f}" else out.with_suffix(f".{f}") for f in formats}

