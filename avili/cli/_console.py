"""Terminal output for the CLI only: Rich progress on stderr, tables on stdout."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

stdout = Console()
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
