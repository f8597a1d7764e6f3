"""The graph file (NPZ, schema ``avili.graph``) and what can be read off it.

Nodes: 2C names, ``audio:<class>`` for the C audio classes, then ``visual:<class>``.
Node ``k < C`` is class ``k`` in audio; node ``C + k`` is class ``k`` in visual.

Direction convention: ``weight[i, j] > 0`` means an edge *from* node ``i`` *to* node
``j`` (row = source, column = target). An undirected (CPDAG) edge ``i --- j`` has
``undirected[i, j] = undirected[j, i] = True`` and the same weight both ways.

Keys: ``schema``, ``nodes`` (2C,) str, ``class_names`` (C,) str, ``weight`` (2C, 2C)
float32 in [0, 1], ``undirected`` (2C, 2C) bool, ``sign`` (2C, 2C) int8 (+1
co-occurrence, -1 competition, 0 no edge or a suppression edge whose coefficient and
marginal correlation disagree in sign), ``frequency`` (2C, 2C) float32 (share of the
restart or bootstrap runs in which the edge's nodes were adjacent; 1 for every edge of a
single run; optional on read), ``provenance`` JSON (parameters, seed, inputs, stability).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from avili.artifacts import atomic_output, dumps
from avili.data.schema import flags
from avili.data.softlabels import load_npz
from avili.errors import AviliError, json_record, reader, wrong_kind

SCHEMA = "avili.graph"
MODALITIES = ("audio", "visual")


def node_names(class_names: Sequence[str]) -> list[str]:
    """The 2C node names: ``audio:<class>`` then ``visual:<class>``."""
    return [f"{m}:{c}" for m in MODALITIES for c in class_names]


@dataclass
class Graph:
    """weight: (2C, 2C) float32 in [0, 1], row -> column; undirected: (2C, 2C) bool,
    symmetric; sign: (2C, 2C) int8."""

    class_names: list[str]
    weight: np.ndarray
    undirected: np.ndarray
    sign: np.ndarray
    provenance: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    frequency: np.ndarray | None = None  # (2C, 2C) float32; None: 1 for every edge

    def __post_init__(self) -> None:
        if self.frequency is None:  # a single run: every edge it has was seen once in one
            self.frequency = (self.weight > 0).astype(np.float32)

    @property
    def nodes(self) -> list[str]:
        return node_names(self.class_names)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def edges(self) -> list[tuple[int, int, float, bool, int]]:
        """(source, target, weight, undirected, sign), strongest first; an undirected
        edge is listed once with source < target."""
        src, dst = np.nonzero(self.weight > 0)
        rows = [(int(i), int(j), float(self.weight[i, j]), bool(self.undirected[i, j]),
                 int(self.sign[i, j])) for i, j in zip(src, dst)
                if not (self.undirected[i, j] and i > j)]
        return sorted(rows, key=lambda r: (-r[2], r[0], r[1]))

    def class_links(self, positive_only: bool = True) -> np.ndarray:
        """(C, C) float32 symmetric class-level link strength, zero diagonal.

        ``links[i, j]`` is the largest weight of any edge, either direction, between a node
        of class ``i`` (audio or visual) and a node of class ``j``. With ``positive_only``,
        competition edges (negative coefficient) are ignored.
        """
        c = self.num_classes
        w = np.where((self.sign > 0) | (not positive_only), self.weight, 0.0)
        w = np.maximum(w, w.T).reshape(2, c, 2, c).max(axis=(0, 2))
        np.fill_diagonal(w, 0.0)
        return w.astype(np.float32)

    def event_links(self, positive_only: bool = True) -> np.ndarray:
        """(2, C, C) float32 modality-aware link strength, zero on each diagonal.

        ``links[m, i, j]`` is the largest weight of any edge, either direction, between a
        node of class ``i`` (audio or visual) and the node of class ``j`` in modality ``m``
        (0 audio, 1 visual): how strongly a clip of class ``i`` is linked to holding
        ``j``'s event in ``m``. ``class_links`` is its maximum over ``m``.
        """
        c = self.num_classes
        w = np.where((self.sign > 0) | (not positive_only), self.weight, 0.0)
        w = np.maximum(w, w.T).reshape(2, c, 2, c).max(axis=0)  # [i, m, j]
        out = w.transpose(1, 0, 2).copy()
        for m in range(2):
            np.fill_diagonal(out[m], 0.0)
        return out.astype(np.float32)


def save_graph(graph: Graph, path: str | os.PathLike, csv_path: str | os.PathLike | None = None
               ) -> Path:
    """Write the NPZ atomically, and optionally an edge-list CSV beside it."""
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, schema=np.array(SCHEMA), nodes=np.array(graph.nodes, dtype=str),
                     class_names=np.array(graph.class_names, dtype=str),
                     weight=graph.weight.astype(np.float32),
                     undirected=graph.undirected.astype(bool), sign=graph.sign.astype(np.int8),
                     frequency=np.asarray(graph.frequency, dtype=np.float32),
                     provenance=np.array(dumps(graph.provenance)))
    if csv_path is not None:
        with atomic_output(csv_path) as tmp:
            tmp.write_text(edges_csv(graph))
    return Path(path)


def edges_csv(graph: Graph) -> str:
    """The edge list as CSV text: cause, effect, weight, directed, frequency, sign (an
    undirected edge once, cause < effect by node index, directed = 0)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["cause", "effect", "weight", "directed", "frequency", "sign"])
    names = graph.nodes
    for i, j, w, und, sgn in graph.edges():
        writer.writerow([names[i], names[j], f"{w:.6f}", int(not und),
                         f"{float(graph.frequency[i, j]):.4f}", sgn])
    return buffer.getvalue()


