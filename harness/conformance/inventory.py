"""``fjh primitives``: per registered primitive, its rules (the registry) and cases (a report)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.conformance.report import REPORT_NAME, default_report_dir, read_report


@dataclass(frozen=True)
class PrimitiveRow:
    primitive: str
    family: str
    rules: dict[str, bool]  # rule table -> has an entry (frankenjax_ref.primitives.RULE_TABLES)
    cases: int | None
    passing: int | None
    primary_cases: int | None
    primary_pass: int | None
    note: str


@dataclass(frozen=True)
class PrimitivesTable:
    rows: list[PrimitiveRow]
    report: str | None


def primitives_table(report_path: str | Path | None = None) -> PrimitivesTable:
    """Per registered primitive: its rules (the registry) and its cases (the latest report, if any)."""
    from frankenjax_ref.primitives import family_of, rule_coverage
    from harness.conformance.specs import specs

    path = Path(report_path) if report_path is not None else default_report_dir() / REPORT_NAME
    counts: dict[str, Any] = {}
    used = None
    if report_path is not None or path.exists():
        counts = read_report(path)["primitives"]
        used = str(path)
    rows = specs()
    table = []
    for cov in rule_coverage():
        c = counts.get(cov.primitive)
        fam = family_of(cov.primitive)
        table.append(
            PrimitiveRow(
                cov.primitive,
                fam,
                dict(cov.tables),
                c["cases"] if c else (0 if used else None),
                c["pass"] if c else (0 if used else None),
                c["primary_cases"] if c else (0 if used else None),
                c["primary_pass"] if c else (0 if used else None),
                rows[cov.primitive].no_catalog if cov.primitive in rows else "no case spec row",
            )
        )
    return PrimitivesTable(table, used)
