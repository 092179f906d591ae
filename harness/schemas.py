"""JSON Schemas: one per artifact kind, named ``<schema-name>.schema.json``.

A document names its schema in a top-level ``"schema"`` field (for example
``frankenjax.fixture-bundle.v1``); :func:`validate` checks a document against
the schema of that name and :func:`read_json` reads a file and validates it,
so every reader checks what it reads.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from harness.errors import ArtifactIOError, SchemaError
from harness.paths import schemas_dir


def schema_path(name: str) -> Path:
    return schemas_dir() / f"{name}.schema.json"


def known_schemas() -> list[str]:
    return sorted(p.name.removesuffix(".schema.json") for p in schemas_dir().glob("*.schema.json"))


@functools.cache
def _validator(name: str) -> Any:
    import jsonschema

    path = schema_path(name)
    if not path.is_file():
        raise SchemaError("FJ-SCHEMA-UNKNOWN", f"no schema named {name!r}", where=str(path))
    schema = json.loads(path.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate(obj: Any, name: str, *, where: str | None = None) -> None:
    """Raise :class:`SchemaError` (FJ-SCHEMA-INVALID) naming the first problem."""
    validator = _validator(name)
    error = next(iter(sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        location = f"{where}:{pointer}" if where else pointer
        raise SchemaError(
            "FJ-SCHEMA-INVALID",
            f"document does not match schema {name}: {error.message[:300]}",
            where=location,
        )


def load_json_file(path: str | os.PathLike[str]) -> Any:
    """Read JSON with typed errors for missing, unreadable or undecodable files."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ArtifactIOError("FJ-IO-NOT-FOUND", "file does not exist", where=str(p)) from None
    except OSError as exc:
        raise ArtifactIOError("FJ-IO-READ", f"cannot read file: {exc.strerror}", where=str(p)) from None
    try:
        obj = json.loads(raw.decode("utf-8"), parse_constant=_not_json)
        if b"\\ud" in raw or b"\\uD" in raw:  # a \ud800 escape makes a string UTF-8 cannot hold
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError) as exc:  # ValueError: also ints > 4300 digits
        raise ArtifactIOError("FJ-IO-READ", f"not valid UTF-8 JSON: {exc}", where=str(p)) from None
    return obj


def _not_json(name: str) -> Any:
    """NaN and Infinity are not JSON; the project never writes them (allow_nan=False)."""
    raise ValueError(f"{name} is not JSON")


def read_json(path: str | os.PathLike[str], schema: str) -> Any:
    """Read a JSON artifact and validate it against ``schema``."""
    obj = load_json_file(path)
    validate(obj, schema, where=str(path))
    return obj
