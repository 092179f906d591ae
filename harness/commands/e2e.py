"""``fjh e2e [--list] [--scenario ID]... [--packet P]...``: run end-to-end scenarios, write forensic logs."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "e2e",
        help="run end-to-end scenarios (all, by --packet, or by --scenario); write forensic logs",
        description="Each scenario writes artifacts/e2e/<scenario>.e2e.json (frankenjax.e2e-forensic-log.v1, "
        "with a durability sidecar); replay one with `fjh replay LOG`. Exit 0 when every selected scenario "
        "passes, 1 when any fails, errors or times out, 2 on bad input.",
    )
    parser.add_argument("--list", action="store_true", help="list the registered scenarios and exit")
    parser.add_argument("--scenario", action="append", default=[], metavar="ID", help="run this scenario")
    parser.add_argument(
        "--packet",
        action="append",
        default=[],
        metavar="P",
        help="run every scenario of a packet (P2C-001, p2c001 and P2C_001 are the same)",
    )
    parser.add_argument("--log-dir", metavar="DIR", help="write logs here (default artifacts/e2e)")
    parser.add_argument(
        "--fixtures", metavar="DIR", help="read fixture bundles from here (default fixtures/)"
    )
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
    from pathlib import Path

    from harness.e2e import RunOptions, run_scenario, select
    from harness.render import print_json, table

    chosen = select(args.scenario, args.packet)
    if args.list:
        if args.json:
            print_json([s.to_json() for s in chosen])
        else:
            print(
                table(
                    ["scenario", "packet", "steps", "description"],
                    [(s.id, s.packet, len(s.steps), _clip(s.description, 70)) for s in chosen],
                )
            )
        return 0
    command = "fjh " + " ".join(sys.argv[1:]) if sys.argv[1:2] == ["e2e"] else None
    options = RunOptions(
        log_dir=Path(args.log_dir) if args.log_dir else None,
        fixtures_dir=Path(args.fixtures) if args.fixtures else None,
        command=command,
        jobs=args.jobs,
    )
    results = []
    for scenario in chosen:
        if not args.json:
            print(f"running {scenario.id} ...", file=sys.stderr, flush=True)
        results.append(run_scenario(scenario, options))
    ok = all(r.status == "pass" for r in results)
    if args.json:
        print_json(
            {
                "ok": ok,
                "results": [
                    {
                        "scenario": r.scenario_id,
                        "packet": r.packet,
                        "status": r.status,
                        "seconds": round(r.seconds, 3),
                        "log": r.log,
                        "failure_summary": r.failure_summary,
                    }
                    for r in results
                ],
            }
        )
        return 0 if ok else 1
    rows = [(r.scenario_id, r.packet, r.status.upper(), f"{r.seconds:.2f}s", r.log or "-") for r in results]
    print(table(["scenario", "packet", "status", "time", "log"], rows))
    for r in results:
        if r.status != "pass":
            print(f"\n{r.status.upper()} {r.scenario_id}: {r.failure_summary}")
    passed = sum(r.status == "pass" for r in results)
    print(f"\n{passed}/{len(results)} scenarios passed")
    return 0 if ok else 1


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
