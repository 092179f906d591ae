"""What every gate shares: its result, the context it runs in, and the budgets it reads."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frankenjax_ref.errors import register_code
from harness.errors import HarnessError

BUDGETS_SCHEMA = "frankenjax.reliability-budgets.v1"
REPORT_SCHEMA = "frankenjax.gates-report.v1"

register_code(
    "FJ-GATES-BUDGETS", "HARNESS", "the reliability budgets file is missing, invalid or lacks a section"
)
register_code("FJ-GATES-UNKNOWN", "HARNESS", "no gate or profile has that name")

PASS, FAIL, ERROR, SKIPPED = "pass", "fail", "error", "skipped"


class GatesError(HarnessError):
    """The budgets cannot be used, or a gate/profile name is unknown."""


@dataclass
class GateResult:
    """One gate's verdict. ``details`` is JSON data kept in the report; ``summary`` is one line for people."""

    name: str
    status: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in (PASS, SKIPPED)


@dataclass
class GateContext:
    """What a gate may read: the tree, its budget section (profile applied), what earlier gates measured."""

    root: Path
    profile: str
    budgets: dict[str, Any]
    budgets_path: Path
    options: dict[str, Any] = field(default_factory=dict)
    #: stage name -> seconds, filled as gates run (the runtime gate judges them)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    results: list[GateResult] = field(default_factory=list)

    def section(self, name: str) -> dict[str, Any]:
        try:
            value = self.budgets[name]
        except KeyError:
            raise GatesError(
                "FJ-GATES-BUDGETS", f"the budgets have no {name!r} section", where=str(self.budgets_path)
            ) from None
        return dict(value)

    def path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.root / p


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def default_budgets_path() -> Path:
    from harness.paths import ci_dir

    return ci_dir() / "reliability_budgets.v1.json"


def load_budgets(path: Path | None = None, profile: str = "full") -> tuple[dict[str, Any], str]:
    """The budgets (schema-checked) with ``profile``'s overrides applied, and the file's SHA-256."""
    from harness.schemas import read_json

    p = path or default_budgets_path()
    try:
        doc = read_json(p, BUDGETS_SCHEMA)
    except HarnessError as exc:
        raise GatesError("FJ-GATES-BUDGETS", f"cannot use the budgets: {exc}", where=str(p)) from None
    from harness.schemas import schema_path, validate

    if "crash_gate" in doc and schema_path("frankenjax.crash-gate-budget.v1").is_file():
        # its owner's schema (harness.fuzz.crashgate) is stricter than this file's
        try:
            validate(doc["crash_gate"], "frankenjax.crash-gate-budget.v1", where=f"{p}:crash_gate")
        except HarnessError as exc:
            raise GatesError("FJ-GATES-BUDGETS", f"cannot use the budgets: {exc}", where=str(p)) from None
    profiles = doc.get("profiles", {})
    if profile not in profiles:
        raise GatesError(
            "FJ-GATES-UNKNOWN",
            f"no profile {profile!r} in the budgets",
            hint=f"profiles: {', '.join(profiles)}",
        )
    merged = deep_merge(
        {k: v for k, v in doc.items() if k != "profiles"}, profiles[profile].get("overrides", {})
    )
    return merged, hashlib.sha256(p.read_bytes()).hexdigest()
