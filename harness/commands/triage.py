"""``fjh triage crash-<hash> [--target T]``, ``fjh triage --all``, ``--list``, ``--gate``.

Triage reproduces a fuzzing finding in a subprocess, minimizes it, classifies
it (P0 invariant violation; P1 uncaught exception, hang or death; P2 clean
but slow), stores original and minimized input with durability sidecars and
upserts the crash index (see :mod:`harness.fuzz.triage`). Exit 0 when triage ran
(whatever it found), 2 on bad input. ``--gate`` evaluates the crash gate
(:mod:`harness.fuzz.crashgate`): exit 1 when it fails.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "triage",
        help="reproduce, minimize, classify and index a fuzzing finding; the crash gate",
        description="Triage corpus/crashes/<target>/crash-<sha1> (or a file path): reproduce it in a "
        "subprocess with a timeout, minimize it, classify it (P0 invariant violation; P1 uncaught "
        "exception, hang; P2 clean but slow), store it with durability sidecars and upsert "
        "corpus/crashes/index.v1.jsonl. Running it twice changes nothing.",
    )
    parser.add_argument("crash", nargs="?", help="crash-<sha1>, a bare hash or unique prefix, or a file path")
    parser.add_argument(
        "--target", help="fuzz target (needed when the name is ambiguous or the file is elsewhere)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--all",
        action="store_true",
        help="re-triage every indexed finding (of --target), each with its recorded timeout "
        "and slow threshold",
    )
    mode.add_argument("--list", action="store_true", help="show the crash index")
    mode.add_argument("--gate", action="store_true", help="run the crash gate (exit 1 when it fails)")
    parser.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="reproduction timeout (default 30)"
    )
    parser.add_argument(
        "--slow-seconds",
        type=float,
        default=None,
        metavar="S",
        help="P2 threshold for clean results (default 2)",
    )
    parser.add_argument("--no-minimize", action="store_true", help="skip minimization")
    parser.add_argument(
        "--minimize-budget",
        type=float,
        default=None,
        metavar="S",
        help="minimization time budget (default 300)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from harness.errors import UsageError

    if args.gate:
        return _gate(args)
    if args.list:
        return _list(args)
    if args.all:
        if args.crash:
            raise UsageError("FJ-CLI-USAGE", "--all takes no crash name")
        return _triage_all(args)
    if not args.crash:
        raise UsageError("FJ-CLI-USAGE", "give a crash name (crash-<sha1>) or path, or --all/--list/--gate")
    from harness.fuzz.triage import triage
    from harness.render import print_json

    result = triage(args.crash, target=args.target, **_options(args))
    if args.json:
        print_json(
            {
                "changed": result.changed,
                "entry": result.entry,
                "sidecars": result.sidecars,
                "minimized_candidates": result.minimized_candidates,
            }
        )
    else:
        _show(result)
    return 0


def _options(args: argparse.Namespace) -> dict[str, Any]:
    from harness.fuzz.triage import DEFAULT_MINIMIZE_BUDGET_S, DEFAULT_SLOW_S, DEFAULT_TIMEOUT_S

    return {
        "timeout": DEFAULT_TIMEOUT_S if args.timeout is None else args.timeout,
        "slow_seconds": DEFAULT_SLOW_S if args.slow_seconds is None else args.slow_seconds,
        "minimize": not args.no_minimize,
        "minimize_budget": DEFAULT_MINIMIZE_BUDGET_S
        if args.minimize_budget is None
        else args.minimize_budget,
    }


def _show(result: Any) -> None:
    e = result.entry
    print(
        f"{e['id']}  {e['severity'] or '-'}  {e['status']}  ({'updated' if result.changed else 'unchanged'})"
    )
    print(f"  sha256   {e['sha256']}  ({e['size']} bytes)")
    print(f"  reason   {e['reason']}")
    if e["last_outcome"]["note"] != e["reason"]:
        print(f"  now      {e['last_outcome']['note']}")
    if e["paths"]["minimized"]:
        how = "reused" if result.minimized_reused else f"{result.minimized_candidates} candidates"
        print(f"  minimized {e['paths']['minimized']} ({e['minimized_size']} bytes, {how})")
    print(f"  original {e['paths']['original']}")
    print(f"  repro    {e['repro']}")


def _triage_all(args: argparse.Namespace) -> int:
    from harness.fuzz.triage import triage_all
    from harness.render import print_json, table

    options = _options(args)
    options["timeout"], options["slow_seconds"] = args.timeout, args.slow_seconds  # None: as recorded
    results = triage_all(args.target, **options)
    if args.json:
        print_json([{"changed": r.changed, "entry": r.entry} for r in results])
    else:
        rows = [
            (r.entry["id"], r.entry["severity"] or "-", r.entry["status"], "updated" if r.changed else "")
            for r in results
        ]
        print(table(["id", "severity", "status", ""], rows) if rows else "the crash index is empty")
    return 0


def _list(args: argparse.Namespace) -> int:
    from harness.fuzz.triage import read_index
    from harness.render import print_json, table

    entries = [e for e in read_index() if args.target is None or e["target"] == args.target]
    if args.json:
        print_json(entries)
        return 0
    rows = [(e["id"], e["severity"] or "-", e["status"], e["kind"] or "-", e["reason"][:70]) for e in entries]
    print(table(["id", "severity", "status", "kind", "reason"], rows) if rows else "the crash index is empty")
    return 0


def _gate(args: argparse.Namespace) -> int:
    from harness.fuzz.crashgate import crash_gate
    from harness.render import print_json

    result = crash_gate()
    if args.json:
        print_json(result)
    else:
        counts = ", ".join(f"{k} {v}" for k, v in result.counts.items()) or "no entries"
        print(f"crash gate: {'PASS' if result.ok else 'FAIL'} ({result.entries} indexed: {counts})")
        for failure in result.failures:
            print(f"  {failure}")
        for stale in result.stale_known:
            print(f"  note: known_p0 lists {stale}, which is not in the index")
    return 0 if result.ok else 1
