"""``fjh ledger verify FILE [--head HASH]``: check a decision ledger's hash chain."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser("ledger", help="inspect and verify decision ledgers (JSONL exports)")
    actions = parser.add_subparsers(dest="ledger_command", metavar="ACTION", required=True)
    verify = actions.add_parser("verify", help="verify the hash chain of a ledger export")
    verify.add_argument("file", help="a ledger exported as JSONL")
    verify.add_argument("--head", help="the expected head hash (a receipt kept elsewhere)")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.set_defaults(run=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from frankenjax_ref.errors import LedgerError
    from frankenjax_ref.ledger import Ledger
    from harness.errors import ArtifactIOError
    from harness.render import print_json

    try:
        with open(args.file, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise ArtifactIOError("FJ-IO-NOT-FOUND", "ledger file does not exist", where=args.file) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ArtifactIOError("FJ-IO-READ", f"cannot read ledger: {exc}", where=args.file) from None
    try:
        ledger = Ledger.from_jsonl(text)
        count = ledger.verify(expected_head=args.head)
    except LedgerError as exc:
        if exc.code != "FJ-LEDGER-TAMPERED":
            raise
        print(f"fjh ledger verify: FAILED {exc}", file=sys.stderr)
        if args.json:
            print_json({"ok": False, "error": exc.to_json()})
        return 1
    if args.json:
        print_json({"ok": True, "records": count, "head": ledger.head})
    else:
        print(f"ok {count} records, head {ledger.head}")
    return 0
