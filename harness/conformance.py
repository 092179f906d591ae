"""``fjh conformance``: every fixture case through the reference, compared with JAX's outputs.

Library entry point::

    from harness.conformance import run_conformance
    report = run_conformance(fixtures=["fixtures"], report_dir="artifacts/conformance", jobs=2)
    report.ok, report.totals["pass_rate"]

Per case (in a worker, :func:`conform_batch`): decode the case, run its
program through the reference under its stack with
:func:`frankenjax_ref.dispatch.run` (composition proof, ledger record,
order-sensitive execution — each case with a fresh ledger), and compare
with :func:`harness.compare.compare_outputs` under the case's tolerance.
Statuses:

* ``pass`` — every output within tolerance; for a case where JAX raised,
  the reference raised a typed error with one of the case's codes (or, for
  a primitive error JAX only raised after tracing, its type checker already
  refused the program: ``FJ-IR-TYPE-MISMATCH``);
* ``fail`` — outputs differ (the ``kind`` says how: value, nan, inf,
  signed_zero, shape, dtype, arity), or JAX raised and the reference did not
  (``no_error``) or raised another code (``wrong_error``);
* ``error`` — the reference raised where JAX returned (``reference_error``,
  with the code; ``crash`` for an untyped exception), or could not decode or
  type-check JAX's program (``ir_rejected``);
* ``known_divergence`` — the case matches an entry of the reviewed
  known-divergences list (never reported as ``pass``; ``still_diverges``
  says whether the comparison failed this time).

The parity report (``frankenjax.parity-report.v1``, schema-checked) has
totals, per-family, per-primitive and per-stack tables, the worst errors,
an error histogram (ULP buckets and failure kinds) and one result per case;
:func:`render_markdown` and :func:`render_junit` give the Markdown summary
and JUnit XML. ``report.ok`` (exit 0) only when every case passes or is a
known divergence.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

from frankenjax_ref.errors import FJError

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


# --- the worker side ------------------------------------------------------------------------------------


def _result(case: dict[str, Any], status: str, kind: str, message: str, **extra: Any) -> dict[str, Any]:
    out = {
        "case_id": case["case_id"],
        "family": case["family"],
        "program": case["program"],
        "primitive": case["primitive"],
        "primitives": case["primitives"],
        "stack": case["stack_signature"],
        "capture_mode": case["capture_mode"],
        "status": status,
        "kind": kind,
        "message": message[:600],
        "max_ulp": None,
        "max_abs_err": None,
        "max_rel_err": None,
        "reference_error": None,
        "seconds": 0.0,
    }
    out.update(extra)
    return out


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """One case through the reference (the decoded-case errors are the bundle reader's business)."""
    from frankenjax_ref import dispatch, ledger
    from harness.compare import compare_outputs
    from harness.fixtures import decode_case

    fc = decode_case(case, where=case["case_id"])
    if fc.ir_error is not None:
        expected_codes = (fc.expected_error or {}).get("codes", [])
        if fc.ir_error["code"] == "FJ-IR-TYPE-MISMATCH" and any(
            c.startswith("FJ-PRIM-") for c in expected_codes
        ):
            # JAX traced the program and raised later; the reference's type checker already refuses it
            return _result(
                case,
                "pass",
                "error_agrees",
                f"JAX raised {fc.expected_error['jax_exception']}, the reference rejects the program: "  # type: ignore[index]
                f"[{fc.ir_error['code']}] {fc.ir_error['message']}",
                reference_error=fc.ir_error,
            )
        return _result(
            case,
            "error",
            "ir_rejected",
            f"the reference rejects JAX's program: [{fc.ir_error['code']}] {fc.ir_error['message']}",
            reference_error=fc.ir_error,
        )
    try:
        with ledger.using(ledger.Ledger()):
            if fc.closed is None:
                outputs = _probe(fc.probe or {})
            else:
                outputs = dispatch.run(fc.closed, fc.stack, fc.inputs).outputs
    except FJError as exc:
        codes = exc.chain_codes()
        err = {"code": exc.code, "codes": codes, "message": exc.message}
        if fc.expected_error is not None:
            if set(codes) & set(fc.expected_error["codes"]):
                return _result(
                    case,
                    "pass",
                    "error_agrees",
                    f"JAX raised {fc.expected_error['jax_exception']}, the reference [{', '.join(codes)}]",
                    reference_error=err,
                )
            return _result(
                case,
                "fail",
                "wrong_error",
                f"JAX raised {fc.expected_error['jax_exception']} (expect {fc.expected_error['codes']}), "
                f"the reference raised [{', '.join(codes)}] {exc.message}",
                reference_error=err,
            )
        return _result(
            case, "error", "reference_error", f"[{', '.join(codes)}] {exc.message}", reference_error=err
        )
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
        return _result(
            case,
            "error",
            "crash",
            f"{type(exc).__name__}: {exc}{where}",
            reference_error={"code": None, "codes": [], "message": f"{type(exc).__name__}: {exc}"},
        )
    if fc.expected_error is not None:
        return _result(
            case,
            "fail",
            "no_error",
            f"JAX raised {fc.expected_error['jax_exception']}: {fc.expected_error['message']}; "
            "the reference returned normally",
        )
    cmp = compare_outputs(fc.expected_outputs or [], list(outputs), fc.tolerance)
    raw = {"max_ulp": cmp.max_ulp, "max_abs_err": cmp.max_abs_err, "max_rel_err": cmp.max_rel_err}
    stats: dict[str, float | None] = {k: (v if math.isfinite(v) else None) for k, v in raw.items()}
    if cmp.ok:
        return _result(case, "pass", "ok", cmp.message, **stats)
    return _result(case, "fail", cmp.kind, cmp.message, **stats)


def _probe(probe: dict[str, Any]) -> list[Any]:
    """Bind the probed primitive at the probe's avals (JAX rejected them: the reference must too)."""
    import numpy as np

    from frankenjax_ref.api import make_jaxpr
    from frankenjax_ref.core.dtypes import from_name
    from frankenjax_ref.core.params import decode_params
    from frankenjax_ref.core.primitive import lookup

    prim = lookup(probe["primitive"])
    params = decode_params(prim.name, prim.params, probe["params"], "probe.params")
    args = [np.zeros(tuple(o["shape"]), from_name(o["dtype"])) for o in probe["operands"]]
    make_jaxpr(lambda *xs: prim.bind(*xs, **params))(*args)
    return []


def conform_batch(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run a batch of raw case objects through the reference (a task of the executor)."""
    from harness.executor import ensure_ready

    ensure_ready()
    out = []
    for case in cases:
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter(
                    "ignore", RuntimeWarning
                )  # NumPy's overflow/invalid notes on edge values
                result = run_case(case)
        except FJError as exc:  # a case that does not decode (the reader should have caught it)
            result = _result(case, "error", "bad_fixture", f"[{exc.code}] {exc.message}")
        except Exception as exc:
            result = _result(case, "error", "harness_crash", f"{type(exc).__name__}: {exc}")
        result["seconds"] = round(time.perf_counter() - start, 6)
        out.append(result)
    return out


# --- the driver ---------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_conformance(
    fixtures: Sequence[str | Path] | None = None,
    *,
    report_dir: str | Path | None = None,
    junit: str | Path | None = None,
    jobs: int | None = None,
    executor: Any = None,
    known_divergences: str | Path | None = None,
    patterns: Sequence[str] | None = None,
    write: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ParityReport:
    """Read every bundle (typed errors for malformed ones), run every case, write the report files.

    With ``write`` the JSON report, ``parity-report.md`` and (unless
    ``junit`` names another path) ``parity-report.junit.xml`` go to
    ``report_dir`` (default ``artifacts/conformance``).
    """
    from harness.fixtures import read_bundles

    start = time.perf_counter()
    bundles = read_bundles(fixtures)
    cases = [c for b in bundles for c in b.cases]
    if patterns:
        import fnmatch

        globs = [p if any(ch in p for ch in "*?[") else f"{p}*" for p in patterns]
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c["case_id"], g) for g in globs)]
    fixture_info = [
        {
            "path": str(b.path),
            "family": b.family,
            "capture_mode": b.capture_mode,
            "cases": len(b.cases),
            "sha256": _sha256(b.path) if b.path else None,
        }
        for b in bundles
    ]
    return run_cases(
        cases,
        fixture_info=fixture_info,
        report_dir=report_dir,
        junit=junit,
        jobs=jobs,
        executor=executor,
        known_divergences=known_divergences,
        write=write,
        progress=progress,
        started=start,
    )


def run_cases(
    cases: Sequence[dict[str, Any]],
    *,
    fixture_info: list[dict[str, Any]] | None = None,
    report_dir: str | Path | None = None,
    junit: str | Path | None = None,
    jobs: int | None = None,
    executor: Any = None,
    known_divergences: str | Path | None = None,
    write: bool = True,
    progress: Callable[[int, int], None] | None = None,
    started: float | None = None,
) -> ParityReport:
    """Run already-read case objects (``fjh import`` builds them from another format) and report."""
    from harness.compare import load_known_divergences
    from harness.executor import default_jobs, make_executor, run_batched

    start = started if started is not None else time.perf_counter()
    known = load_known_divergences(known_divergences)
    own = executor is None
    n_jobs = default_jobs() if jobs is None else jobs
    ex = executor or make_executor(n_jobs)
    try:
        results = run_batched(
            ex, conform_batch, list(cases), progress=progress, describe=lambda c: c["case_id"]
        )
    finally:
        if own:
            ex.shutdown(wait=True, cancel_futures=True)
    for r in results:
        entry = known.match(r["case_id"])
        r["divergence"] = entry.id if entry else None
        r["still_diverges"] = None
        if entry is not None:
            r["still_diverges"] = r["status"] != "pass"
            r["status"] = "known_divergence"
    seconds = time.perf_counter() - start
    report = build_report(
        results,
        fixture_info or [],
        {"path": known.path, "entries": len(known.entries)},
        seconds,
        n_jobs if executor is None else -1,
    )
    if write:
        report = write_report(report, report_dir, junit)
    return report


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


# --- fjh primitives -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrimitiveRow:
    primitive: str
    family: str
    impl: bool
    abstract_eval: bool
    jvp: bool
    transpose: bool
    batch: bool
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
    from harness.catalog.primitives import EXCLUDED

    path = Path(report_path) if report_path is not None else default_report_dir() / REPORT_NAME
    counts: dict[str, Any] = {}
    used = None
    if report_path is not None or path.exists():
        counts = read_report(path)["primitives"]
        used = str(path)
    rows = []
    for cov in rule_coverage():
        c = counts.get(cov.primitive)
        fam = family_of(cov.primitive)
        rows.append(
            PrimitiveRow(
                cov.primitive,
                fam,
                cov.impl,
                cov.abstract_eval,
                cov.jvp,
                cov.transpose,
                cov.batch,
                c["cases"] if c else (0 if used else None),
                c["pass"] if c else (0 if used else None),
                c["primary_cases"] if c else (0 if used else None),
                c["primary_pass"] if c else (0 if used else None),
                EXCLUDED.get(cov.primitive, ""),
            )
        )
    return PrimitivesTable(rows, used)
