"""Every command's --json: strict JSON (no NaN or Infinity), framed by "schema" and
"avili_version", in the vocabulary of ``avili info`` (best_epoch from 1, splits)."""

from __future__ import annotations

import json

import pytest

from avili import __version__
from tests.helpers import TINY_EXTRACT, ok


def strict(text: str) -> dict:
    """``text`` parsed as RFC 8259 JSON: NaN, Infinity and -Infinity are refused."""
    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.slow
def test_every_command_prints_strict_framed_json(pipeline, tmp_path):
    d, t = pipeline, tmp_path
    student, data = d / "student.pt", d / "ave.h5"
    runs = {
        "extract": [*TINY_EXTRACT, "--out", t / "x.h5", "-q"],
        "teach": ["teach", "--data", data, "--out", t / "t.pt", "--epochs", "2", "-q"],
        "infer-graph": ["infer-graph", d / "soft.npz", "--out", t / "g.npz"],
        "distill": ["distill", "--data", data, "--out", t / "s.pt", "--epochs", "2",
                    "--lir-weight", "0", "-q"],
        "eval": ["eval", "--model", student, "--data", data, "--device", "cpu"],
        "info": ["info", d / "teacher.pt"],
        "retrieve": ["retrieve", "--model", student, "--data", data, "--query", "syn0-00003",
                     "--device", "cpu", "--max-memory", "0.01"],
        "retrieve index": ["retrieve", "index", "--model", student, "--data", data, "--out",
                           t / "g.avx"],
        "retrieve search": ["retrieve", "search", "--index", t / "g.avx", "--query",
                            "syn0-00003"],
        "demo": ["demo", "--workdir", t / "demo", "--clips", "300", "--epochs", "1", "-q"],
    }
    docs = {}
    for command, args in runs.items():
        doc = docs[command] = strict(ok(args + ["--json"]))
        assert doc["schema"] == f"avili.{command.replace(' ', '.')}/1", command
        assert doc["avili_version"] == __version__, command
    assert set(docs["extract"]["splits"]) == {"train", "val", "test"}
    teacher = docs["info"]["details"]
    for stage, score in (("teach", "best_val_loss"), ("distill", "best_val_mAP")):
        assert 1 <= docs[stage]["best_epoch"] <= 2 and score in docs[stage], stage
        assert docs[stage]["selected_on"], stage
    assert {"best_epoch", "best_val_loss", "selected_on"} <= set(teacher)
    assert teacher["best_epoch"] >= 1 and docs["info"]["artifact_schema"] == "avili.checkpoint"
    assert [m["model"] for m in docs["eval"]["models"]] == [str(student)]  # one layout
    assert docs["demo"]["graph_recovery"]["precision"] is None or isinstance(
        docs["demo"]["graph_recovery"]["precision"], float)


def test_tables_written_to_a_file_are_not_cut(pipeline, tmp_path):
    """Off a terminal, stdout is as wide as the table (COLUMNS when set), and a cell that
    does not fit folds onto more lines instead of ending in "…"."""
    import shutil

    from avili.cli import app
    from tests.helpers import runner

    name = tmp_path / ("baseline-with-a-long-name-" * 4 + ".pt")
    shutil.copyfile(pipeline / "student.pt", name)
    args = ["eval", "--model", name, "--model", pipeline / "student.pt", "--data",
            pipeline / "ave.h5"]
    wide = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": None})
    assert wide.exit_code == 0 and str(name) in wide.stdout and "…" not in wide.stdout
    narrow = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "60"})
    assert narrow.exit_code == 0 and "…" not in narrow.stdout
    assert max(map(len, narrow.stdout.splitlines())) <= 60
