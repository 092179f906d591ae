"""``fjh export --format frankenjax-v1``: write the Rust FrankenJAX format (:mod:`.conformance.interop`)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export the expressible fixture cases in another format",
        description="Writes every case of the bundles that the Rust FrankenJAX's "
        "frankenjax.transform-fixtures.v1 format can express (seed programs, jit/grad/vmap stacks, "
        "float64/int64 values), and counts the rest by reason.",
    )
    parser.add_argument("--format", required=True, choices=["frankenjax-v1"], help="the target format")
    parser.add_argument("--output", required=True, metavar="FILE", help="the file to write")
    parser.add_argument("--fixtures", metavar="PATH", nargs="+", help="bundles to read (default: fixtures/)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from harness.conformance.interop import export_v1
    from harness.render import print_json

    result = export_v1(args.output, args.fixtures)
    if args.json:
        print_json(result)
        return 0
    print(f"exported {result.exported} of {result.considered} cases to {result.path}")
    for reason, count in result.skipped.items():
        print(f"  not expressible ({count}): {reason}")
    return 0
