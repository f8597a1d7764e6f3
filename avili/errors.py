"""The one exception type users see: a one-line message that names the file and the problem."""

from __future__ import annotations

import functools
import json
import os
from typing import Any, Callable, TypeVar


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


KIND_WORDS = {"dataset": "an avili dataset", "soft_labels": "soft labels", "graph": "a graph",
              "teacher": "a teacher checkpoint", "student": "a student checkpoint",
              "train_state": "a training state", "gallery": "a gallery index",
              "checkpoint": "an avili checkpoint"}
class WrongKind(AviliError):
    """A reader's refusal of a file that is not the kind it reads. The file may be another
    kind of avili artifact; :func:`avili.info.explain` tells which, by content, and words
    the error as "is soft labels, expected a student checkpoint". ``expected``: a key of
    :data:`KIND_WORDS`."""

    def __init__(self, message: str, path: str | os.PathLike, expected: str) -> None:
        super().__init__(message, path)
        self.expected = expected


def wrong_kind(message: str, path: str | os.PathLike, expected: str) -> WrongKind:
    """A reader's error for ``path``, which is not the ``expected`` kind (see
    :class:`WrongKind`)."""
    return WrongKind(message, path, expected)


def json_record(text: Any, path: str | os.PathLike | None, what: str = "provenance"
                ) -> dict[str, Any]:
    """A stored JSON object (e.g. an artifact's provenance) as a dict; anything else is
    one error naming the file."""
    try:
        value = json.loads(text.decode() if isinstance(text, bytes) else str(text))
    except (ValueError, UnicodeDecodeError):
        raise AviliError(f"'{what}' is not valid JSON", path) from None
    if not isinstance(value, dict):
        raise AviliError(f"'{what}' must be a JSON object, found {type(value).__name__}",
                         path)
    return value


Reader = TypeVar("Reader", bound=Callable[..., Any])


def reader(fn: Reader) -> Reader:
    """The error boundary of a function that reads a file (its first argument, a path or
    an object with ``.path``): whatever unexpected error a malformed file provokes (a
    wrong type, an undecodable string, an array too large for memory) becomes one
    :class:`AviliError` naming the file."""

    @functools.wraps(fn)
    def wrapped(source: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(source, *args, **kwargs)
        except AviliError as exc:
            if exc.path is None:  # raised about this file's content: name the file
                raise AviliError(exc.problem, getattr(source, "path", source)) from None
            raise
        except MemoryError:
            raise AviliError("declares arrays too large to read into memory",
                             getattr(source, "path", source)) from None
        except Exception as exc:  # noqa: BLE001 (the boundary: nothing else gets out)
            raise AviliError(f"malformed file ({type(exc).__name__}: "
                             f"{first_line(exc)[:120]})", getattr(source, "path", source)
                             ) from None

    return wrapped  # type: ignore[return-value]
