"""The avili command line: a thin Typer layer over :mod:`avili.api`.

Each command parses flags into a config, calls one library function and prints a
summary: tables on stdout (or ``--json``), progress and errors on stderr. Heavy libraries
load inside commands, so ``avili --help`` and shell completion stay fast.
"""

from avili.cli._common import app
from avili.cli import extract as _extract, info as _info, retrieve as _retrieve  # noqa: F401
from avili.cli import graph as _graph, stages as _stages  # noqa: F401

# --help lists the commands in pipeline order, whichever module defines them
ORDER = ["extract", "info", "teach", "infer-graph", "distill", "eval", "demo"]
app.registered_commands.sort(key=lambda c: ORDER.index(c.name))

__all__ = ["app"]
