"""What counts as a finding, and how one input's outcome is described.

Targets raise these; the atheris worker lets them escape (libFuzzer records
the input) and :func:`run_check` turns any outcome into a plain dict that
the triage subprocess prints as JSON.

* :class:`InvariantViolation` — the parser accepted the bytes but an
  invariant failed: the round trip changed the fingerprint, the program does
  not carry the data the bytes said, the accepted value fails its own
  validator. Always P0.
* :class:`UncaughtError` — a taxonomy error was raised, but its ``__cause__``
  chain holds a non-taxonomy exception: some code crashed and a wrapper
  turned the crash into a typed error (``validate`` does this for
  abstract-eval rules, keeping the original as ``__cause__``). That is the
  same bug as the bare exception, so it is P1, never a clean rejection.
* :class:`SlowInput` — raised by the worker (not by targets) when an input
  was handled cleanly but took longer than the slow threshold (P2).

Any other exception escaping a target is an uncaught exception (P1).
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from typing import Any

#: InvariantViolation kinds (all P0)
ROUND_TRIP = "round-trip-mismatch"
WRONG_DATA = "wrong-data"
INVARIANT = "invariant"
KINDS = (ROUND_TRIP, WRONG_DATA, INVARIANT)


class Finding(Exception):
    """An input that exposes a bug (base of the target-raised findings)."""


class InvariantViolation(Finding):
    """Accepted input that breaks an invariant (P0)."""

    def __init__(self, kind: str, message: str):
        if kind not in KINDS:
            raise ValueError(f"unknown invariant kind {kind!r}")
        self.kind = kind
        self.message = message
        super().__init__(f"{kind}: {message}")


class UncaughtError(Finding):
    """A taxonomy error wrapping a non-taxonomy exception (P1); raised ``from`` that exception."""

    def __init__(self, code: str, cause: BaseException):
        self.code = code
        self.cause_type = type(cause).__name__
        super().__init__(f"{code} wraps {type(cause).__name__}: {str(cause)[:300]}")


class SlowInput(Finding):
    """Handled cleanly, but slower than the threshold (P2)."""

    def __init__(self, outcome: str, seconds: float, threshold: float):
        self.outcome = outcome
        self.seconds = seconds
        self.threshold = threshold
        super().__init__(f"{outcome} after {seconds:.3f} s (slow threshold {threshold} s)")


def non_taxonomy_cause(exc: BaseException) -> BaseException | None:
    """The first exception in ``exc``'s ``__cause__`` chain that is not an FJError."""
    from frankenjax_ref.errors import FJError

    seen: set[int] = set()
    cause = exc.__cause__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if not isinstance(cause, FJError):
            return cause
        cause = cause.__cause__
    return None


def rejection(exc: Any) -> str:
    """The outcome label of a clean taxonomy rejection; raises UncaughtError for a wrapped crash."""
    cause = non_taxonomy_cause(exc)
    if cause is not None:
        raise UncaughtError(exc.code, cause) from cause
    return f"rejected:{exc.code}"


# --- describing one run of a target -------------------------------------------------------


def _relative(path: str) -> str:
    """A path that reads the same on every machine: project-, site-packages- or stdlib-relative."""
    import sysconfig

    from harness.paths import project_root

    roots = [str(project_root()) + os.sep, str(_code_root()) + os.sep]
    for root in roots:
        if path.startswith(root):
            return path[len(root) :]
    site = path.find("site-packages" + os.sep)
    if site >= 0:
        return path[site:]
    stdlib = sysconfig.get_paths()["stdlib"] + os.sep
    if path.startswith(stdlib):
        return "<stdlib>/" + path[len(stdlib) :]
    return path


def _code_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def format_traceback(exc: BaseException) -> str:
    """The traceback (with causes) with paths made relative, so it reads the same on every checkout."""
    lines = traceback.format_exception(exc)
    text = "".join(lines)
    for root in {_code_root() + os.sep}:
        text = text.replace(root, "")
    return text


def innermost_frame(exc: BaseException) -> str:
    """``path:function`` of the frame that raised ``exc`` (relative path)."""
    tb = exc.__traceback__
    if tb is None:
        return "?"
    last = traceback.extract_tb(tb)[-1]
    return f"{_relative(last.filename)}:{last.name}"


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """Status, exception type, message, origin frame and signature of a failure."""
    if isinstance(exc, InvariantViolation):
        return {
            "status": "invariant",
            "kind": exc.kind,
            "exception_type": "InvariantViolation",
            "message": exc.message[:2000],
            "frame": innermost_frame(exc),
            "signature": f"invariant:{exc.kind}",
        }
    if isinstance(exc, UncaughtError) and exc.__cause__ is not None:
        cause = exc.__cause__
        frame = innermost_frame(cause)
        return {
            "status": "exception",
            "kind": "wrapped-exception",
            "exception_type": type(cause).__name__,
            "message": str(exc)[:2000],
            "frame": frame,
            "signature": f"exception:{type(cause).__name__}@{frame}",
        }
    frame = innermost_frame(exc)
    return {
        "status": "exception",
        "kind": "uncaught-exception",
        "exception_type": type(exc).__name__,
        "message": str(exc)[:2000],
        "frame": frame,
        "signature": f"exception:{type(exc).__name__}@{frame}",
    }


def run_check(check: Callable[[bytes], str], data: bytes) -> dict[str, Any]:
    """Run one input through ``check`` and describe what happened (never raises).

    ``status`` is ``accepted`` / ``rejected`` (clean; ``code`` names the
    rejection) / ``invariant`` / ``exception``; ``elapsed_s`` is wall time.
    The caller decides about slowness and hangs (it owns the clock limits).
    """
    start = time.perf_counter()
    try:
        label = check(data)
    except (KeyboardInterrupt, SystemExit) as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        out = describe_exception(exc)
        out["traceback"] = format_traceback(exc)
    except BaseException as exc:
        if getattr(exc, "fjh_interrupt", False):  # the caller's own clock (minimizer timeouts)
            raise
        out = describe_exception(exc)
        out["traceback"] = format_traceback(exc)
    else:
        status, _, code = label.partition(":")
        out = {"status": status, "code": code or None, "signature": f"clean:{status}"}
    out["elapsed_s"] = time.perf_counter() - start
    return out
