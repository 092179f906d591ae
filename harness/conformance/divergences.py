"""The reviewed list of known divergences (``ci/known_divergences.v1.json``): model and reader."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

KNOWN_DIVERGENCES_SCHEMA = "frankenjax.known-divergences.v1"


@dataclass(frozen=True)
class KnownDivergence:
    """One reviewed entry: which cases (``fnmatch`` patterns on case ids), why, and the evidence."""

    id: str
    kind: str  # value | error | nondeterministic
    cases: list[str]
    reason: str
    evidence: str
    added: str
    reviewed_by: str

    def matches(self, case_id: str) -> bool:
        import fnmatch

        return any(fnmatch.fnmatchcase(case_id, p) for p in self.cases)


@dataclass(frozen=True)
class KnownDivergences:
    path: str | None
    entries: list[KnownDivergence]

    def match(self, case_id: str, kinds: Sequence[str] = ("value", "error")) -> KnownDivergence | None:
        return next((d for d in self.entries if d.kind in kinds and d.matches(case_id)), None)


def default_known_divergences_path() -> Any:
    from harness.paths import ci_dir

    return ci_dir() / "known_divergences.v1.json"


def load_known_divergences(path: Any = None) -> KnownDivergences:
    """Read and validate the reviewed list (``ci/known_divergences.v1.json``; a missing default is empty).

    Ids must be unique and every entry needs a reason and an ``https://``
    evidence link (the schema enforces both).
    """
    from pathlib import Path

    from harness.errors import SchemaError
    from harness.schemas import read_json

    p = Path(path) if path is not None else default_known_divergences_path()
    if path is None and not p.exists():
        return KnownDivergences(None, [])
    doc = read_json(p, KNOWN_DIVERGENCES_SCHEMA)
    entries = [
        KnownDivergence(
            **{k: e[k] for k in ("id", "kind", "cases", "reason", "evidence", "added", "reviewed_by")}
        )
        for e in doc["divergences"]
    ]
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise SchemaError("FJ-SCHEMA-INVALID", "known divergence ids must be unique", where=str(p))
    return KnownDivergences(str(p), entries)
