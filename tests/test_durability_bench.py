"""Durability throughput on a 64 MiB artifact, beside hashlib.sha256 in the same run.

Run on purpose: ``pytest -m benchmark -s tests/test_durability_bench.py``
(or ``fjh durability bench``). The scrub of an intact sidecar must reach 70%
of the SHA-256 rate; the other figures are reported, not gated.
"""

from __future__ import annotations

import pytest

from harness.durability.bench import run_benchmark


@pytest.mark.benchmark
@pytest.mark.timeout(900)
def test_scrub_runs_at_seventy_percent_of_sha256() -> None:
    result = run_benchmark(64, repeats=5)
    print(
        f"\n64 MiB, best of 5: sha256 {result.sha256_mib_s} MiB/s, generate {result.generate_mib_s}, "
        f"scrub {result.scrub_mib_s} (ratio {result.scrub_ratio:.2f}), "
        f"repair artifact-lost {result.repair_artifact_mib_s}, "
        f"repair artifact+2-primaries-lost {result.repair_worst_mib_s} MiB/s"
    )
    assert result.scrub_ratio >= 0.70
