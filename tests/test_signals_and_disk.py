"""Real signals and a real full disk, in child processes: SIGTERM between teach's two
writes and during its commit (nothing appears; --resume finishes the job), SIGTERM after
the outputs are written (a message, exit 143, outputs complete), and commands writing
onto a small tmpfs (one line, exit 2, nothing left behind, no crash)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import ok

PATCHED_RUN = """
import os, signal, sys
import avili.{module} as target
original = target.{name}
calls = []

def {name}(*args, **kwargs):
    calls.append(1)
    if len(calls) == {nth}:
        os.kill(os.getpid(), signal.SIGTERM)  # {when}
    return original(*args, **kwargs)

target.{name} = {name}
from avili.cli import app
app(sys.argv[1:], prog_name="avili")
"""


def run_patched(args: list, module: str, name: str, nth: int = 1, when: str = "") -> Any:
    script = PATCHED_RUN.format(module=module, name=name, nth=nth, when=when)
    return subprocess.run([sys.executable, "-c", script, *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def teach_args(data: Path, folder: Path) -> list:
    return ["teach", "--data", data, "--out", folder / "t.pt", "--soft-out",
            folder / "soft.npz", "--epochs", "2", "--hidden", "16", "-q"]


@pytest.mark.parametrize("module, name, nth, when", [
    ("api", "save_soft_labels", 1, "the checkpoint is staged, the soft labels not yet"),
    ("artifacts", "_link", 2, "the checkpoint is linked into place, the soft labels not"),
])
@pytest.mark.slow
def test_sigterm_inside_teachs_writes_leaves_neither_and_resume_finishes(
        tiny_h5, tmp_path, module, name, nth, when):
    run = tmp_path / "run"
    run.mkdir()
    done = run_patched(teach_args(tiny_h5, run), module, name, nth, when)
    assert done.returncode == 130, done.stderr
    err = done.stderr.strip().splitlines()
    assert len(err) == 1 and "interrupted" in err[0] and "Traceback" not in done.stderr
    assert sorted(p.name for p in run.iterdir()) == ["t.pt.state.pt"]  # no output, no temp
    ok(teach_args(tiny_h5, run) + ["--resume"])
    reference = tmp_path / "reference"
    ok(teach_args(tiny_h5, reference))
    for key in ("audio", "visual"):
        with np.load(run / "soft.npz") as got, np.load(reference / "soft.npz") as want:
            np.testing.assert_array_equal(got[key], want[key])


AFTER_RUN = """
import os, signal, sys, time
from avili.cli import app
try:
    app(sys.argv[1:], prog_name="avili", standalone_mode=False)
finally:
    os.kill(os.getpid(), signal.SIGTERM)  # the outputs are written; the process is ending
    time.sleep(30)
"""

LATE_RUN = """
import atexit, os, signal, sys, time

def kill():  # registered first, so it runs last: inside the interpreter's own teardown
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(1)

atexit.register(kill)
from avili.cli import app
app(sys.argv[1:], prog_name="avili")
"""


@pytest.mark.slow
@pytest.mark.parametrize("script, code", [(AFTER_RUN, 143), (LATE_RUN, 0)])
def test_sigterm_after_the_outputs_are_written(artifacts, tmp_path, script, code):
    from avili.data.graphfile import load_graph

    args = ["infer-graph", artifacts / "soft.npz", "--out", tmp_path / "g.npz", "--csv",
            tmp_path / "g.csv", "--json"]
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    if code:
        assert "after the outputs were written; they are complete" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.csv", "g.npz"]
    assert load_graph(tmp_path / "g.npz").num_classes > 0


# -- a real full disk -------------------------------------------------------------------


def can_mount_tmpfs(folder: Path) -> str:
    """Why a private tmpfs cannot be mounted here ("" if it can)."""
    if shutil.which("unshare") is None:
        return "no unshare command"
    probe = subprocess.run(["unshare", "-rm", "sh", "-c",
                            f"mount -t tmpfs -o size=64k none '{folder}'"],
                           capture_output=True, text=True)
    return "" if probe.returncode == 0 else f"cannot mount a tmpfs: {probe.stderr.strip()}"


ON_A_FULL_DISK = {
    "extract (HDF5)": ["extract", "--synthetic", "--clips", "3000", "--out", "{disk}/x.h5", "-q"],
    "teach (checkpoint, state, soft labels)": ["teach", "--data", "{data}", "--out",
                                               "{disk}/t.pt", "--epochs", "1", "-q"],
    "retrieve index (HDF5 gallery)": ["retrieve", "index", "--model", "{student}", "--data",
                                      "{data}", "--out", "{disk}/g.avx"],
    "eval --save-embeddings (NPZ)": ["eval", "--model", "{student}", "--data", "{data}",
                                     "--save-embeddings", "{disk}/e.npz"],
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(ON_A_FULL_DISK))
def test_a_full_disk_gets_one_line_and_leaves_nothing(artifacts, tmp_path, case):
    disk = tmp_path / "disk"
    disk.mkdir()
    reason = can_mount_tmpfs(disk)
    if reason:
        pytest.skip(reason)
    args = [a.format(disk=disk, data=artifacts / "tiny.h5", student=artifacts / "student.pt")
            for a in ON_A_FULL_DISK[case]]
    shell = textwrap.dedent(f"""
        mount -t tmpfs -o size=16k none '{disk}' || exit 99
        head -c 12000 /dev/zero > '{disk}/filler'   # leave about one page free
        '{sys.executable}' -m avili {' '.join(f"'{a}'" for a in args)}
        code=$?
        rm '{disk}/filler'
        ls -A '{disk}' >&2
        exit $code
    """)
    done = subprocess.run(["unshare", "-rm", "sh", "-c", shell], capture_output=True,
                          text=True, timeout=300)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr  # not 139 (a segfault) nor a traceback
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr  # ls: nothing
    assert "No space left on device" in lines[0] and str(disk) in lines[0], lines[0]
