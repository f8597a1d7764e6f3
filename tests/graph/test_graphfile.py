import numpy as np
import pytest

from avili.data.graphfile import Graph, check_classes, load_graph, recovery, save_graph
from tests.helpers import small_graph


def test_roundtrip_and_csv(tmp_path):
    g = small_graph()
    save_graph(g, tmp_path / "g.npz", tmp_path / "g.csv")
    back = load_graph(tmp_path / "g.npz")
    np.testing.assert_array_equal(back.weight, g.weight)
    np.testing.assert_array_equal(back.undirected, g.undirected)
    assert back.provenance == {"seed": 3} and back.nodes[4] == "visual:b"
    lines = (tmp_path / "g.csv").read_text().splitlines()
    assert lines[0] == "cause,effect,weight,directed,frequency,sign" and len(lines) == 4
    assert lines[1] == "audio:a,visual:b,0.800000,1,1.0000,1"
    assert "audio:b,visual:a,0.500000,0,1.0000,-1" in lines
    np.testing.assert_array_equal(back.frequency, (g.weight > 0).astype(np.float32))


def test_class_links_positive_only():
    links = small_graph().class_links()
    assert links[0, 1] == links[1, 0] == pytest.approx(0.8)
    assert links[2, 2] == 0 and links[0, 2] == 0
    assert small_graph().class_links(positive_only=False)[0, 1] == pytest.approx(0.8)


def test_recovery_counts_class_pairs():
    planted = small_graph()
    inferred = Graph(["a", "b", "c"], np.zeros((6, 6), np.float32), np.zeros((6, 6), bool),
                     np.zeros((6, 6), np.int8))
    inferred.weight[3, 1] = 0.4  # visual:a -> audio:b : pair {a, b}
    inferred.weight[2, 3] = 0.4  # audio:c -> visual:a : pair {a, c}, not planted
    inferred.sign[inferred.weight > 0] = 1
    rec = recovery(inferred, planted)
    assert rec["recall"] == 1.0 and rec["precision"] == 0.5


def test_check_classes_names_both_files(tmp_path):
    with pytest.raises(ValueError, match="does not match data.h5"):
        check_classes(small_graph(), ["a", "b", "x"], "data.h5")


@pytest.mark.parametrize("content", [b"", b"plain text, not a zip"])
def test_load_rejects_broken_files(tmp_path, content):
    path = tmp_path / "graph.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="graph.npz: not a readable graph NPZ"):
        load_graph(path)


def test_load_rejects_other_npz(tmp_path):
    np.savez(tmp_path / "x.npz", audio=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="not an avili graph file"):
        load_graph(tmp_path / "x.npz")
