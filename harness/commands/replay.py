"""``fjh replay LOG``: re-execute a scenario from its forensic log and verify the same outputs."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "replay",
        help="re-run a scenario from its forensic log; exit 1 with a diff if any output differs",
        description="Runs the logged scenario's steps on the inputs recorded in LOG (never fresh ones) "
        "and compares every actual value with the log under its recorded tolerance (exact = bit for bit). "
        "Exit 0: reproduced; 1: a difference (printed as a diff); 2: the log is unreadable, invalid, "
        "damaged or names an unknown scenario.",
    )
    parser.add_argument("log", nargs="+", help="a forensic log (artifacts/e2e/<scenario>.e2e.json)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes for scenarios that fan out cases (default: CPUs; 0: in this process)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from harness.e2e import RunOptions, replay
    from harness.render import print_json

    options = RunOptions(write_logs=False, jobs=args.jobs)
    results = [replay(path, options) for path in args.log]
    ok = all(r.ok for r in results)
    if args.json:
        print_json({"ok": ok, "results": [r.to_json() for r in results]})
        return 0 if ok else 1
    for r in results:
        if r.ok:
            print(
                f"REPRODUCED {r.scenario_id}: {r.compared_keys} outputs identical under the logged "
                f"tolerances, "
                f"status {r.replay_status} as logged ({r.seconds:.2f}s)"
            )
            continue
        print(
            f"DIFFERS {r.scenario_id}: {len(r.differences)} difference(s) "
            f"(logged status {r.logged_status}, replay status {r.replay_status})"
        )
        for d in r.differences:
            print(f"--- logged   {d.path}: {d.expected}")
            print(f"+++ replayed {d.path}: {d.actual}")
            print(f"    {d.reason}")
        if r.replay_failure:
            print(f"replay failure: {r.replay_failure}")
    return 0 if ok else 1
