"""``fjh`` in a pipe behaves as Unix tools do: a reader that stops early ends it quietly."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys


def test_a_closed_pipe_ends_fjh_quietly() -> None:
    """``fjh primitives | head -1``: the table is bigger than the (shrunk) pipe buffer, the reader
    closes after one read, and fjh must end without a traceback, with the SIGPIPE status 141."""
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, 1031, 4096)  # F_SETPIPE_SZ: the table cannot fit, so fjh must block on it
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "primitives"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        first = reader.read(64)
    _, err = proc.communicate(timeout=120)
    assert first.startswith(b"primitive")
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode == 141
