"""``fjh``: the thin command-line layer.

Each subcommand parses arguments, calls one library function that returns a
typed result, and renders it (a table for people, ``--json`` for machines).
Exit codes are the contract scripts rely on:

* ``0`` — the command did what it was asked and every check passed;
* ``1`` — the command ran but a check failed (a parity regression, damage
  found by a scrub, a failing gate);
* ``2`` — bad input: usage errors and every typed ``FJError``, whose stable
  code is printed on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from harness import __version__

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_SIGPIPE = 141


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors carry the taxonomy's code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: [FJ-CLI-USAGE] {message}\n")


def command_modules() -> list[str]:
    import harness.commands as pkg

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fjh",
        description="FrankenJAX harness: capture from JAX, conformance, fuzzing, durability, gates.",
    )
    parser.add_argument("--version", action="version", version=f"fjh {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in command_modules():
        importlib.import_module(f"harness.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "run", None)
    if handler is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    from frankenjax_ref.errors import FJError

    try:
        return int(handler(args))
    except FJError as exc:
        print(f"fjh {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("fjh: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """The reader of our output closed it (``fjh primitives | head``): stop quietly, as Unix tools do.

    Python would otherwise print a traceback, and again when it flushes stdout at exit; pointing
    stdout at /dev/null first makes that final flush harmless. 141 is the shell's status for SIGPIPE.
    """
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_SIGPIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
