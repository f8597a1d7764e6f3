"""The human-readable output of each command (no --json, no --markdown): the table or the
summary line appears, and its numbers are the --json numbers, formatted."""

from __future__ import annotations

import json

import pytest

from tests.helpers import ok


def body_rows(table: str) -> list[list[str]]:
    """A Rich table's body rows (one line each here), as lists of stripped cells."""
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in table.splitlines()]
    return [cells for cells in rows if cells]  # only body lines hold Rich's "│" rule


def by_first_cell(table: str) -> dict[str, list[str]]:
    """A Rich table's body rows as {first cell: the other cells}."""
    return {cells[0]: cells[1:] for cells in body_rows(table)}


def squashed(text: str) -> str:
    """``text`` without whitespace: Rich wraps and centres titles and captions."""
    return "".join(text.split())


def header(table: str) -> list[str]:
    """The cells of a Rich table's (heavy) header line."""
    line = next(line for line in table.splitlines() if line.startswith("┃"))
    return [c.strip() for c in line.split("┃")[1:-1]]


def test_eval_table_shows_the_json_numbers(pipeline):
    args = ["eval", "--model", pipeline / "student.pt", "--data", pipeline / "ave.h5"]
    (m,) = json.loads(ok(args + ["--json"]))["models"]
    table = ok(args)
    assert header(table) == ["metric", "A->V", "V->A", "avg"]
    assert squashed(f"{pipeline / 'student.pt'}: test split, relevance label, "
                    f"{m['queries']} clips") in squashed(table)
    rows = by_first_cell(table)
    names = [k[4:] for k in m if k.startswith("a2v_") and not k.endswith("_ci95")]
    assert {"mAP", "mAP@R", "MRR", "P@1"} <= set(names)
    for name in names:
        a, v = m[f"a2v_{name}"], m[f"v2a_{name}"]
        assert rows[name.replace("_", " ")] == [f"{a:.4f}", f"{v:.4f}", f"{(a + v) / 2:.4f}"]
    assert rows["mAP"][2] == f"{m['avg_mAP']:.4f}"
    assert squashed(f"{m['queries_without_relevant']} queries without a relevant item "
                    "skipped") in squashed(table)


@pytest.mark.slow
def test_teach_prints_one_line_with_the_json_numbers(pipeline, tmp_path):
    base = ["teach", "--data", pipeline / "ave.h5", "--epochs", "1", "--hidden", "16", "-q"]
    s = json.loads(ok(base + ["--out", tmp_path / "a.pt", "--soft-out", tmp_path / "a.npz",
                              "--json"]))
    line = ok(base + ["--out", tmp_path / "b.pt", "--soft-out", tmp_path / "b.npz"])
    assert line.count("\n") == 1
    assert line.startswith(f"wrote {tmp_path / 'b.pt'} (best epoch {s['best_epoch']}, val loss "
                           f"{s['best_val_loss']:.4f}) and {tmp_path / 'b.npz'}")
    for side, q in s["harvested"].items():
        assert f"{side} precision {q['precision']:.2f}, recall {q['recall']:.2f}" in line


def test_infer_graph_prints_the_edge_table_and_one_line(pipeline, tmp_path):
    s = json.loads(ok(["infer-graph", pipeline / "soft.npz", "--out", tmp_path / "a.npz",
                       "--json"]))
    out = ok(["infer-graph", pipeline / "soft.npz", "--out", tmp_path / "b.npz"])
    edges = s["edge_list"]
    assert edges and f"strongest of {len(edges)} edges" in out
    assert header(out) == ["cause", "", "effect", "weight", "freq", "kind"]
    kinds = {1: "co-occurrence", -1: "competition"}
    assert body_rows(out) == [[e["cause"], "-->" if e["directed"] else "---", e["effect"],
                               f"{e['weight']:.3f}", f"{e['frequency']:.2f}",
                               kinds.get(e["sign"], "suppression")]
                              for e in edges[:10]]  # --top 10 by default
    assert out.splitlines()[-1] == (f"wrote {tmp_path / 'b.npz'} ({s['edges']} edges; input "
                                    f"{s['input_kind']}, transform {s['transform']})")


@pytest.mark.parametrize("name", ["tiny.h5", "soft.npz", "graph.npz", "teacher.pt",
                                  "student.pt", "student.pt.state.pt", "test.avx"])
def test_info_table_shows_the_json_fields(artifacts, name):
    info = json.loads(ok(["info", artifacts / name, "--json"]))
    table = ok(["info", artifacts / name])
    title = f"{artifacts / name}: {info['kind'].replace('_', ' ')} ({info['container']})"
    assert squashed(title) in squashed(table)
    rows = by_first_cell(table)
    schema, version = info["artifact_schema"], info["artifact_schema_version"]
    assert rows["schema"] == [f"{schema}, version {version}" if version is not None
                              else f"{schema}, unversioned"]
    assert rows["seed"] == [str(info["seed"])] and rows["avili version"] == [
        info["avili_version"]]
