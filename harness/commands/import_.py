"""``fjh import --format frankenjax-v1 FILE``: run the Rust format's cases (:mod:`.conformance.interop`)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import",
        help="run a fixture file of another format through the conformance runner",
        description="Reads a frankenjax.transform-fixtures.v1 file (the Rust FrankenJAX's format). Its "
        "programs are names, so only the seed programs (add2, square, square_plus_linear, sin_x, cos_x, "
        "add_one, dot3, reduce_sum_vec) can run; the others are listed as unsupported. Exit 0 when every "
        "supported case passes.",
    )
    parser.add_argument("file", help="the file to import")
    parser.add_argument("--format", required=True, choices=["frankenjax-v1"], help="the file's format")
    parser.add_argument("--report-dir", metavar="DIR", help="also write a parity report there")
    parser.add_argument("--junit", metavar="FILE", help="JUnit XML path (with --report-dir)")
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="worker processes (default: the number of CPUs)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from harness.conformance.interop import import_v1
    from harness.render import print_json

    result = import_v1(args.file, report_dir=args.report_dir, junit=args.junit, jobs=args.jobs)
    report = result.report
    if args.json:
        print_json(
            {
                "path": result.path,
                "cases": result.cases,
                "run": result.run,
                "unsupported": result.unsupported,
                "totals": report.totals if report else None,
                "failures": report.failures() if report else [],
                "files": result.files,
                "ok": result.ok,
            }
        )
        return 0 if result.ok else 1
    print(
        f"{result.path}: {result.cases} cases ({result.capture_mode}), {result.run} run, "
        f"{len(result.unsupported)} unsupported"
    )
    if report is not None:
        t = report.totals
        print(
            f"{t['pass']} pass, {t['fail']} fail, {t['error']} error, "
            f"{t['known_divergence']} known divergence"
        )
        for r in report.failures()[:25]:
            print(f"  {r['status']} {r['kind']}: {r['case_id']}: {r['message'][:160]}")
    reasons: dict[str, int] = {}
    for u in result.unsupported:
        reasons[u.reason] = reasons.get(u.reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        print(f"  unsupported ({count}): {reason}")
    for kind, path in result.files.items():
        print(f"wrote {kind}: {path}")
    return 0 if result.ok else 1
