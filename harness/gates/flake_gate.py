"""Flake gate: run the suite N times (the profile says N) and fail on any failing run.

With ``include_junit`` (the CI profile), the test run that just happened
(``make test``, read from its JUnit file) counts as the first of the N runs,
so CI runs the suite N - 1 more times rather than N.

Uses :mod:`harness.gates.flakes`; the report and every run's log and JUnit file
are written under ``artifacts/flakes/`` with sidecars. The slowest run it
made is the ``tests`` stage the runtime gate judges (the plain suite, as
people run it).
"""

from __future__ import annotations

from typing import Any

from harness.gates.base import FAIL, PASS, GateContext, GateResult


def run(ctx: GateContext) -> GateResult:
    from harness.gates.flakes import detect_flakes, run_from_junit, write_report
    from harness.paths import relative_to_root

    cfg = ctx.section("flake_gate")
    runs = int(ctx.options.get("flake_runs") or cfg["runs"])
    prior = []
    if cfg.get("include_junit"):
        earlier = run_from_junit(ctx.path(cfg["include_junit"]))
        if earlier is not None:
            prior.append(earlier)
    report = detect_flakes(
        max(runs - len(prior), 0),
        cfg.get("command"),
        cwd=ctx.root,
        timeout_seconds=cfg.get("timeout_seconds"),
        max_flake_rate=float(cfg["max_flake_rate"]),
        prior=prior,
    )
    path = write_report(report)
    own = report.runs[len(prior) :]
    if own:  # the plain suite (`pytest -n 2`), the run the 10-minute budget is about
        ctx.stage_seconds["tests"] = max(r.seconds for r in own)
    details: dict[str, Any] = {
        "report": relative_to_root(path),
        "runs": len(report.runs),
        "passes": report.passes,
        "fails": report.fails,
        "rate": report.rate,
        "max_flake_rate": report.max_flake_rate,
        "flaky_tests": report.flaky_tests,
        "always_failing_tests": report.always_failing_tests[:50],
        "run_seconds": [round(r.seconds, 2) for r in report.runs],
    }
    summary = (
        f"{report.passes}/{len(report.runs)} runs passed, "
        f"flake rate {report.rate:.3f} (max {report.max_flake_rate})"
    )
    if report.flaky_tests:
        summary += f"; flaky: {', '.join(report.flaky_tests[:3])}"
    return GateResult("flakes", PASS if report.ok else FAIL, summary, details)
