"""Fuzzing's part of the error taxonomy (``FJ-FUZZ-*``)."""

from __future__ import annotations

from frankenjax_ref.errors import register_code
from harness.errors import HarnessError


class FuzzError(HarnessError):
    """A fuzz run could not be started or its workers failed to run."""

    family = "FUZZ"


UNKNOWN_TARGET = register_code(
    "FJ-FUZZ-UNKNOWN-TARGET", "FUZZ", "no fuzz target is registered under that name"
)
UNAVAILABLE = register_code(
    "FJ-FUZZ-TARGET-UNAVAILABLE", "FUZZ", "the fuzz target's parser is not importable in this checkout"
)
NO_ATHERIS = register_code("FJ-FUZZ-NO-ATHERIS", "FUZZ", "atheris is not installed (pip install '.[fuzz]')")
ARGS = register_code("FJ-FUZZ-ARGS", "FUZZ", "fuzz run options are invalid")
WORKER = register_code(
    "FJ-FUZZ-WORKER", "FUZZ", "a fuzz worker failed to start or exited without running the target"
)
INSTRUMENTATION = register_code(
    "FJ-FUZZ-INSTRUMENTATION", "FUZZ", "a module the target needs for coverage feedback is not instrumented"
)
