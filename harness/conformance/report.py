"""The parity report: its model, tallies, the one writer and reader, Markdown and JUnit renderings.

:func:`build_report` turns the runner's per-case results into a
:class:`ParityReport` (``frankenjax.parity-report.v1``); :func:`write_report`
writes JSON (schema-checked), Markdown and JUnit XML atomically, with
durability sidecars; :func:`read_report` reads one back, validated.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

REPORT_SCHEMA = "frankenjax.parity-report.v1"
REPORT_NAME = "parity-report.v1.json"
STATUSES = ("pass", "fail", "error", "known_divergence")


def default_report_dir() -> Path:
    from harness.paths import artifacts_dir

    return artifacts_dir() / "conformance"


@dataclass(frozen=True)
class ParityReport:
    """The parity report as data; :meth:`to_json` is the ``frankenjax.parity-report.v1`` document."""

    generated_at: str
    fixtures: list[dict[str, Any]]
    known_divergences: dict[str, Any]
    totals: dict[str, Any]
    families: dict[str, dict[str, int]]
    primitives: dict[str, dict[str, int]]
    stacks: dict[str, dict[str, int]]
    worst: list[dict[str, Any]]
    histogram: dict[str, dict[str, int]]
    results: list[dict[str, Any]]
    timing: dict[str, Any]
    environment: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.totals["fail"] == 0 and self.totals["error"] == 0

    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] in ("fail", "error")]

    def to_json(self) -> dict[str, Any]:
        from harness import __version__

        return {
            "schema": REPORT_SCHEMA,
            "generated_by": f"fjh conformance (frankenjax-harness {__version__})",
            "generated_at": self.generated_at,
            "environment": self.environment,
            "fixtures": self.fixtures,
            "known_divergences": self.known_divergences,
            "totals": self.totals,
            "families": self.families,
            "primitives": self.primitives,
            "stacks": self.stacks,
            "worst": self.worst,
            "histogram": self.histogram,
            "results": self.results,
            "timing": self.timing,
        }


def _tally(results: Iterable[dict[str, Any]]) -> dict[str, int]:
    c = Counter(r["status"] for r in results)
    return {"cases": sum(c.values()), **{s: c.get(s, 0) for s in STATUSES}}


ULP_BUCKETS = ((0, "0"), (1, "1"), (4, "2-4"), (64, "5-64"), (1024, "65-1024"), (1 << 20, "1025-2^20"))


def _ulp_bucket(u: float | None) -> str:
    if u is None:
        return "n/a"
    for limit, name in ULP_BUCKETS:
        if u <= limit:
            return name
    return ">2^20"


def build_report(
    results: list[dict[str, Any]],
    fixtures: list[dict[str, Any]],
    known: dict[str, Any],
    seconds: float,
    jobs: int,
) -> ParityReport:
    import platform

    import numpy

    import frankenjax_ref

    totals: dict[str, Any] = dict(_tally(results))
    n = totals["cases"]
    totals["pass_rate"] = round(totals["pass"] / n, 6) if n else 0.0
    totals["conformance_rate"] = round((totals["pass"] + totals["known_divergence"]) / n, 6) if n else 0.0
    families = {
        f: _tally(r for r in results if r["family"] == f) for f in sorted({r["family"] for r in results})
    }
    prims: dict[str, list[dict[str, Any]]] = {}
    primary: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        for p in r["primitives"]:
            prims.setdefault(p, []).append(r)
        if r["primitive"]:
            primary.setdefault(r["primitive"], []).append(r)
    primitives = {}
    for p in sorted(set(prims) | set(primary)):
        row = _tally(prims.get(p, []))
        row["primary_cases"] = len(primary.get(p, []))
        row["primary_pass"] = sum(r["status"] == "pass" for r in primary.get(p, []))
        primitives[p] = row
    stacks = {s: _tally(r for r in results if r["stack"] == s) for s in sorted({r["stack"] for r in results})}
    measured = [r for r in results if r["max_ulp"] is not None]
    worst = sorted(
        (r for r in measured if r["max_ulp"] and r["max_ulp"] > 0),
        key=lambda r: (-(r["max_ulp"] or 0), r["case_id"]),
    )[:25]
    worst_rows = [
        {k: r[k] for k in ("case_id", "status", "kind", "max_ulp", "max_abs_err", "max_rel_err")}
        for r in worst
    ]
    histogram = {
        "ulp": dict(sorted(Counter(_ulp_bucket(r["max_ulp"]) for r in results).items())),
        "failure_kinds": dict(
            sorted(Counter(r["kind"] for r in results if r["status"] in ("fail", "error")).items())
        ),
        "known_divergences": dict(
            sorted(Counter(r["divergence"] for r in results if r["divergence"]).items())
        ),
    }
    environment = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "platform": f"{platform.system()}-{platform.machine()}",
        "frankenjax_ref": getattr(frankenjax_ref, "__version__", "unknown"),
    }
    timing = {
        "seconds": round(seconds, 3),
        "cases_per_second": round(n / seconds, 2) if seconds > 0 else 0.0,
        "jobs": jobs,
        "case_seconds_total": round(sum(r["seconds"] for r in results), 3),
    }
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ParityReport(
        now,
        fixtures,
        known,
        totals,
        families,
        primitives,
        stacks,
        worst_rows,
        histogram,
        results,
        timing,
        environment,
    )


def write_report(
    report: ParityReport, report_dir: str | Path | None, junit: str | Path | None
) -> ParityReport:
    """Write JSON (schema-validated), Markdown and JUnit XML atomically; returns the report with ``files``."""
    from dataclasses import replace

    from harness.atomicio import write_json, write_text

    out = Path(report_dir) if report_dir is not None else default_report_dir()
    json_path = out / REPORT_NAME
    md_path = out / "parity-report.md"
    junit_path = Path(junit) if junit is not None else out / "parity-report.junit.xml"
    write_json(json_path, report.to_json(), schema=REPORT_SCHEMA, indent=None)
    write_text(md_path, render_markdown(report))
    write_text(junit_path, render_junit(report))
    from harness.durability import refresh_sidecars

    refresh_sidecars([json_path, md_path, junit_path])
    return replace(report, files={"json": str(json_path), "markdown": str(md_path), "junit": str(junit_path)})


def read_report(path: str | Path) -> dict[str, Any]:
    """Read and validate a parity report."""
    from harness.schemas import read_json

    report: dict[str, Any] = read_json(path, REPORT_SCHEMA)
    return report


# --- renderings ---------------------------------------------------------------------------------------------


def _counts_table(label: str, counts: dict[str, dict[str, Any]]) -> str:
    """A markdown table of status counts, one row per ``label`` (family, stack)."""
    statuses = ("cases", "pass", "fail", "error", "known_divergence")
    return _md_table(
        [label, *(s.replace("_", " ") for s in statuses)],
        [[key, *(row[s] for s in statuses)] for key, row in counts.items()],
    )


def _md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in row) + " |")
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def render_markdown(report: ParityReport) -> str:
    t = report.totals
    parts = [
        "# FrankenJAX parity report",
        "",
        f"Generated {report.generated_at}: {t['cases']} cases from {len(report.fixtures)} bundle(s) in "
        f"{report.timing['seconds']} s ({report.timing['jobs']} jobs).",
        "",
        _md_table(
            ["cases", "pass", "fail", "error", "known divergence", "pass rate"],
            [[t["cases"], t["pass"], t["fail"], t["error"], t["known_divergence"], f"{t['pass_rate']:.2%}"]],
        ),
        "",
        "## Per family",
        "",
        _counts_table("family", report.families),
        "",
        "## Per primitive",
        "",
        "A case counts for every primitive in its program; *primary* cases are the per-primitive cases.",
        "",
        _md_table(
            ["primitive", "cases", "pass", "fail", "error", "known divergence", "primary", "primary pass"],
            [
                [
                    p,
                    r["cases"],
                    r["pass"],
                    r["fail"],
                    r["error"],
                    r["known_divergence"],
                    r["primary_cases"],
                    r["primary_pass"],
                ]
                for p, r in report.primitives.items()
            ],
        ),
        "",
        "## Per transform stack",
        "",
        _counts_table("stack", report.stacks),
        "",
        "## Error histogram",
        "",
        "Largest ULP distance per case (all compared float outputs):",
        "",
        _md_table(["max ULP", "cases"], report.histogram["ulp"].items()),
        "",
        "Failure kinds:",
        "",
        _md_table(["kind", "cases"], report.histogram["failure_kinds"].items())
        if report.histogram["failure_kinds"]
        else "none",
        "",
        "## Worst errors",
        "",
        _md_table(
            ["case", "status", "max ULP", "max abs err", "max rel err"],
            [
                [
                    w["case_id"],
                    w["status"],
                    _fmt(w["max_ulp"]),
                    _fmt(w["max_abs_err"]),
                    _fmt(w["max_rel_err"]),
                ]
                for w in report.worst
            ],
        )
        if report.worst
        else "none",
        "",
    ]
    failures = report.failures()
    parts += ["## Failures", ""]
    if failures:
        shown = failures[:200]
        parts.append(
            _md_table(
                ["case", "status", "kind", "message"],
                [[r["case_id"], r["status"], r["kind"], r["message"][:200]] for r in shown],
            )
        )
        if len(failures) > len(shown):
            parts.append(f"\n... and {len(failures) - len(shown)} more (see the JSON report).")
    else:
        parts.append("none")
    kd = [r for r in report.results if r["status"] == "known_divergence"]
    parts += ["", "## Known divergences", ""]
    parts.append(
        _md_table(
            ["case", "entry", "still diverges"],
            [[r["case_id"], r["divergence"], r["still_diverges"]] for r in kd],
        )
        if kd
        else "none"
    )
    return "\n".join(parts) + "\n"


def render_junit(report: ParityReport) -> str:
    t = report.totals
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    out.append(
        f'<testsuites name="frankenjax-conformance" tests="{t["cases"]}" failures="{t["fail"]}" '
        f'errors="{t["error"]}" skipped="{t["known_divergence"]}" time="{report.timing["seconds"]}">'
    )
    for family in report.families:
        rs = [r for r in report.results if r["family"] == family]
        tally = report.families[family]
        secs = round(sum(r["seconds"] for r in rs), 3)
        out.append(
            f'  <testsuite name={quoteattr(family)} tests="{tally["cases"]}" failures="{tally["fail"]}" '
            f'errors="{tally["error"]}" skipped="{tally["known_divergence"]}" time="{secs}">'
        )
        for r in rs:
            name = quoteattr(r["case_id"])
            head = f'    <testcase classname={quoteattr(family)} name={name} time="{r["seconds"]}"'
            if r["status"] == "pass":
                out.append(head + "/>")
                continue
            out.append(head + ">")
            msg = quoteattr(f"{r['kind']}: {r['message']}"[:500])
            if r["status"] == "fail":
                out.append(f"      <failure type={quoteattr(r['kind'])} message={msg}/>")
            elif r["status"] == "error":
                out.append(f"      <error type={quoteattr(r['kind'])} message={msg}/>")
            else:
                out.append(
                    f"      <skipped message={quoteattr('known divergence ' + str(r['divergence']))}/>"
                )
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"
