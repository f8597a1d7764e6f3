"""Writing artifacts safely and recording where they came from.

Every output goes through :func:`atomic_output`: it is written to a temporary file in
the destination folder, flushed to disk, then renamed over the final name, so an
interrupted run never leaves a half-written file under the name a finished one uses.
Every artifact carries a provenance record (:func:`provenance`) as JSON.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from avili import __version__
from avili.errors import AviliError


def require_input(path: str | os.PathLike) -> Path:
    """``path`` as a Path if it is an existing regular file; otherwise one clear error
    (a FIFO or device would block a reader forever, a folder would fail obscurely)."""
    out = Path(path)
    if not out.exists():
        raise AviliError("file not found", out)
    if not out.is_file():
        raise AviliError("not a regular file (a folder, FIFO or device); expected a file", out)
    return out


_NO_CLOBBER: set[str] = set()  # outputs that must not exist when they are committed


def check_output(path: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse an existing output unless ``overwrite``. Without ``overwrite`` the path is
    also remembered, so that its final rename fails if another process wrote the name
    meanwhile (see :func:`atomic_output`). The folder is made only when the output is
    written, so a refused input leaves no empty folder behind."""
    out = Path(path)
    if out.is_dir():
        raise AviliError("output is a folder, expected a file path", out)
    if out.exists() and not overwrite:
        raise AviliError("output exists; pass --overwrite to replace it", out)
    _check_folder(out)
    (_NO_CLOBBER.discard if overwrite else _NO_CLOBBER.add)(os.path.abspath(out))
    return out


def _check_folder(out: Path) -> None:
    """The output's folder exists and is writable, or can be made: its nearest existing
    ancestor is a writable folder (checked without creating anything)."""
    ancestor = out.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise AviliError(f"cannot make the output's folder: {ancestor} is a file", out)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise AviliError(f"cannot write the output: folder {ancestor} is not writable", out)


def check_distinct(paths: Sequence[str | os.PathLike | None]) -> None:
    """Refuse two outputs of one command that name the same file."""
    seen: dict[str, Path] = {}
    for path in (Path(p) for p in paths if p is not None):
        key = os.path.realpath(path)
        if key in seen:
            raise AviliError(f"two outputs of this command name the same file "
                             f"({seen[key]} and {path})", path)
        seen[key] = path


_STOP = {"requested": False}


def request_stop() -> None:
    """Note that the process was asked to stop (SIGTERM): no output is renamed into place
    from now on, even where the interrupt itself got swallowed (e.g. inside a callback)."""
    _STOP["requested"] = True


class OutputGroup:
    """Outputs committed together (:func:`output_group`): (temporary, final) pairs."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []

    def staged(self, final: str | os.PathLike) -> Path:
        """The temporary file that holds ``final``'s finished bytes until the commit."""
        for tmp, name in self.pending:
            if name == Path(final):
                return tmp
        raise KeyError(os.fspath(final))


_GROUPS: list[OutputGroup] = []


@contextlib.contextmanager
def output_group() -> Iterator[OutputGroup]:
    """Every :func:`atomic_output` inside is staged, and all are renamed into place when
    the block ends without error: a multi-output command leaves all its outputs or none.
    No-clobber outputs are linked first (any that exists fails the whole group, and the
    ones already linked are removed), then the others are renamed."""
    group = OutputGroup()
    _GROUPS.append(group)
    try:
        yield group
        if _STOP["requested"]:
            raise KeyboardInterrupt
        _commit_all(group.pending)
    finally:
        _GROUPS.remove(group)
        for tmp, _ in group.pending:
            tmp.unlink(missing_ok=True)


def _commit_all(pending: list[tuple[Path, Path]]) -> None:
    linked: list[Path] = []
    try:
        for tmp, final in pending:
            if os.path.abspath(final) in _NO_CLOBBER:
                _link(tmp, final)
                linked.append(final)
    except BaseException:
        for final in linked:
            final.unlink(missing_ok=True)
        raise
    for tmp, final in pending:
        if final not in linked:
            os.replace(tmp, final)


def _link(tmp: Path, final: Path) -> None:
    """Give ``tmp``'s file the name ``final`` only if that name is free (atomically, by a
    hard link; where the file system has none, by a check and a rename)."""
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise AviliError("output exists (written by another run meanwhile); pass "
                         "--overwrite to replace it", final) from None
    except OSError:
        if final.exists():
            raise AviliError("output exists; pass --overwrite to replace it", final) from None
        os.replace(tmp, final)
    _NO_CLOBBER.discard(os.path.abspath(final))
    tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success fsync it and rename it into place.

    On any exception the temporary file is removed and ``path`` is left untouched. An
    output checked without ``--overwrite`` (:func:`check_output`) is committed only if
    its name is still free; inside :func:`output_group` the commit waits for the group.
    """
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name[:40]}.", suffix=".part",
                                    dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    staged = False
    try:
        with _disk_errors(final):
            yield tmp
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        if _STOP["requested"]:
            raise KeyboardInterrupt
        os.chmod(tmp, 0o666 & ~_umask())  # as a plain open() would create it, not mkstemp's 0600
        if _GROUPS:
            _GROUPS[-1].pending.append((tmp, final))
            staged = True
        elif os.path.abspath(final) in _NO_CLOBBER:
            _link(tmp, final)
        else:
            os.replace(tmp, final)
    finally:
        if not staged and tmp.exists():
            tmp.unlink()


_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


@contextlib.contextmanager
def _disk_errors(final: Path) -> Iterator[None]:
    """A full disk (or quota, or file size limit) while writing ``final`` becomes one
    error naming it, whichever library was writing."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _NO_ROOM:
            raise
        raise AviliError(f"cannot write the output: {os.strerror(exc.errno)}", final) from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def ids_sha256(clip_ids: Sequence[str]) -> str:
    """Hex SHA-256 of an ordered clip-id list (newline-joined UTF-8)."""
    return hashlib.sha256("\n".join(map(str, clip_ids)).encode("utf-8")).hexdigest()


def to_jsonable(value: Any) -> Any:
    """Dataclasses, paths and numpy scalars to plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def provenance(kind: str, config: Any, inputs: Mapping[str, str | os.PathLike] | None = None,
               **extra: Any) -> dict:
    """The record stored in every artifact: kind, avili version, resolved config, inputs.

    ``inputs`` maps a role (``"data"``, ``"soft"``...) to a file; each is recorded with its
    path and SHA-256. No timestamps, so the same run gives byte-identical artifacts.
    """
    record: dict[str, Any] = {"kind": kind, "avili_version": __version__,
                              "config": to_jsonable(config), "inputs": {}}
    for role, path in (inputs or {}).items():
        record["inputs"][role] = {"path": os.fspath(path), "sha256": file_sha256(path)}
    record.update(to_jsonable(extra))
    return record


def dumps(record: Mapping[str, Any]) -> str:
    """Canonical JSON (sorted keys) for embedding in artifacts."""
    return json.dumps(to_jsonable(record), sort_keys=True)
