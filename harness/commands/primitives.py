"""``fjh primitives``: rules per primitive and the cases covering it (:mod:`.conformance.inventory`)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "primitives",
        help="list every primitive: which rules exist, how many cases cover it and pass",
        description="Rules come from the reference's registry (rule_coverage()); case counts from the latest "
        "parity report (artifacts/conformance/parity-report.v1.json) when there is one. 'cases' counts every "
        "case whose program uses the primitive; 'primary' the per-primitive cases.",
    )
    parser.add_argument("--report", metavar="FILE", help="the parity report to read (default: the latest)")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from frankenjax_ref.primitives import RULE_TABLES
    from harness.conformance.inventory import primitives_table
    from harness.render import print_json, table

    result = primitives_table(args.report)
    if args.json:
        print_json(result)
        return 0

    def yn(b: bool) -> str:
        return "yes" if b else "-"

    def n(v: int | None) -> str:
        return "?" if v is None else str(v)

    print(
        table(
            [
                "primitive",
                "family",
                *RULE_TABLES,
                "cases",
                "pass",
                "primary",
                "primary pass",
                "note",
            ],
            [
                [
                    r.primitive,
                    r.family,
                    *(yn(r.rules[t]) for t in RULE_TABLES),
                    n(r.cases),
                    n(r.passing),
                    n(r.primary_cases),
                    n(r.primary_pass),
                    r.note[:60],
                ]
                for r in result.rows
            ],
        )
    )
    print(
        f"case counts from {result.report}"
        if result.report
        else "no parity report yet: run 'fjh conformance'"
    )
    return 0
