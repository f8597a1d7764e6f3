"""The README's Python section runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_section() -> str:
    """The one ```python block of the README's "Python API" section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1
    return blocks[0]


@pytest.mark.slow
def test_readme_python_script_runs_as_written(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(python_section())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    lines = run.stdout.splitlines()
    assert "edges; planted links found: {'recall'" in lines[0]
    assert re.match(r"LIR weight [0-9.]+: test avg mAP 0\.\d{4}, minus plain [+-]\d\.\d{4} "
                    r"\[[+-]\d\.\d{4}, [+-]\d\.\d{4}\]$", lines[1])
    hits = [line.split() for line in lines[2:]]
    assert [h[0] for h in hits] == ["1", "2", "3"]
    assert all(h[1].startswith("syn") and float(h[-1]) <= 1.0 for h in hits)
    assert float(hits[0][-1]) >= float(hits[1][-1]) >= float(hits[2][-1])
    assert list(tmp_path.iterdir()) == [script]  # the in-memory API writes no files
