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
_PROBING = [False]


def wrong_kind(message: str, path: str | os.PathLike, expected: str) -> AviliError:
    """A reader's error for ``path``. When ``path`` is in fact another kind of avili
    artifact (told by content, as ``avili info`` tells it), the error says so instead:
    "is soft labels, expected a student checkpoint". ``expected``: a key of
    :data:`KIND_WORDS`."""
    if not _PROBING[0]:  # describing a file runs readers, which may land here again
        _PROBING[0] = True
        try:
            from avili.info import describe

            kind = describe(path)["kind"]
        except Exception:  # noqa: BLE001 (not an artifact either: the reader's message)
            kind = None
        finally:
            _PROBING[0] = False
        same = kind == expected or (expected == "checkpoint" and kind in (
            "teacher", "student", "train_state"))
        if kind in KIND_WORDS and not same:
            return AviliError(f"is {KIND_WORDS[kind]}, expected {KIND_WORDS[expected]}", path)
    return AviliError(message, path)


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
