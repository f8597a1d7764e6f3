"""How library loops report progress without printing: they call a :class:`Progress`.

The CLI passes a Rich implementation that draws on stderr; library users pass nothing
(:class:`NullProgress`) or their own object with the same three methods.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, description: str, total: int) -> None: ...

    def advance(self, steps: int = 1, status: str = "") -> None: ...

    def stop(self) -> None: ...


class NullProgress:
    """Reports nothing."""

    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, steps: int = 1, status: str = "") -> None:
        pass

    def stop(self) -> None:
        pass
