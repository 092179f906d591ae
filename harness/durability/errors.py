"""Durability's part of the error taxonomy.

Every refusal of the durability subsystem is a :class:`DurabilityError` with
one of the stable ``FJ-DUR-*`` codes below, so CI gates and E2E scenarios can
match on the code instead of parsing messages.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from frankenjax_ref.errors import register_code
from harness.errors import HarnessError


class DurabilityError(HarnessError):
    """A sidecar could not be generated, read, verified or used for repair."""

    family = "DURABILITY"


PARAMS = register_code(
    "FJ-DUR-PARAMS", "DURABILITY", "erasure-coding parameters (k, m, block size, drop) are invalid"
)
NOT_FOUND = register_code(
    "FJ-DUR-NOT-FOUND", "DURABILITY", "neither the artifact nor its sidecar exists, or it is not a file"
)
NO_SIDECAR = register_code("FJ-DUR-NO-SIDECAR", "DURABILITY", "the artifact has no sidecar")
MANIFEST = register_code(
    "FJ-DUR-MANIFEST",
    "DURABILITY",
    "the sidecar manifest is damaged and no intact copy survives in the share trailers",
)
UNRECOVERABLE = register_code(
    "FJ-DUR-UNRECOVERABLE",
    "DURABILITY",
    "damage exceeds what the sidecar can rebuild (fewer than k good shares); nothing was written",
)
VERIFY = register_code(
    "FJ-DUR-VERIFY",
    "DURABILITY",
    "rebuilt bytes do not match the SHA-256 recorded in the manifest; nothing was written",
)
MISMATCH = register_code(
    "FJ-DUR-SIDECAR-MISMATCH",
    "DURABILITY",
    "an existing sidecar protects different content; replacing it needs --force",
)
CODEC = register_code(
    "FJ-DUR-CODEC", "DURABILITY", "a codec this build does not provide, or one that is not installed"
)
IO = register_code(
    "FJ-DUR-IO", "DURABILITY", "the operating system refused a read or write (permissions, disk full, ...)"
)


P = ParamSpec("P")
R = TypeVar("R")


def typed_io(func: Callable[P, R]) -> Callable[P, R]:
    """Turn an ``OSError`` escaping a public function into ``FJ-DUR-IO``.

    Permissions, a full disk or a vanished directory are facts about the
    machine, not bugs: callers get the taxonomy's error, never a traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OSError as exc:
            where = exc.filename if isinstance(exc.filename, str) else None
            raise DurabilityError(IO, exc.strerror or str(exc), where=where) from exc

    return wrapper
