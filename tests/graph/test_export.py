import json

import numpy as np
import pytest

from avili.data.graphfile import Graph
from avili.graph.export import (check_formats, edge_records, output_paths, plot, plot_edges,
                                plot_rows, to_dot, write_format)
from tests.helpers import small_graph


def test_every_format_carries_the_same_edges(tmp_path):
    import networkx as nx

    g = small_graph()
    g.frequency = np.where(g.weight > 0, 0.5, 0).astype(np.float32)
    paths = output_paths(tmp_path / "g.npz", check_formats(["npz", "json", "csv", "dot",
                                                            "graphml", "json"]))
    assert list(paths) == ["npz", "json", "csv", "dot", "graphml"]
    for fmt, path in paths.items():
        write_format(g, fmt, path)
    doc = json.loads(paths["json"].read_text())
    assert doc["edges"] == edge_records(g) and len(doc["edges"]) == 3
    assert doc["edges"][0] == {"cause": "audio:a", "effect": "visual:b", "weight": 0.8,
                               "directed": True, "frequency": 0.5, "sign": 1}
    gml = nx.read_graphml(paths["graphml"])
    assert gml.edges["audio:a", "visual:b"]["weight"] == pytest.approx(0.8)
    # the undirected edge is present both ways, marked not directed
    assert not gml.edges["audio:b", "visual:a"]["directed"]
    assert not gml.edges["visual:a", "audio:b"]["directed"]
    assert gml.nodes["visual:b"]["modality"] == "visual"
    csv_lines = paths["csv"].read_text().splitlines()
    assert csv_lines[0] == "cause,effect,weight,directed,frequency,sign" and len(csv_lines) == 4
    dot = paths["dot"].read_text()
    assert '"audio:a" -> "visual:b"' in dot and "dir=none" in dot and dot == to_dot(g)


def test_plot_writes_a_png(tmp_path):
    out = plot(small_graph(), tmp_path / "g.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_plot_hides_same_class_edges_and_puts_cross_class_links_first():
    g = small_graph()  # a->vis:b 0.8, b---vis:a 0.5, c->vis:c 0.3 (same class)
    g.weight[2, 5] = 0.9  # the trivial edge is now the strongest
    assert [e[:2] for e in plot_edges(g)] == [(0, 4), (1, 3)]
    assert [e[:2] for e in plot_edges(g, same_class=True)] == [(0, 4), (1, 3), (2, 5)]
    assert [e[:2] for e in plot_edges(g, top=1, same_class=True)] == [(0, 4)]
    assert plot_edges(g, top=0) == []


def random_graph(classes: int, seed: int = 0) -> Graph:
    rng = np.random.default_rng(seed)
    p = 2 * classes
    w = np.where(rng.random((p, p)) < 0.02, rng.random((p, p)), 0).astype(np.float32)
    np.fill_diagonal(w, 0)
    w[np.arange(classes), np.arange(classes) + classes] = 1.0  # audio:x -> visual:x
    return Graph([f"class {k}" for k in range(classes)], w, np.zeros((p, p), bool),
                 (w > 0).astype(np.int8), {})


def test_plot_draws_only_the_classes_its_edges_touch(tmp_path):
    g = random_graph(300)
    edges = plot_edges(g, top=40)
    assert len(edges) == 40 and all(i % 300 != j % 300 for i, j, *_ in edges)
    rows = plot_rows(edges, 300)
    assert set(rows) == {k % 300 for e in edges for k in e[:2]} and len(rows) <= 80
    assert sorted(rows.values()) == list(range(len(rows)))  # no empty rows
    assert list(rows) == sorted(rows)  # class order, top to bottom
    assert plot(g, tmp_path / "g.png").stat().st_size > 5000
    empty = Graph(["a"], np.array([[0, 1], [0, 0]], np.float32), np.zeros((2, 2), bool),
                  np.ones((2, 2), np.int8), {})
    assert plot_edges(empty) == [] and plot(empty, tmp_path / "e.png").is_file()


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown --format 'svg'"):
        check_formats(["npz", "svg"])


def test_class_view_keeps_the_edges_of_one_class_at_600_nodes():
    from avili.graph.export import class_edges

    graph = random_graph(300)
    name = graph.class_names[7]
    view = class_edges(graph, [name])
    everything = edge_records(graph)
    mine = {f"audio:{name}", f"visual:{name}"}
    assert view == [r for r in everything if r["cause"] in mine or r["effect"] in mine]
    assert view and len(view) < len(everything)
    assert [r["weight"] for r in view] == sorted((r["weight"] for r in view), reverse=True)
    with pytest.raises(ValueError, match=rf"unknown class name '{name.upper()}'; did you mean "
                                         rf"'{name}'"):
        class_edges(graph, [name.upper()])
