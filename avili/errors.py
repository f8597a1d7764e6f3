"""The one exception type users see: a one-line message that names the file and the problem."""

from __future__ import annotations

import os


class AviliError(ValueError):
    """Bad input or a refused operation.

    The CLI prints ``str(error)`` on one line and exits non-zero without a traceback.
    ``path`` is the file at fault, when there is one; it leads the message.
    """

    def __init__(self, message: str, path: str | os.PathLike | None = None) -> None:
        self.path = None if path is None else os.fspath(path)
        self.problem = message
        text = f"{self.path}: {message}" if self.path else message
        super().__init__(" ".join(text.split()))


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type name when the message is empty),
    for quoting a library's error inside a one-line AviliError."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