@reader
def load_graph(path: str | os.PathLike) -> Graph:
    """Read and validate a graph NPZ."""
    path = Path(path)
    arrays = load_npz(path, "graph")
    if str(arrays.get("schema", "")) != SCHEMA:
        raise wrong_kind(f"not an avili graph file (expected schema {SCHEMA!r}); "
                         "produce one with 'avili infer-graph'", path, "graph")
    missing = [k for k in ("class_names", "weight", "undirected", "sign") if k not in arrays]
    if missing:
        raise AviliError(f"missing required key(s) {missing}", path)
    names = arrays["class_names"].astype(str).tolist()
    p = 2 * len(names)
    for key in ("weight", "undirected", "sign"):
        if arrays[key].shape != (p, p):
            raise AviliError(f"'{key}' must have shape ({p}, {p}) for {len(names)} classes, "
                             f"found {arrays[key].shape}", path)
    frequency = arrays.get("frequency")
    if frequency is not None and frequency.shape != (p, p):
        raise AviliError(f"'frequency' must have shape ({p}, {p}), found {frequency.shape}", path)
    sign = arrays["sign"]
    if sign.dtype.kind not in "biu" or not np.isin(sign, (-1, 0, 1)).all():
        raise AviliError("'sign' must hold -1, 0 or +1", path)
    return Graph(class_names=names, weight=_unit(arrays["weight"], "weight", path),
                 undirected=flags(arrays["undirected"], "undirected", path).astype(bool),
                 sign=sign.astype(np.int8),
                 frequency=None if frequency is None else _unit(frequency, "frequency", path),
                 provenance=json_record(arrays.get("provenance", "{}"), path), path=path)


def _unit(arr: np.ndarray, key: str, path: Path) -> np.ndarray:
    """``arr`` as float32 if it holds finite real values in [0, 1]."""
    if arr.dtype.kind not in "biuf" or not (np.isfinite(arr).all() and (arr >= 0).all()
                                            and (arr <= 1).all()):
        raise AviliError(f"'{key}' must hold finite values in [0, 1]", path)
    return arr.astype(np.float32)


def describe_graph(graph: Graph) -> dict[str, Any]:
    """What ``avili info`` shows of a graph: nodes, edges by kind, class names, provenance
    (``source`` = ``planted`` for the synthetic truth of ``extract --synthetic``)."""
    edges = graph.edges()
    config = graph.provenance.get("config") or {}
    details = {"nodes": len(graph.nodes), "edges": len(edges),
               "directed_edges": sum(not e[3] for e in edges),
               "undirected_edges": sum(e[3] for e in edges),
               "source": graph.provenance.get("source", "inferred")}
    if details["source"] != "planted":
        details.update(split=config.get("split"), algorithm=config.get("algorithm"))
    return {"kind": "graph", "schema": SCHEMA, "schema_version": None,
            "shapes": {"weight": list(graph.weight.shape)}, "class_names": graph.class_names,
            "splits": None, "clip_ids_sha256": graph.provenance.get("clip_ids_sha256"),
            "provenance": graph.provenance, "details": details}


def check_classes(graph: Graph, class_names: Sequence[str], other: str | os.PathLike | None
                  ) -> None:
    """Refuse a graph whose node set is not built on ``class_names``; names both files."""
    if list(graph.class_names) != list(class_names):
        extra = sorted(set(graph.class_names) ^ set(class_names))
        detail = f"differing classes: {', '.join(extra[:4])}" if extra else "class order differs"
        raise AviliError(f"graph {graph.path} does not match {other}: its {len(graph.class_names)}"
                         f" classes are not the data's {len(class_names)} ({detail})")


def class_pairs(graph: Graph, positive_only: bool = True) -> set[frozenset[int]]:
    """Unordered class pairs {i, j}, i != j, joined by at least one edge."""
    links = graph.class_links(positive_only)
    return {frozenset((int(i), int(j))) for i, j in zip(*np.nonzero(np.triu(links, 1)))}


def recovery(inferred: Graph, planted: Graph, positive_only: bool = True) -> dict[str, float]:
    """Precision and recall of the planted cross-class links, ignoring direction and modality.

    A planted rule (class X, modality) -> (class Y, modality) counts as recovered when the
    inferred graph has any edge between a node of X and a node of Y.
    """
    found, truth = class_pairs(inferred, positive_only), class_pairs(planted, False)
    hits = len(found & truth)
    return {"recall": hits / len(truth) if truth else float("nan"),
            "precision": hits / len(found) if found else float("nan"),
            "planted_links": float(len(truth)), "inferred_links": float(len(found))}
