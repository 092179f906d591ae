"""``fjh conformance``: run fixture bundles through the reference (see :mod:`harness.conformance.runner`)."""

from __future__ import annotations

import argparse
from typing import Any

from harness.commands._parallel import add_parallel_arguments, parallel_session


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "conformance",
        help="run fixture bundles through the reference and write a parity report",
        description="Runs every case of the bundles through the reference under its transform stack and "
        "compares with JAX's outputs under the tolerance policy. Writes parity-report.v1.json "
        "(frankenjax.parity-report.v1), parity-report.md and JUnit XML. Exit 0 only when every case passes "
        "or is a known divergence; 1 otherwise; 2 for bad input (a malformed bundle).",
    )
    parser.add_argument(
        "--fixtures", metavar="PATH", nargs="+", help="bundle files or directories (default: fixtures/)"
    )
    parser.add_argument(
        "--report-dir", metavar="DIR", help="where to write the reports (default: artifacts/conformance)"
    )
    parser.add_argument(
        "--junit", metavar="FILE", help="JUnit XML path (default: <report-dir>/parity-report.junit.xml)"
    )
    add_parallel_arguments(
        parser,
        only_help="run only matching case ids (repeatable)",
        known_divergences_help="the reviewed list (default: ci/known_divergences.v1.json)",
        json_help="print the totals as JSON",
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from harness.conformance.runner import run_conformance
    from harness.render import print_json, table

    with parallel_session("conformance", args) as (executor, progress):
        report = run_conformance(
            args.fixtures,
            report_dir=args.report_dir,
            junit=args.junit,
            jobs=args.jobs,
            executor=executor,
            known_divergences=args.known_divergences,
            patterns=args.only,
            progress=progress,
        )
    if args.json:
        print_json(
            {
                "totals": report.totals,
                "families": report.families,
                "timing": report.timing,
                "files": report.files,
                "ok": report.ok,
            }
        )
        return 0 if report.ok else 1
    t = report.totals
    print(
        f"{t['cases']} cases: {t['pass']} pass, {t['fail']} fail, {t['error']} error, "
        f"{t['known_divergence']} known divergence — pass rate {t['pass_rate']:.2%} "
        f"({report.timing['seconds']} s, {report.timing['cases_per_second']} cases/s)"
    )
    print(
        table(
            ["family", "cases", "pass", "fail", "error", "known"],
            [
                [f, r["cases"], r["pass"], r["fail"], r["error"], r["known_divergence"]]
                for f, r in report.families.items()
            ],
        )
    )
    failures = report.failures()
    for r in failures[:25]:
        print(f"  {r['status']} {r['kind']}: {r['case_id']}: {r['message'][:160]}")
    if len(failures) > 25:
        print(f"  ... {len(failures) - 25} more in {report.files.get('markdown')}")
    for kind, path in report.files.items():
        print(f"wrote {kind}: {path}")
    return 0 if report.ok else 1
