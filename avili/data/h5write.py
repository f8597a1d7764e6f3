"""Creating HDF5 files that survive a full disk.

When the disk refuses a write (full, over quota), HDF5 cannot recover: its cache stays
dirty, closing the file fails, and the interpreter may crash at exit (a segfault after a
screen of HDF5 tracebacks). So avili never lets HDF5 see that error. Every byte goes
through :class:`_DiskGuard`, a file object that records the first refused write and
pretends it succeeded; HDF5 then closes its file normally, and :meth:`GuardedH5.close`
raises one :class:`AviliError` naming the output. The half-written temporary is removed
by :func:`avili.artifacts.atomic_output`, as on any error.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Any, Iterator

from avili.errors import AviliError


class _DiskGuard(io.RawIOBase):
    """An unbuffered read/write file whose refused writes are recorded in ``error``."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._file = open(path, "w+b", buffering=0)  # noqa: SIM115 (closed in close())
        self.error: OSError | None = None

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer: Any) -> int:
        return self._file.readinto(buffer)

    def write(self, data: Any) -> int:
        size = memoryview(data).nbytes
        if self.error is None:
            try:
                written = self._file.write(data)
                if written == size:
                    return written
                self._file.seek(size - (written or 0), os.SEEK_CUR)
                raise OSError(28, os.strerror(28))  # a short write: the disk is full
            except OSError as exc:
                self.error = exc
        self._file.seek(size, os.SEEK_CUR)  # pretend, so that HDF5 stays consistent
        return size

    def truncate(self, size: int | None = None) -> int:
        try:
            return self._file.truncate(size)
        except OSError as exc:
            self.error = self.error or exc
            return self.tell() if size is None else size

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()
        super().close()


class GuardedH5:
    """A new HDF5 file at ``tmp`` (the temporary of output ``final``), written through a
    :class:`_DiskGuard`. ``file`` is the open ``h5py.File``."""

    def __init__(self, tmp: Path, final: str | os.PathLike) -> None:
        import h5py

        self.final = final
        self._guard = _DiskGuard(tmp)
        try:
            self.file = h5py.File(self._guard, "w")
        except BaseException:
            self._guard.close()
            raise

    def check(self) -> None:
        """Raise the disk's refusal now (e.g. between chunks of a long write)."""
        if self._guard.error is not None:
            error = self._guard.error
            raise AviliError(f"cannot write the output: {error.strerror or error}", self.final)

    def close(self) -> None:
        """Close HDF5's file, then raise the first write the disk refused, if any."""
        try:
            self.file.close()
        finally:
            self._guard.close()
        self.check()


@contextlib.contextmanager
def new_h5(tmp: Path, final: str | os.PathLike) -> Iterator[Any]:
    """``with new_h5(tmp, final) as f``: an ``h5py.File`` written through a disk guard; a
    refused write becomes one AviliError naming ``final`` when the block ends."""
    h5 = GuardedH5(tmp, final)
    try:
        yield h5.file
    except BaseException:
        with contextlib.suppress(Exception):
            h5.close()
        h5.check()  # the disk's refusal explains whatever failed after it
        raise
    h5.close()
