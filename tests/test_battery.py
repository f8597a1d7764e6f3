"""The hostile-input battery: every case is a bad file, a bad option value or a refused
output. Each must end with exit code 2, one stderr line that names the file or the option,
no traceback, and no file created or changed anywhere (inputs, outputs, their folders).

Placeholders: {d} a valid pipeline's folder, {b} the bad files of tests/hostile_files.py,
{t} the case's own empty folder."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from avili.cli import app
from tests.helpers import ok, runner
from tests.hostile_files import make_bad_files

CASES_FILE = Path(__file__).with_name("battery_cases.txt")


def read_cases(path: Path) -> list[tuple[str, str]]:
    """(arguments, expected message part) per non-comment line of ``path``."""
    rows = [line.split("  =>  ") for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    return [(args.strip(), message.strip()) for args, message in rows]


OPTIONS_AND_FILES = read_cases(CASES_FILE)
STATES = [  # training states next to an output, for --resume and reruns
    ('teach --data {d}/ave.h5 --out {b}/state_truncated.pt --resume',
     'state_truncated.pt.state.pt: not a readable'),
    ('teach --data {d}/ave.h5 --out {b}/state_random.pt --resume',
     'state_random.pt.state.pt: not a readable'),
    ('teach --data {d}/ave.h5 --out {b}/state_other.pt --resume',
     '--resume with other input files than the interrupted run (data differ)'),
    ('teach --data {d}/ave.h5 --out {b}/state_other.pt',
     "found the training state"),
    ('distill --data {d}/ave.h5 --out {b}/state_teacher.pt --lir-weight 0 --resume',
     'state_teacher.pt.state.pt'),
    ('teach --data {d}/ave.h5 --out {b}/state_student.pt --resume',
     'state_student.pt.state.pt'),
]

KINDS = [  # an artifact of the wrong kind is named for what it is
    ('infer-graph {d}/ave.h5 --out {t}/g.npz', 'is an avili dataset, expected soft labels'),
    ('eval --model {d}/soft.npz --data {d}/ave.h5', 'is soft labels, expected a student'),
    ('eval --model {d}/teacher.pt --data {d}/ave.h5', 'is a teacher checkpoint, expected a '
     'student checkpoint'),
    ('eval --model {d}/student.pt --data {d}/graph.npz', 'is a graph, expected an avili dataset'),
    ('teach --data {d}/student.pt --out {t}/t.pt', 'is a student checkpoint, expected an avili'),
    ('teach --data {d}/g.avx --out {t}/t.pt', 'is a gallery index, expected an avili dataset'),
    ('distill --data {d}/ave.h5 --soft {d}/graph.npz --graph {d}/graph.npz --out {t}/s.pt',
     'is a graph, expected soft labels'),
    ('distill --data {d}/ave.h5 --soft {d}/soft.npz --graph {d}/soft.npz --out {t}/s.pt',
     'is soft labels, expected a graph'),
    ('retrieve index --model {d}/ave.h5 --data {d}/ave.h5 --out {t}/g.avx',
     'is an avili dataset, expected a student checkpoint'),
    ('retrieve search --index {d}/soft.npz --query syn0-00001', 'is soft labels, expected a '
     'gallery index'),
    ('retrieve search --index {d}/ave.h5 --query syn0-00001', 'is an avili dataset, expected '
     'a gallery index'),
    ('infer-graph --show {d}/soft.npz', 'is soft labels, expected a graph'),
]

OUTPUTS = [  # refused outputs
    ('teach --data {d}/ave.h5 --out {d}/ave.h5/t.pt', 'is a file'),
    ('distill --data {d}/ave.h5 --out {t}/s.pt --lir-weight 0 --overwrite --out {d}',
     'output is a folder'),
    ('infer-graph {d}/soft.npz --out {t}/g.npz --csv {t}/g.csv --plot {t}/g.csv',
     'two outputs of this command name the same file'),
    ('retrieve index --model {d}/student.pt --data {d}/ave.h5 --out {t}/sub/../g.avx --out '
     '{d}/g.avx', 'output exists'),
    ('eval --model {d}/student.pt --data {d}/ave.h5 --save-embeddings {d}/soft.npz',
     'output exists'),
    ('teach --data {d}/ave.h5 --out {t}/t.pt --soft-out {t}/./t.pt', 'two outputs'),
]

CASES = OPTIONS_AND_FILES + STATES + KINDS + OUTPUTS


@pytest.fixture(scope="module")
def folders(pipeline, tmp_path_factory):
    """({d}, {b}): a copy of the valid pipeline with a gallery index, and the bad files."""
    d = tmp_path_factory.mktemp("battery") / "pipe"
    shutil.copytree(pipeline, d)  # the session's pipeline stays as it was
    ok(["retrieve", "index", "--model", d / "student.pt", "--data", d / "ave.h5",
        "--out", d / "g.avx"])
    bad = tmp_path_factory.mktemp("bad")
    make_bad_files(d, bad)
    _states(d, bad)
    return d, bad


def _states(d: Path, b: Path) -> None:
    """Training states beside outputs in ``b``: damaged, from another run, of the other
    stage."""
    from avili.config import DistillConfig, TeachConfig
    from avili.data.schema import read_dataset
    from avili.train.distill import train_student
    from avili.train.teach import train_teacher

    ds = read_dataset(d / "ave.h5")
    train_teacher(ds, TeachConfig(epochs=1), state_file=b / "state_other.pt.state.pt")
    train_student(ds, DistillConfig(epochs=1, lir_weight=0, lir_weight_grid=()),
                  state_file=b / "state_student.pt.state.pt")
    data = (b / "state_other.pt.state.pt").read_bytes()
    (b / "state_truncated.pt.state.pt").write_bytes(data[:len(data) // 2])
    (b / "state_random.pt.state.pt").write_bytes(b"\x80" * 999)
    (b / "state_teacher.pt.state.pt").write_bytes(data)


def snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folders``: path -> (size, modification time in ns)."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for f in folders
            for p in sorted(f.rglob("*"))}


def case_id(args: str) -> str:
    return re.sub(r"[{}]|\w/", "", args)[:60]


@pytest.mark.slow
@pytest.mark.parametrize("args, message", CASES, ids=[case_id(a) for a, _ in CASES])
def test_hostile_input(folders, tmp_path, args, message):
    d, b = folders
    where = {"d": d, "b": b, "t": tmp_path}
    argv = shlex.split(args.format(**where))
    before = snapshot(d, b, tmp_path)
    result = runner.invoke(app, argv)
    err = result.stderr.strip()
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output and len(err.splitlines()) == 1, err
    assert "pickle code ran" not in result.output  # safe loading: no pickle executes
    assert message.format(**where) in err, err
    named = [a for a in argv if a.startswith("--") or "/" in a]
    assert any(a in err for a in named) or "--" in err, err  # the file or the option
    assert snapshot(d, b, tmp_path) == before, "a refused command created or changed files"


def test_the_battery_is_large_and_covers_every_command():
    assert len(CASES) >= 120
    commands = {shlex.split(a)[0] for a, _ in CASES}
    assert commands >= {"extract", "teach", "infer-graph", "distill", "eval", "retrieve",
                        "info", "demo"}
