"""The harness side of an adapter: a subprocess it can survive.

:class:`AdapterProcess` starts the implementation's command (an argument
list, never through a shell), says hello, and runs one request at a time.
Whatever the adapter does, a request ends in a :class:`CaseOutcome`:

* it answers -> ``replied`` (outputs or its own error, ``unsupported`` included);
* it prints a line that is not a reply to the request (not JSON, wrong id,
  wrong shape) -> ``protocol`` error naming the violation; the adapter is
  restarted, since its stream can no longer be trusted;
* it writes more than ``max_reply_bytes`` on one line -> ``too_large``; restarted;
* it does not answer within ``timeout`` seconds -> ``timeout``; killed, restarted;
* it exits -> ``crashed`` with its exit status and the tail of its stderr; restarted.

Only a command that cannot be started at all (missing, not executable) or
that does not answer hello raises :class:`~harness.adapters.protocol.AdapterError`
(the CLI's exit 2). Reading happens on a thread, so a hung adapter never
blocks the harness past the timeout; stderr is drained on another thread into
a bounded tail that reports quote.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shlex
import subprocess
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from harness.adapters import protocol as p

DEFAULT_TIMEOUT_S = 60.0
_STDERR_TAIL_LINES = 40


@dataclass(frozen=True)
class CaseOutcome:
    """How one run request ended (``status``: replied, protocol, too_large, timeout, crashed)."""

    status: str
    reply: p.RunReply | None = None
    message: str = ""
    exit_status: int | None = None
    stderr_tail: str = ""

    @property
    def replied(self) -> bool:
        return self.status == "replied"


def parse_command(command: str | Sequence[str]) -> list[str]:
    """``--impl "node adapter.js --fast"`` as an argument list (split like a shell, run without one)."""
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if not argv:
        raise p.AdapterError(p.EXEC, "the adapter command is empty")
    return argv


@dataclass
class AdapterProcess:
    """One running adapter; restarted on demand after any breakage. Use as a context manager."""

    command: list[str]
    timeout: float = DEFAULT_TIMEOUT_S
    max_reply_bytes: int = p.DEFAULT_MAX_REPLY_BYTES
    env: dict[str, str] | None = None
    info: p.AdapterInfo | None = None
    restarts: int = 0
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _lines: queue.Queue[bytes | None] | None = field(default=None, repr=False)
    _stderr: deque[str] = field(default_factory=lambda: deque(maxlen=_STDERR_TAIL_LINES), repr=False)

    def __enter__(self) -> AdapterProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> p.AdapterInfo:
        """Start the command and say hello; returns what the adapter said of itself."""
        try:
            proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=self.env,
                start_new_session=True,  # its own process group: a kill reaches its children too
            )
        except (OSError, ValueError) as exc:
            raise p.AdapterError(
                p.EXEC, f"cannot start adapter {shlex.join(self.command)!r}: {exc}", hint="check --impl"
            ) from None
        self._proc = proc
        self._lines = queue.Queue()
        self._stderr.clear()
        assert proc.stdout is not None and proc.stderr is not None
        threading.Thread(target=self._read_stdout, args=(proc.stdout, self._lines), daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(proc.stderr,), daemon=True).start()
        self._send(p.hello_request())
        kind, line = self._next_line(self.timeout)
        if kind != "line":
            status = self._stop()
            raise p.AdapterError(
                p.HELLO,
                f"adapter {shlex.join(self.command)!r} gave no hello reply ({kind}, exit status {status}); "
                f"stderr: {self.stderr_tail()[-500:]}",
            )
        assert line is not None
        try:
            info = p.parse_hello(line)
        except p.AdapterError:
            self._stop()
            raise
        if self.info is not None and info != self.info:
            self._stop()
            raise p.AdapterError(p.HELLO, f"the adapter restarted as {info}, not as {self.info}")
        self.info = info
        return info

    def close(self) -> int | None:
        """Say bye and wait briefly; kill if it lingers. Returns its exit status."""
        if self._proc is None:
            return None
        with contextlib.suppress(OSError, ValueError):
            self._send(p.bye_request())
        try:
            status: int | None = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            status = self._stop()
        self._proc = None
        return status

    def _stop(self) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, 9)
        with contextlib.suppress(subprocess.TimeoutExpired):
            return proc.wait(timeout=10)
        return None

    def _restart(self) -> None:
        self._stop()
        self.restarts += 1
        self.start()

    # --- one request ---------------------------------------------------------------------------------

    def run(self, case_id: str, program: Any, stack: Sequence[Any], args: Sequence[Any]) -> CaseOutcome:
        """Send one run request and wait for its reply (see the module docstring for the outcomes)."""
        if self._proc is None:
            self._restart()
        try:
            self._send(p.run_request(case_id, program, stack, args))
        except (OSError, ValueError):
            return self._broken("crashed", f"the adapter's stdin is closed (case {case_id})")
        kind, line = self._next_line(self.timeout)
        if kind == "timeout":
            return self._broken("timeout", f"no reply within {self.timeout:g} s")
        if kind == "eof":
            return self._broken("crashed", "the adapter exited while the request was pending")
        if kind == "too_large":
            return self._broken("too_large", f"a reply line longer than {self.max_reply_bytes} bytes")
        assert line is not None
        try:
            reply = p.parse_run_reply(line, case_id)
        except p.AdapterError as exc:
            return self._broken("protocol", f"[{exc.code}] {exc.message}")
        return CaseOutcome("replied", reply)

    def _broken(self, status: str, message: str) -> CaseOutcome:
        """The adapter misbehaved on this request: record how, and start a fresh one for the next."""
        exit_status = self._stop()
        time.sleep(0.05)  # let the stderr reader drain what the dying process wrote
        outcome = CaseOutcome(status, None, message, exit_status, self.stderr_tail())
        with contextlib.suppress(p.AdapterError):
            self._restart()  # if it cannot restart, the next run() tries again and reports that
        return outcome

    # --- plumbing ------------------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(p.encode_line(message))
        self._proc.stdin.flush()

    def _next_line(self, timeout: float) -> tuple[str, bytes | None]:
        """('line', bytes) | ('eof', None) | ('timeout', None) | ('too_large', None)."""
        assert self._lines is not None
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return "timeout", None
            if item is None:
                return "eof", None
            if item == _TOO_LARGE:
                return "too_large", None
            if item.strip():
                return "line", item

    def _read_stdout(self, stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
        limit = self.max_reply_bytes
        try:
            while True:
                line = stream.readline(limit + 1)
                if not line:
                    break
                if len(line) > limit and not line.endswith(b"\n"):
                    lines.put(_TOO_LARGE)
                    while line and not line.endswith(b"\n"):  # skip the rest of the oversized line
                        line = stream.readline(1 << 20)
                    continue
                lines.put(line)
        except (OSError, ValueError):
            pass
        finally:
            lines.put(None)

    def _read_stderr(self, stream: IO[bytes]) -> None:
        with contextlib.suppress(OSError, ValueError):
            for raw in iter(lambda: stream.readline(1 << 16), b""):
                self._stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def stderr_tail(self) -> str:
        return "\n".join(self._stderr)


_TOO_LARGE = b"\x00too-large\x00"
