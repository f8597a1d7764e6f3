"""Experiment records: --config FILE on every command, ``avili info --command`` that
reproduces an artifact, per-epoch logs beside each checkpoint (and TensorBoard), and the
training history in ``avili info``."""

from __future__ import annotations

import csv
import json
import shlex
import sys
import types

import pytest
import torch

from avili.cli.reproduce import click_command
from tests.helpers import fails, ok

TEACH = ["--epochs", "3", "--hidden", "16", "--batch-size", "32", "--lr", "0.003",
         "--mode", "aligned", "--seed", "7", "--device", "cpu", "-q"]


def checkpoint(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def teach(data, out, *extra):
    return ok(["teach", "--data", data, "--out", out, "--soft-out",
               out.with_suffix(".soft.npz"), *extra])


@pytest.fixture(scope="module")
def teacher(tmp_path_factory, tiny):
    """A teacher trained through the CLI with non-default options."""
    from avili.data.schema import write_dataset

    d = tmp_path_factory.mktemp("records")
    write_dataset(tiny[0], d / "tiny.h5")
    teach(d / "tiny.h5", d / "teacher.pt", *TEACH)
    return d / "teacher.pt"


def test_every_command_takes_a_config_file():
    group = click_command()
    words = [(n,) for n in group.commands] + [("retrieve", n) for n in
                                              click_command("retrieve").commands]
    for path in words:
        assert "--config" in [o for p in click_command(*path).params for o in p.opts], path


@pytest.mark.slow
def test_config_file_values_are_defaults_that_flags_override(tmp_path, tiny_h5):
    (tmp_path / "exp.toml").write_text('epochs = 2\nbatch-size = 32\nmode = "aligned"\n'
                                       'hidden = 16\nseed = 3\nquiet = true\n')
    teach(tiny_h5, tmp_path / "t.pt", "--config", tmp_path / "exp.toml", "--seed", "5",
          "--device", "cpu")
    config = checkpoint(tmp_path / "t.pt")["config"]
    assert (config["epochs"], config["batch_size"], config["mode"], config["hidden"],
            config["seed"]) == (2, 32, "aligned", 16, 5)


def test_config_file_names_positional_arguments_and_repeated_options(teacher, tmp_path):
    soft = teacher.with_suffix(".soft.npz")
    (tmp_path / "g.toml").write_text(f'soft = "{soft}"\nformat = ["npz", "json"]\n'
                                     f'lambda = 2\nworkers = 1\n')
    ok(["infer-graph", "--config", tmp_path / "g.toml", "--out", tmp_path / "g.npz"])
    assert (tmp_path / "g.json").is_file()
    info = json.loads(ok(["info", tmp_path / "g.npz", "--json"]))
    assert info["config"]["lambda_value"] == 2


@pytest.mark.parametrize("text, message", [
    ("epoch = 2\n", "key 'epoch': not an option of avili teach"),
    ('epochs = "two"\n', "key 'epochs' must be an integer; got 'two'"),
    ("lr = true\n", "key 'lr' must be a number; got True"),
    ('mode = "nope"\n', "key 'mode' must be one of"),
    ("resume = 1\n", "key 'resume' must be true or false"),
    ("epochs = 2\nepochs = 3\n", "not valid TOML"),
    ("epochs = 2\n[teach\n", "not valid TOML"),
    ("batch-size = 2\nbatch_size = 3\n", "'batch_size' is set twice"),
])
def test_bad_config_files_are_one_line_naming_the_file_and_key(tmp_path, text, message):
    (tmp_path / "bad.toml").write_text(text)
    err = fails(["teach", "--data", tmp_path / "x.h5", "--out", tmp_path / "t.pt",
                 "--config", tmp_path / "bad.toml"], message)
    assert "bad.toml" in err


def test_unreadable_config_file_is_one_line(tmp_path):
    fails(["info", tmp_path / "x.pt", "--config", tmp_path / "none.toml"],
          "none.toml: No such file or directory")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe epochs")
    fails(["eval", "--config", tmp_path / "bin.toml"], "bin.toml: not valid TOML")


def test_config_file_options_count_as_given(tmp_path):
    (tmp_path / "e.toml").write_text("fps = 2.0\n")
    fails(["extract", "--synthetic", "--out", tmp_path / "x.h5", "--config",
           tmp_path / "e.toml"], "--fps belongs to --videos")


@pytest.mark.slow
def test_info_command_reproduces_a_teacher(teacher, tmp_path):
    line = ok(["info", teacher, "--command"]).strip()
    argv = shlex.split(line)
    assert argv[:2] == ["avili", "teach"] and "--epochs" in argv and "--seed" in argv
    assert "--align-weight" not in argv and "--negatives" not in argv  # defaults left out
    again = tmp_path / "again.pt"
    argv[argv.index("--out") + 1] = str(again)
    ok(argv[1:] + ["-q"])
    first, second = checkpoint(teacher), checkpoint(again)
    assert first["config"] == second["config"]
    for name, tensor in first["state_dict"].items():
        assert torch.equal(tensor, second["state_dict"][name]), name


def test_info_command_of_soft_labels_student_and_graph(teacher, tmp_path):
    soft = teacher.with_suffix(".soft.npz")
    assert f"--out {teacher} --soft-out {soft}" in ok(["info", soft, "--command"])
    ok(["infer-graph", soft, "--out", tmp_path / "g.json", "--format", "json", "--top-k",
        "2", "--workers", "1"])
    graph = ok(["info", tmp_path / "g.json", "--command"]).strip()
    assert graph.endswith(f"infer-graph {soft} --out {tmp_path / 'g.json'} --format json "
                          "--top-k 2 --workers 1")
    ok(["infer-graph", soft, "--out", tmp_path / "g.npz", "--workers", "1"])
    ok(["distill", "--data", teacher.parent / "tiny.h5", "--soft", soft, "--graph",
        tmp_path / "g.npz", "--out", tmp_path / "s.pt", "--epochs", "1", "--hidden", "16",
        "--lir-weight", "0.5", "--no-gather", "--device", "cpu", "-q"])
    got = json.loads(ok(["info", tmp_path / "s.pt", "--command", "--json"]))
    assert got["argv"][:2] == ["avili", "distill"] and got["unset"] == {}
    assert "--lir-weight 0.5" in got["command"] and "--no-gather" in got["argv"]
    assert "--graph-weight" not in got["command"]


def test_info_command_of_a_dataset_is_refused(teacher):
    fails(["info", teacher.parent / "tiny.h5", "--command"], "records no command")


def test_logs_beside_the_checkpoint_match_its_history(teacher):
    history = checkpoint(teacher)["history"]
    lines = teacher.with_name("teacher.pt.log.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["epoch"] for r in records] == [1, 2, 3]
    for record, stored in zip(records, history):
        assert record["seconds"] > 0 and record["lr"] == 0.003
        assert {k: v for k, v in record.items() if k != "seconds"} == {
            **stored, "epoch": stored["epoch"] + 1}
    with open(teacher.with_name("teacher.pt.log.csv")) as handle:
        rows = list(csv.DictReader(handle))
    assert [{k: float(v) for k, v in row.items()} for row in rows] == records


def test_info_shows_the_history(teacher):
    table = ok(["info", teacher])
    assert "training history (3 epochs)" in table and "val loss" in table
    info = json.loads(ok(["info", teacher, "--json"]))
    lines = teacher.with_name("teacher.pt.log.jsonl").read_text().splitlines()
    logged = [json.loads(line) for line in lines]
    assert info["history"] == [{k: v for k, v in r.items() if k != "seconds"} for r in logged]


def test_long_histories_show_first_last_and_best_rows():
    from rich.console import Console

    from avili.cli.report import history_table

    records = [{"epoch": e, "total": 1.0, "val_score": 0.5 if e != 9 else 0.9, "lr": 1e-3}
               for e in range(1, 21)]
    console = Console(width=80, record=True)
    console.print(history_table("student", records))
    shown = [int(line.split()[1]) for line in console.export_text().splitlines()
             if line.startswith("│")]
    assert shown == [1, 2, 3, 9, 18, 19, 20]


def test_tensorboard_without_the_extra_is_one_line(tiny_h5, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import fails
    fails(["teach", "--data", tiny_h5, "--out", tmp_path / "t.pt", "--tensorboard",
           tmp_path / "tb", "--epochs", "1"], "pip install 'avili[tensorboard]'")
    assert not (tmp_path / "t.pt").exists()


@pytest.mark.slow
def test_tensorboard_gets_the_logged_scalars(tiny_h5, tmp_path, monkeypatch):
    written = []

    class Writer:
        def __init__(self, log_dir):
            written.append(("dir", log_dir))

        def add_scalar(self, tag, value, step):
            written.append((tag, value, step))

        def close(self):
            written.append(("closed",))

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard",
                        types.SimpleNamespace(SummaryWriter=Writer))
    teach(tiny_h5, tmp_path / "t.pt", "--tensorboard", tmp_path / "tb", "--epochs", "2",
          "--hidden", "16", "--device", "cpu", "-q")
    lines = (tmp_path / "t.pt.log.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert written[0] == ("dir", str(tmp_path / "tb")) and written[-1] == ("closed",)
    assert ("val/score", records[1]["val_score"], 2) in written
    assert ("train/total", records[0]["total"], 1) in written
    assert ("lr", 0.001, 1) in written and ("seconds", records[1]["seconds"], 2) in written
