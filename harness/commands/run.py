"""``fjh run``: the main job — capture from JAX, conformance, durability, then a summary."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "run", help="the main job: capture (strict) -> conformance -> durability -> summary"
    )
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: number of cores)")
    parser.add_argument("--quick", action="store_true", help="a small slice of the catalog (smoke run)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--verbose", action="store_true", help="print each step's detail (e.g. the demo IR)")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from harness.mainjob import JobOptions, run_job, summary_document, write_summary
    from harness.render import print_json, table

    result = run_job(JobOptions(jobs=args.jobs, quick=args.quick))
    path = write_summary(result)
    if args.json:
        print_json(summary_document(result))
        return 0 if result.ok else 1
    for step in result.steps:
        if (args.verbose or step.status != "pass") and step.detail:
            print(f"--- {step.name} ---\n{step.detail}\n")
    rows = [
        (s.name, s.status.upper(), f"{s.seconds:.1f}s", ", ".join(f"{k}={v}" for k, v in s.figures.items()))
        for s in result.steps
    ]
    print(table(["step", "status", "time", "figures"], rows))
    print(f"\n{'OK' if result.ok else 'FAILED'}: summary written to {path}")
    return 0 if result.ok else 1
