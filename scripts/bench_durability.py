#!/usr/bin/env python3
"""Durability throughput (generate / scrub / repair vs sha256): ``fjh durability bench``.

Usage: scripts/bench_durability.py [--size-mib 64] [--repeats 3] [--json]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.cli import main

sys.exit(main(["durability", "bench", *sys.argv[1:]]))
