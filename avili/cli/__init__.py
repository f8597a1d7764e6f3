"""The avili command line: a thin Typer layer over :mod:`avili.api`.

Each command parses flags into a config, calls one library function and prints a
summary: tables on stdout (or ``--json``), progress and errors on stderr. Heavy libraries
load inside commands, so ``avili --help`` and shell completion stay fast.
"""

from avili.cli._common import app
from avili.cli import extract as _extract, info as _info, retrieve as _retrieve  # noqa: F401
from avili.cli import stages as _stages  # noqa: F401

__all__ = ["app"]
