"""``avili info``: what an artifact is, its shapes and where it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avili.cli._common import Json, _emit, _warn, command


@command("info")
def info(
    file: Annotated[Path, typer.Argument(help="Any avili artifact: dataset (.h5), soft "
                                         "labels or graph (.npz, graph .json), checkpoint "
                                         "or training state (.pt), gallery index (.avx).",
                                         show_default=False)],
    command_line: Annotated[bool, typer.Option("--command", help="Print the avili command "
                            "that reproduces the artifact (a teacher, student, soft labels "
                            "or inferred graph), with only its non-default options.")] = False,
    as_json: Json = False,
) -> None:
    """Show what an avili artifact is: its kind (recognised from the file's content, not
    its name), schema and version, shapes, class names, clips per split, provenance (avili
    version, config, seed, input files with their SHA-256, the clip-id list hash) and, for
    a checkpoint, its best epoch, validation score and per-epoch history. Only metadata and small keys are
    read; feature arrays stay on disk. A file that is not an avili artifact, or is
    truncated or corrupt, gives a one-line error and exit code 2.

    Example: avili info student.pt
    """
    from avili.info import describe

    summary = describe(file)
    if command_line:
        _print_command(summary, as_json)
        return
    if as_json:
        _emit(summary, True, "")
        return
    from avili.cli._console import stdout
    from avili.cli.report import history_table, info_table

    stdout.print(info_table(summary))
    if summary.get("history"):
        stdout.print(history_table(summary["kind"], summary["history"]))


def _print_command(summary: dict, as_json: bool) -> None:
    """The reproducing command on stdout; config fields no option sets, as a warning."""
    from avili.cli.reproduce import reproduce

    found = reproduce(summary)
    _warn([f"not reproduced (no option sets it): {k} = {v}" for k, v in found.unset.items()])
    _emit({"command": found.line, "argv": found.argv, "unset": found.unset}, as_json,
          found.line)
