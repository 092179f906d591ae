"""The crash gate: fail on an open P0, or on a P0 nobody has acknowledged.

Reads the ``crash_gate`` section of ``ci/reliability_budgets.v1.json``
(validated against ``frankenjax.crash-gate-budget.v1``)::

    {
      "crash_gate": {
        "index": "corpus/crashes/index.v1.jsonl",
        "known_p0": [{"id": "<target>/crash-<sha1>", "reason": "fixed in ..."}],
        "max_open_p1": null
      }
    }

and the crash index it names. :func:`crash_gate` fails when

* any P0 entry is ``open`` (it reproduces now), or
* any P0 entry — open, fixed or not — is not in ``known_p0`` (a new P0 must
  be looked at and acknowledged, with a reason, even after it is fixed), or
* ``max_open_p1`` is an integer and more P1 entries than that are open.

``fjh gates`` calls :func:`crash_gate`; ``fjh triage --gate`` runs it alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frankenjax_ref.errors import register_code
from harness.errors import HarnessError

BUDGETS_NAME = "reliability_budgets.v1.json"
SECTION = "crash_gate"
SECTION_SCHEMA = "frankenjax.crash-gate-budget.v1"
DEFAULT_SECTION: dict[str, Any] = {
    "index": "corpus/crashes/index.v1.jsonl",
    "known_p0": [],
    "max_open_p1": None,
}


class CrashGateError(HarnessError):
    family = "TRIAGE"


CONFIG = register_code(
    "FJ-TRIAGE-GATE-CONFIG",
    "TRIAGE",
    "the crash_gate section of ci/reliability_budgets.v1.json is missing or invalid",
)


@dataclass(frozen=True)
class GateEntry:
    id: str
    severity: str | None
    status: str
    reason: str


@dataclass(frozen=True)
class CrashGateResult:
    ok: bool
    budgets: str
    index: str
    entries: int
    counts: dict[str, int]
    open_p0: tuple[GateEntry, ...]
    new_p0: tuple[GateEntry, ...]
    open_p1: tuple[GateEntry, ...]
    max_open_p1: int | None
    stale_known: tuple[str, ...]
    failures: tuple[str, ...]


def budgets_path() -> Path:
    from harness.paths import ci_dir

    return ci_dir() / BUDGETS_NAME


def load_section(path: Path | None = None) -> dict[str, Any]:
    """The validated ``crash_gate`` section."""
    from harness.errors import ArtifactIOError, SchemaError
    from harness.schemas import load_json_file, validate

    path = path or budgets_path()
    try:
        doc = load_json_file(path)
    except ArtifactIOError as exc:
        raise CrashGateError(
            CONFIG,
            exc.message,
            where=str(path),
            hint="create it with a crash_gate section (see harness/fuzz/crashgate.py)",
        ) from None
    if not isinstance(doc, dict) or SECTION not in doc:
        raise CrashGateError(CONFIG, f"no {SECTION!r} section", where=str(path))
    try:
        validate(doc[SECTION], SECTION_SCHEMA, where=f"{path}:{SECTION}")
    except SchemaError as exc:
        raise CrashGateError(CONFIG, exc.message, where=exc.where) from None
    return dict(doc[SECTION])


def crash_gate(budgets: Path | None = None) -> CrashGateResult:
    """Evaluate the crash gate against the index; never raises for a failing gate (``ok`` says)."""
    from harness.fuzz.triage import read_index
    from harness.paths import project_root, relative_to_root

    budgets = budgets or budgets_path()
    section = load_section(budgets)
    index = project_root() / section["index"]
    entries = read_index(index)
    known = {k["id"] for k in section["known_p0"]}

    def brief(e: dict[str, Any]) -> GateEntry:
        return GateEntry(e["id"], e["severity"], e["status"], e["reason"])

    open_p0 = tuple(brief(e) for e in entries if e["severity"] == "P0" and e["status"] == "open")
    new_p0 = tuple(brief(e) for e in entries if e["severity"] == "P0" and e["id"] not in known)
    open_p1 = tuple(brief(e) for e in entries if e["severity"] == "P1" and e["status"] == "open")
    limit = section.get("max_open_p1")
    failures = [f"P0 open: {e.id} ({e.reason[:160]})" for e in open_p0]
    failures += [f"P0 not in crash_gate.known_p0: {e.id} [{e.status}]" for e in new_p0]
    if limit is not None and len(open_p1) > limit:
        failures.append(f"{len(open_p1)} P1 entries open, budget {limit}")
    counts: dict[str, int] = {}
    for e in entries:
        key = f"{e['severity'] or 'none'}/{e['status']}"
        counts[key] = counts.get(key, 0) + 1
    ids = {e["id"] for e in entries}
    return CrashGateResult(
        ok=not failures,
        budgets=relative_to_root(budgets),
        index=relative_to_root(index),
        entries=len(entries),
        counts=dict(sorted(counts.items())),
        open_p0=open_p0,
        new_p0=new_p0,
        open_p1=open_p1,
        max_open_p1=limit,
        stale_known=tuple(sorted(known - ids)),
        failures=tuple(failures),
    )
