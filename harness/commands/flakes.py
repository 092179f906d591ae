"""``fjh flakes --runs N [--command CMD]``: run the test command N times and report flaky tests."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "flakes",
        help="run the test command N times; report pass/fail per run and tests that both passed and failed",
        description="Writes artifacts/flakes/flake-report.v1.json (frankenjax.flake-report.v1) and one log "
        "and JUnit file per run under artifacts/flakes/runs/, each with a durability sidecar. Exit 0 when "
        "the suite flake rate (failed runs / runs) is within --max-rate, else 1.",
    )
    parser.add_argument("--runs", type=int, default=10, help="how many times to run the command (default 10)")
    parser.add_argument(
        "--command",
        metavar="CMD",
        help="the test command as one shell-quoted string (default: python -m pytest -n 2 -q "
        "-p no:cacheprovider); {python} is this interpreter, {junit} the run's JUnit path "
        "(added automatically for pytest)",
    )
    parser.add_argument("--max-rate", type=float, default=0.0, help="allowed suite flake rate (default 0.0)")
    parser.add_argument("--timeout", type=float, default=None, metavar="S", help="kill a run after S seconds")
    parser.add_argument(
        "--out", metavar="DIR", help="where to write the report and run logs (default artifacts/flakes)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from harness.errors import UsageError
    from harness.gates.flakes import FlakeRun, detect_flakes, write_report
    from harness.render import print_json, table

    if not 0.0 <= args.max_rate <= 1.0:
        raise UsageError("FJ-CLI-USAGE", f"--max-rate must be within [0, 1], not {args.max_rate}")
    command = shlex.split(args.command) if args.command else None

    def progress(run: FlakeRun) -> None:
        if not args.json:
            state = "pass" if run.passed else f"FAIL (exit {run.exit_code})"
            print(f"run {run.index}/{args.runs}: {state} in {run.seconds:.1f}s", file=sys.stderr, flush=True)

    out = Path(args.out) if args.out else None
    report = detect_flakes(
        args.runs,
        command,
        out_dir=out,
        timeout_seconds=args.timeout,
        max_flake_rate=args.max_rate,
        on_run=progress,
    )
    path = write_report(report, out / "flake-report.v1.json" if out else None)
    if args.json:
        print_json(report.to_json())
        return 0 if report.ok else 1
    rows = [
        (r.index, "PASS" if r.passed else "FAIL", r.exit_code, f"{r.seconds:.1f}s", r.log)
        for r in report.runs
    ]
    print(table(["run", "status", "exit", "time", "log"], rows))
    print(
        f"\nruns {len(report.runs)}, passes {report.passes}, fails {report.fails}, "
        f"flake rate {report.rate:.3f} (budget {report.max_flake_rate})"
    )
    if report.flaky_tests:
        print("flaky tests (passed and failed):")
        for name in report.flaky_tests:
            print(f"  {name}")
    if report.always_failing_tests:
        print(f"failing in every run that ran them: {len(report.always_failing_tests)}")
        for name in report.always_failing_tests[:20]:
            print(f"  {name}")
    print(f"{'OK' if report.ok else 'FAILED'}: report written to {path}")
    return 0 if report.ok else 1
