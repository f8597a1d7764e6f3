import json

import numpy as np
import pytest

from avili.graph.export import (check_formats, edge_records, output_paths, plot, to_dot,
                                write_format)
from tests.graph.test_graphfile import small_graph


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


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown --format 'svg'"):
        check_formats(["npz", "svg"])
