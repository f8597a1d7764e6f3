"""``avili info``: what an artifact is, its shapes and where it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from avili.cli._common import Json, _emit, command


@command("info")
def info(
    file: Annotated[Path, typer.Argument(help="Any avili artifact: dataset (.h5), soft "
                                         "labels or graph (.npz, graph .json), checkpoint "
                                         "or training state (.pt), gallery index (.avx).",
                                         show_default=False)],
    as_json: Json = False,
) -> None:
    """Show what an avili artifact is: its kind (recognised from the file's content, not
    its name), schema and version, shapes, class names, clips per split, provenance (avili
    version, config, seed, input files with their SHA-256, the clip-id list hash) and, for
    a checkpoint, its best epoch and validation score. Only metadata and small keys are
    read; feature arrays stay on disk. A file that is not an avili artifact, or is
    truncated or corrupt, gives a one-line error and exit code 2.

    Example: avili info student.pt
    """
    from avili.info import describe

    summary = describe(file)
    if as_json:
        _emit(summary, True, "")
        return
    from avili.cli._console import stdout
    from avili.cli.report import info_table

    stdout.print(info_table(summary))
