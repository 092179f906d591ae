"""The one way the project writes files: atomically.

A reader (or a crash) sees either the old complete file or the new complete
file, never a torn one: the bytes go to a temporary file in the same
directory, are fsynced, renamed over the target (atomic on POSIX), and the
directory is fsynced so the rename itself survives a power cut.

Every writer in the harness goes through :class:`AtomicWriter` — directly
when the content is streamed (durability sidecars of large artifacts, where
holding the whole file in memory is not an option), or through
:func:`write_bytes` / :func:`write_text` / :func:`write_json` when the content
is already in memory. :func:`write_json` also validates against the
artifact's schema *before* anything touches the disk, so an invalid artifact
is never stored.

Temporary files are named ``.<target-name>.<random>.tmp`` in the target's
directory. A process killed between creating one and renaming it leaves it
behind; it is hidden (leading dot), never mistaken for the target, and safe to
delete.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

TEMP_SUFFIX = ".tmp"


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicWriter:
    """A file that appears at ``path`` only when :meth:`commit` succeeds.

    Writes go to a temporary file beside the target. :meth:`commit` flushes,
    fsyncs, renames it over the target and fsyncs the directory;
    :meth:`abort` deletes it and leaves the target exactly as it was. Used as
    a context manager it commits on normal exit and aborts on an exception,
    which is how a caller that must verify content before it lands (a repair
    checking a SHA-256) refuses a write: raise inside the ``with`` block.
    """

    def __init__(self, path: str | os.PathLike[str], *, mode: int = 0o644):
        self.target = Path(path)
        self.mode = mode
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{self.target.name}.", suffix=TEMP_SUFFIX, dir=self.target.parent
        )
        self.temp_path = Path(tmp_name)
        self._handle = os.fdopen(fd, "wb")
        self._done = False
        self.bytes_written = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._done:
            raise ValueError(f"atomic writer for {self.target} is already closed")
        written = self._handle.write(data)
        self.bytes_written += written
        return written

    def commit(self) -> Path:
        """Make the written bytes the target's content, durably."""
        if self._done:
            raise ValueError(f"atomic writer for {self.target} is already closed")
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            os.chmod(self.temp_path, self.mode)
            os.replace(self.temp_path, self.target)
        except BaseException:
            self.abort()
            raise
        self._done = True
        _fsync_dir(self.target.parent)
        return self.target

    def abort(self) -> None:
        """Discard the written bytes; the target is untouched. Idempotent."""
        if self._done:
            return
        self._done = True
        with contextlib.suppress(OSError):
            self._handle.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temp_path)

    def __enter__(self) -> AtomicWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def atomic_writer(path: str | os.PathLike[str], *, mode: int = 0o644) -> AtomicWriter:
    """Open a streaming atomic write to ``path`` (see :class:`AtomicWriter`)."""
    return AtomicWriter(path, mode=mode)


def write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` atomically; create parent directories."""
    with AtomicWriter(path, mode=mode) as writer:
        writer.write(data)
    return writer.target


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    return write_bytes(path, text.encode("utf-8"))


def dumps_json(obj: Any, *, indent: int | None = 2) -> str:
    """The project's JSON text form: sorted keys, no NaN literals, trailing newline."""
    return json.dumps(obj, sort_keys=True, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(
    path: str | os.PathLike[str], obj: Any, *, schema: str | None = None, indent: int | None = 2
) -> Path:
    """Validate ``obj`` against ``schema`` (if given), then write it atomically."""
    if schema is not None:
        from harness.schemas import validate

        validate(obj, schema, where=str(path))
    return write_text(path, dumps_json(obj, indent=indent))


def write_jsonl(path: str | os.PathLike[str], records: list[Any]) -> Path:
    lines = [json.dumps(r, sort_keys=True, ensure_ascii=False, allow_nan=False) for r in records]
    return write_text(path, "".join(line + "\n" for line in lines))
