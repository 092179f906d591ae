"""Throughput of generate, scrub and repair, beside SHA-256 measured in the same run.

A scrub has to read every byte of the artifact and of every share; the
figure that matters is how close it gets to a single ``hashlib.sha256``
pass over the artifact (the target is 70% or more). Every figure is the
best of ``repeats`` runs, to damp noise from other work on the machine,
and is in MiB of *artifact* per second.
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

from harness.durability.codec import DEFAULT_K, DEFAULT_M
from harness.durability.repair import repair
from harness.durability.scrub import scrub
from harness.durability.sidecar import generate_sidecar, share_name, sidecar_dir


@dataclass(frozen=True)
class BenchmarkResult:
    size_mib: int
    repeats: int
    k: int
    m: int
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


def _best(repeats: int, prepare: Callable[[], None], run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        prepare()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def run_benchmark(
    size_mib: int = 64,
    *,
    repeats: int = 3,
    k: int = DEFAULT_K,
    m: int = DEFAULT_M,
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

        sha = _best(repeats, nothing, lambda: hashlib.sha256(data).digest())
        gen = _best(repeats, nothing, lambda: generate_sidecar(artifact, k=k, m=m, force=True))
        scr = _best(repeats, nothing, lambda: _expect(scrub(artifact).ok))
        rep = _best(repeats, lose_artifact, lambda: _expect(repair(artifact).ok))
        worst = _best(repeats, lose_artifact_and_primaries, lambda: _expect(repair(artifact).ok))
        if artifact.read_bytes() != data:
            raise AssertionError("benchmark repair produced different bytes")
    mib = float(size_mib)
    return BenchmarkResult(
        size_mib=size_mib,
        repeats=repeats,
        k=k,
        m=m,
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
