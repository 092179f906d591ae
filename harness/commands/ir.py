"""``fjh ir check FILE`` and ``fjh ir print FILE``: validate and show a frankenjax.ir.v1 program."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("ir", help="check or print a frankenjax.ir.v1 program")
    sub = parser.add_subparsers(dest="ir_command", metavar="ACTION", required=True)

    check = sub.add_parser(
        "check",
        help="load, type-check and fingerprint a program",
        description="Prints 'ok <fingerprint> <n> equations, (<in avals>) -> (<out avals>)'; "
        "exit 2 with the error code on stderr when the program is malformed or ill-typed.",
    )
    check.add_argument("file", help="a frankenjax.ir.v1 JSON file")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.set_defaults(run=_check)

    show = sub.add_parser("print", help="print a program the way jax.make_jaxpr does")
    show.add_argument("file", help="a frankenjax.ir.v1 JSON file")
    show.set_defaults(run=_print)


def _check(args: argparse.Namespace) -> int:
    from harness.evaluate import check_program
    from harness.render import print_json

    result = check_program(args.file)
    if args.json:
        print_json(result)
    else:
        print(result.summary())
    return 0


def _print(args: argparse.Namespace) -> int:
    from harness.evaluate import print_program

    text = print_program(args.file)
    # names and params may hold lone surrogates from JSON escapes: print them escaped
    print(text.encode("utf-8", "backslashreplace").decode("utf-8"))
    return 0
