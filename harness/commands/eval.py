"""``fjh eval FILE --args ARGS.json``: run a program with the reference, print its outputs."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="evaluate a frankenjax.ir.v1 program on arguments with the reference",
        description='Prints {"outputs": [ARRAY, ...]} in the frankenjax.array.v1 encoding. '
        'ARGS.json is {"schema": "frankenjax.args.v1", "args": [ARRAY, ...]}.',
    )
    parser.add_argument("file", help="a frankenjax.ir.v1 JSON file")
    parser.add_argument("--args", required=True, metavar="ARGS.json", help="a frankenjax.args.v1 file")
    parser.add_argument(
        "--transform",
        metavar="STACK",
        help="a transform stack, outermost first: 'vmap(grad)', 'jit,vmap,grad', or a JSON list "
        '[{"transform": "vmap", "params": {"in_axes": 1}}, ...]; prints the proof and cache key too',
    )
    parser.add_argument("--mode", choices=["strict", "hardened"], default="strict", help="cache-key mode")
    parser.add_argument(
        "--unknown-feature",
        action="append",
        default=[],
        metavar="NAME",
        help="declare an unknown compile feature (strict rejects it, hardened records it)",
    )
    parser.set_defaults(run=_eval)


def _eval(args: argparse.Namespace) -> int:
    from harness.evaluate import run_program
    from harness.render import print_json

    result = run_program(
        args.file,
        args.args,
        transform=args.transform,
        mode=args.mode,
        unknown_features=tuple(args.unknown_feature),
    )
    print_json(result.outputs_json())
    return 0
