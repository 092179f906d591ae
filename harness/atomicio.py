"""The one way the project writes files: atomically.

A reader (or a crash) sees either the old complete file or the new complete
file, never a torn one: the bytes go to a temporary file in the same
directory, are fsynced, renamed over the target (atomic on POSIX), and the
directory is fsynced so the rename itself survives a power cut.

Every writer in the harness goes through :func:`write_bytes`; JSON artifacts
go through :func:`write_json`, which also validates against the artifact's
schema *before* anything touches the disk, so an invalid artifact is never
stored.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` atomically; create parent directories."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)
    return target


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
