"""``fjh gates [--profile ci|full] [--only G] [--skip-G]``: run the CI quality gates in a fixed order."""

from __future__ import annotations

import argparse
import sys
from typing import Any

GATES = ("coverage", "flakes", "crash", "schema", "durability", "performance", "runtime")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "gates",
        help="run the quality gates (coverage, flakes, crash, schema, durability, performance, runtime)",
        description="Gates run in a fixed order, each timed, against ci/reliability_budgets.v1.json with the "
        "chosen profile's overrides; the report goes to artifacts/ci/gates.v1.json. Exit 0 when every "
        "enabled gate passes, 1 when any fails or errors, 2 on bad input (unknown gate or profile, "
        "invalid budgets).",
    )
    parser.add_argument(
        "--profile", default="full", help="budget profile: ci (sized for CI) or full (default)"
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=GATES,
        metavar="GATE",
        help=f"run only this gate (repeatable); one of {', '.join(GATES)}",
    )
    for gate in GATES:
        parser.add_argument(f"--skip-{gate}", action="store_true", help=f"skip the {gate} gate")
    parser.add_argument("--skip-flake", action="store_true", dest="skip_flakes", help=argparse.SUPPRESS)
    parser.add_argument(
        "--flake-runs", type=int, metavar="N", help="override the profile's number of flake runs"
    )
    parser.add_argument(
        "--coverage-data", metavar="FILE", help="coverage.py data file (default: from budgets)"
    )
    parser.add_argument(
        "--budgets", metavar="FILE", help="budgets file (default ci/reliability_budgets.v1.json)"
    )
    parser.add_argument(
        "--report", metavar="FILE", help="where to write the report (default artifacts/ci/gates.v1.json)"
    )
    parser.add_argument(
        "--update-perf-baseline",
        action="store_true",
        help="performance gate: measure and save a new baseline instead of judging",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from harness.errors import UsageError
    from harness.gates import GateResult, GatesOptions, run_gates, write_report
    from harness.render import print_json, table

    if args.flake_runs is not None and args.flake_runs < 1:
        raise UsageError("FJ-CLI-USAGE", f"--flake-runs must be at least 1, not {args.flake_runs}")
    skip = {g for g in GATES if getattr(args, f"skip_{g}")}

    def progress(result: GateResult) -> None:
        if not args.json and result.status != "skipped":
            print(f"gate {result.name}: {result.status} ({result.seconds:.1f}s)", file=sys.stderr, flush=True)

    report = run_gates(
        GatesOptions(
            profile=args.profile,
            only=set(args.only),
            skip=skip,
            budgets_path=Path(args.budgets) if args.budgets else None,
            extra={
                "flake_runs": args.flake_runs,
                "coverage_data": args.coverage_data,
                "update_perf_baseline": args.update_perf_baseline,
            },
            on_result=progress,
        )
    )
    path = write_report(report, Path(args.report) if args.report else None)
    if args.json:
        print_json(report.to_json())
        return 0 if report.ok else 1
    rows = [(r.name, r.status.upper(), f"{r.seconds:.1f}s", _clip(r.summary, 96)) for r in report.results]
    print(table(["gate", "status", "time", "summary"], rows))
    verdict = "PASSED" if report.ok else "FAILED"
    print(f"\n{verdict}: profile {report.profile}, {report.seconds:.1f}s; report {path}")
    return 0 if report.ok else 1


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."
