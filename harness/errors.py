"""The harness's part of the one error taxonomy (base: ``frankenjax_ref.errors``).

Each harness area registers the codes it raises in its own module with
:func:`frankenjax_ref.errors.register_code`; the shared ones live here.
"""

from __future__ import annotations

from frankenjax_ref.errors import FJError, register_code


class HarnessError(FJError):
    """Bad input to, or a failed operation of, the harness."""

    family = "HARNESS"


class UsageError(HarnessError):
    """Command-line arguments that cannot be acted on."""


class SchemaError(HarnessError):
    """A file or object does not validate against its JSON Schema."""


class ArtifactIOError(HarnessError):
    """A file could not be read, or is not what it claims to be."""


register_code("FJ-CLI-USAGE", "HARNESS", "command-line arguments are invalid")
register_code("FJ-SCHEMA-INVALID", "HARNESS", "a document does not validate against its JSON Schema")
register_code("FJ-SCHEMA-UNKNOWN", "HARNESS", "no JSON Schema is registered under that name")
register_code("FJ-IO-NOT-FOUND", "HARNESS", "a file the command needs does not exist")
register_code("FJ-IO-READ", "HARNESS", "a file could not be read or decoded")
register_code("FJ-ARGS-FORMAT", "HARNESS", "an arguments file is not in the array JSON encoding")
