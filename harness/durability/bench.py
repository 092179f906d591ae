"""Throughput of generate, scrub and repair, beside SHA-256 measured in the same run.

A scrub has to read every byte of the artifact and of every share; the
figure that matters is how close it gets to a single ``hashlib.sha256``
pass over the artifact (the target is 70% or more). Every figure is the
best of ``repeats`` interleaved rounds, to damp noise from other work on the
machine, and is in MiB of *artifact* per second.

A scrub verifies 1 + m/k times the artifact's bytes; it can only approach
the SHA-256 rate by hashing on several cores at once, so the ratio drops on a
machine whose cores are busy with other work.
"""

from __future__ import annotations

import hashlib
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.durability.codec import DEFAULT_CODEC, DEFAULT_K, DEFAULT_M
from harness.durability.repair import repair
from harness.durability.scrub import scrub
from harness.durability.sidecar import generate_sidecar, share_name, sidecar_dir


@dataclass(frozen=True)
class BenchmarkResult:
    size_mib: int
    repeats: int
    k: int
    m: int
    codec: str
    cpu_count: int
    python: str
    sha256_mib_s: float
    generate_mib_s: float
    scrub_mib_s: float
    repair_artifact_mib_s: float
    repair_worst_mib_s: float

    @property
    def scrub_ratio(self) -> float:
        return self.scrub_mib_s / self.sha256_mib_s


def _timed(prepare: Callable[[], None], run: Callable[[], object]) -> float:
    prepare()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def run_benchmark(
    size_mib: int = 64,
    *,
    repeats: int = 5,
    k: int = DEFAULT_K,
    m: int = DEFAULT_M,
    codec: str = DEFAULT_CODEC,
    workdir: str | os.PathLike[str] | None = None,
) -> BenchmarkResult:
    """Measure on a ``size_mib`` artifact of pseudo-random bytes (seeded)."""
    data = random.Random(0).randbytes(size_mib << 20)
    with tempfile.TemporaryDirectory(prefix="fjh-bench-", dir=workdir) as tmp:
        artifact = Path(tmp) / "artifact.bin"
        artifact.write_bytes(data)
        shares = sidecar_dir(artifact)

        def nothing() -> None:
            return None

        def lose_artifact() -> None:
            artifact.unlink(missing_ok=True)

        def lose_artifact_and_primaries() -> None:
            artifact.unlink(missing_ok=True)
            for index in range(min(2, m - k)):
                (shares / share_name(index)).unlink(missing_ok=True)

        # Rounds interleave every operation, and each figure is its best
        # round: a burst of other load on the machine then hits SHA-256 and
        # scrub alike instead of whichever happened to run during it.
        steps: dict[str, tuple[Callable[[], None], Callable[[], object]]] = {
            "sha": (nothing, lambda: hashlib.sha256(data).digest()),
            "generate": (nothing, lambda: generate_sidecar(artifact, k=k, m=m, codec=codec, force=True)),
            "scrub": (nothing, lambda: _expect(scrub(artifact).ok)),
            "repair": (lose_artifact, lambda: _expect(repair(artifact).ok)),
            "worst": (lose_artifact_and_primaries, lambda: _expect(repair(artifact).ok)),
        }
        best = dict.fromkeys(steps, float("inf"))
        for _ in range(repeats):
            for name, (prepare, run) in steps.items():
                best[name] = min(best[name], _timed(prepare, run))
        sha, gen, scr, rep, worst = (best[name] for name in steps)
        if artifact.read_bytes() != data:
            raise AssertionError("benchmark repair produced different bytes")
    mib = float(size_mib)
    return BenchmarkResult(
        size_mib=size_mib,
        repeats=repeats,
        k=k,
        m=m,
        codec=codec,
        cpu_count=os.cpu_count() or 1,
        python=platform.python_version(),
        sha256_mib_s=round(mib / sha, 1),
        generate_mib_s=round(mib / gen, 1),
        scrub_mib_s=round(mib / scr, 1),
        repair_artifact_mib_s=round(mib / rep, 1),
        repair_worst_mib_s=round(mib / worst, 1),
    )


def _expect(ok: bool) -> None:
    if not ok:
        raise AssertionError("benchmark step did not end intact")
