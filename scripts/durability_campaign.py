#!/usr/bin/env python3
"""Run the durability fault-injection campaign and print the merged counts.

Usage: scripts/durability_campaign.py [--trials 10000] [--codec zfec|raptorq|all] [--workers 2] [--out DIR]

Runs ``pytest -m campaign tests/test_durability_faults.py`` (Hypothesis,
4 shards per codec over ``--workers`` processes) with the trial count (per
codec) and output directory in the environment, then merges the per-shard
counts of each codec.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--codec", choices=("zfec", "raptorq", "all"), default="all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", help="directory for per-shard counts (default: a temp dir)")
    args = parser.parse_args()
    out = Path(args.out or tempfile.mkdtemp(prefix="fjh-fault-campaign-"))
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("shard-*.json"):
        old.unlink()
    env = {**os.environ, "FJH_FAULT_CAMPAIGN_TRIALS": str(args.trials), "FJH_FAULT_CAMPAIGN_OUT": str(out)}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-m",
        "campaign",
        "-n",
        str(args.workers),
        "-p",
        "no:cacheprovider",
        "tests/test_durability_faults.py",
        "-k",
        "fault_campaign" if args.codec == "all" else f"fault_campaign and {args.codec}",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, check=False)
    elapsed = time.perf_counter() - started
    totals: dict[str, Counter[str]] = {}
    for shard in sorted(out.glob("shard-*.json")):
        codec = shard.name.split("-")[1]
        totals.setdefault(codec, Counter()).update(json.loads(shard.read_text()))
    print(
        json.dumps(
            {
                "elapsed_seconds": round(elapsed, 1),
                "pytest_exit": done.returncode,
                "counts": {codec: dict(sorted(c.items())) for codec, c in sorted(totals.items())},
            },
            indent=1,
        )
    )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
