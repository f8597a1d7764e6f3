"""Names of the files ``avili extract --videos`` writes beside its output. Imports nothing
heavy, so the CLI can check them before torch loads."""

from __future__ import annotations

import os
from pathlib import Path


def report_path(out: str | os.PathLike) -> Path:
    """``<out>.report.json``, beside ``out``."""
    return Path(out).with_name(Path(out).name + ".report.json")


def segments_path(out: str | os.PathLike) -> Path:
    """``<out stem>.segments.npz``, beside ``out``."""
    return Path(out).with_name(Path(out).stem + ".segments.npz")
