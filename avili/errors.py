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
