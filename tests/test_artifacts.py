"""Atomic outputs: a process killed at any moment never leaves a half-written artifact
under the final name."""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from avili.artifacts import atomic_output

WRITER = """
import sys
import numpy as np
from avili.artifacts import atomic_output
with atomic_output(sys.argv[1]) as tmp:
    with open(tmp, "wb") as handle:
        for _ in range(400):
            handle.write(np.ones(1 << 16).tobytes())  # 200 MB, slowly enough to be caught
"""


def wait_for_temporary(folder, proc, min_bytes=0, timeout=60.0):
    """The ``.*.part`` temporaries in ``folder`` once one holds more than ``min_bytes``
    bytes, polling until ``timeout`` seconds pass or ``proc`` ends; [] if none did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        parts = list(folder.glob(".*.part"))
        try:
            if parts and max(p.stat().st_size for p in parts) > min_bytes:
                return parts
        except FileNotFoundError:  # renamed or removed between glob and stat
            pass
        time.sleep(0.01)
    return []


@pytest.mark.parametrize("written", [0, 8 << 20, 64 << 20])
def test_sigkill_mid_write_leaves_nothing_under_the_final_name(tmp_path, written):
    out = tmp_path / "big.bin"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(out)])
    parts = wait_for_temporary(tmp_path, proc, min_bytes=written)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert parts, f"no temporary of more than {written} bytes appeared before the kill"
    assert proc.returncode == -signal.SIGKILL  # killed mid-write, not finished
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == [parts[0].name]  # SIGKILL: no clean-up


def test_exception_inside_removes_the_temporary_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "a.npy"
    np.save(out, np.arange(3))
    with pytest.raises(RuntimeError):
        with atomic_output(out) as tmp:
            tmp.write_bytes(b"partial")
            raise RuntimeError("stop")
    assert np.load(out).tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["a.npy"]


@pytest.mark.slow
def test_sigterm_cleans_up_temporaries(tmp_path):
    out = tmp_path / "big.h5"
    proc = subprocess.Popen([sys.executable, "-m", "avili", "extract", "--synthetic", "--clips",
                             "150000", "--out", str(out)], stderr=subprocess.PIPE, text=True)
    parts = wait_for_temporary(tmp_path, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert parts, f"no temporary appeared before SIGTERM: {err}"
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither the output nor its temporary


def test_finished_outputs_get_the_umask_mode_not_the_temporary_one(tmp_path):
    import os

    old = os.umask(0o027)
    try:
        with atomic_output(tmp_path / "a.bin") as tmp:
            tmp.write_bytes(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").stat().st_mode & 0o777 == 0o640


def test_a_name_taken_meanwhile_is_not_replaced(tmp_path):
    from avili.artifacts import check_output
    from avili.errors import AviliError

    out = tmp_path / "x.bin"
    check_output(out, overwrite=False)
    out.write_bytes(b"the other run's result")  # another process finished first
    with pytest.raises(AviliError, match="written by another run meanwhile"):
        with atomic_output(out) as tmp:
            tmp.write_bytes(b"mine")
    assert out.read_bytes() == b"the other run's result"
    assert not list(tmp_path.glob(".*.part"))
    check_output(out, overwrite=True)  # --overwrite replaces as before
    with atomic_output(out) as tmp:
        tmp.write_bytes(b"mine")
    assert out.read_bytes() == b"mine"


def test_an_output_group_commits_all_or_nothing(tmp_path):
    from avili.artifacts import check_output, output_group
    from avili.errors import AviliError

    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    with pytest.raises(RuntimeError):
        with output_group():
            with atomic_output(a) as tmp:
                tmp.write_bytes(b"a")
            assert not a.exists()  # staged, not yet committed
            raise RuntimeError("the second write fails")
    assert not a.exists() and not b.exists() and not list(tmp_path.glob(".*.part"))
    for path in (a, b):
        check_output(path, overwrite=False)
    b.write_bytes(b"taken")  # b's name is taken before the commit: a is not kept either
    with pytest.raises(AviliError, match="output exists"):
        with output_group():
            for path in (a, b):
                with atomic_output(path) as tmp:
                    tmp.write_bytes(b"new")
    assert not a.exists() and b.read_bytes() == b"taken"
    with output_group() as group:
        with atomic_output(a) as tmp:
            tmp.write_bytes(b"new")
        assert group.staged(a).read_bytes() == b"new"
    assert a.read_bytes() == b"new" and not list(tmp_path.glob(".*.part"))


def test_a_long_legal_file_name_is_written(tmp_path):
    out = tmp_path / ("n" * 250)
    with atomic_output(out) as tmp:
        tmp.write_bytes(b"ok")
    assert out.read_bytes() == b"ok"


@pytest.mark.slow
def test_two_processes_racing_for_one_output_one_wins(tmp_path):
    out = tmp_path / "race.h5"
    cmd = [sys.executable, "-m", "avili", "extract", "--synthetic", "--num-classes", "4",
           "--clips", "4000", "--rules", "3", "--out", str(out), "-q"]
    procs = [subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert "output exists" in loser and "Traceback" not in loser
    assert out.is_file() and not list(tmp_path.glob(".*.part"))
