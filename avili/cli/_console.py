"""Terminal output for the CLI only: Rich progress on stderr, tables on stdout."""

from __future__ import annotations

import os

from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

PIPED_WIDTH = 1000  # stdout's width when it is a file or a pipe and COLUMNS is not set


class ResultConsole(Console):
    """stdout's console: the terminal's width on a terminal; piped or redirected, COLUMNS
    when set, otherwise :data:`PIPED_WIDTH`, so that a table written to a file is as wide
    as its content instead of cut at 80 columns (Rich's default off a terminal, or the
    width of the terminal that stderr is on)."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self.is_terminal:
            return size
        columns = os.environ.get("COLUMNS", "")
        return ConsoleDimensions(int(columns) if columns.isdigit() else PIPED_WIDTH,
                                 size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


stdout = ResultConsole()
stderr = Console(stderr=True)


class RichProgress:
    """A :class:`avili.progress.Progress` drawing one bar per loop on stderr."""

    def __init__(self) -> None:
        self._bar: Progress | None = None
        self._task = None

    def start(self, description: str, total: int) -> None:
        self._bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                             TimeElapsedColumn(), console=stderr, transient=False)
        self._bar.start()
        self._task = self._bar.add_task(description, total=total, status="")

    def advance(self, steps: int = 1, status: str = "") -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=steps, status=status)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
