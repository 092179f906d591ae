"""Benchmarks for the performance gate, and the saved baseline they are judged against.

Each benchmark times one operation the project cares about (tracing, the
transforms, canonical JSON, dispatch, a durability scrub), best of
``rounds``. Machines differ, so every time is also divided by a
*calibration* workload timed in the same run — interpreter-bound Python
(dicts, tuples, strings) plus small NumPy calls, the same mix the reference
spends its time on. The gate compares these normalized times with the
baseline's: a CI machine twice as slow as the one that saved the baseline
is twice as slow on calibration too, and the ratio stays put.

The baseline (``ci/perf_baseline.v1.json``, ``frankenjax.perf-baseline.v1``)
is written only on request: ``fjh gates --only performance
--update-perf-baseline``.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BASELINE_SCHEMA = "frankenjax.perf-baseline.v1"


def calibration() -> None:
    import numpy as np

    table: dict[int, tuple[int, str]] = {}
    total = 0
    for i in range(150_000):
        table[i & 1023] = (i, str(i & 63))
        total += len(table[i & 1023][1])
    a = np.arange(256.0)
    for _ in range(3000):
        a = np.sin(a) * 1.0001 + 0.5
    if total < 0:  # pragma: no cover - keeps the loop from being optimised away by a clever reader
        raise AssertionError


def _chain(n: int) -> tuple[Any, Any, Any]:
    import numpy as np

    import frankenjax_ref as fj
    from harness.e2e.scenarios.programs import chain_program

    x = np.linspace(0.1, 0.9, 8)
    closed = fj.make_jaxpr(chain_program(n))(x)
    return closed, (lambda v: fj.eval_jaxpr(closed, v)[0]), x


def benchmarks() -> dict[str, tuple[Callable[[], Any], Callable[[], None] | None]]:
    """name -> (operation, cleanup). Set-up happens here, outside the timed operation."""
    import numpy as np

    import frankenjax_ref as fj
    from frankenjax_ref import dispatch, ir
    from harness.durability import generate_sidecar, scrub
    from harness.e2e.scenarios.programs import chain_program

    closed, prog, x = _chain(1000)
    text = ir.dumps(closed)
    square = fj.make_jaxpr(lambda v: v * v)(np.float64(3.0))
    tmp = Path(tempfile.mkdtemp(prefix="fjh-perf-"))
    blob = tmp / "blob.bin"
    blob.write_bytes(np.random.default_rng(7).integers(0, 256, 4 << 20, dtype=np.uint8).tobytes())
    generate_sidecar(blob)

    def dispatch_small() -> None:
        from frankenjax_ref import ledger

        with ledger.using(ledger.Ledger()):
            for _ in range(50):
                dispatch.run(square, "jit(grad)", [np.float64(3.0)])

    def cleanup() -> None:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)

    return {
        "trace_chain_1000": (lambda: fj.make_jaxpr(chain_program(1000))(x), None),
        "grad_trace_chain_1000": (lambda: fj.make_jaxpr(fj.grad(prog))(x), None),
        "vmap_trace_chain_1000": (lambda: fj.make_jaxpr(fj.vmap(prog))(np.ones((4, 8))), None),
        "jit_grad_run_chain_1000": (lambda: fj.jit(fj.grad(prog))(x), None),
        "ir_roundtrip_chain_1000": (lambda: ir.loads(ir.dumps(ir.loads(text))), None),
        "dispatch_square_jit_grad_x50": (dispatch_small, None),
        "durability_scrub_4mib": (lambda: scrub(blob), cleanup),
    }


def measure(rounds: int = 5) -> dict[str, Any]:
    """Calibration and every benchmark, best of ``rounds``; normalized = seconds / calibration.

    Rounds are interleaved (each round times the calibration and every
    benchmark once) so that a busy stretch on a shared machine slows all of
    them alike, and the best round of each is the least disturbed one.
    """
    import gc

    table = benchmarks()
    best: dict[str, float] = {"calibration": float("inf"), **{name: float("inf") for name in table}}
    try:
        for _ in range(rounds):
            for name, fn in [("calibration", calibration), *((n, op) for n, (op, _) in table.items())]:
                gc.collect()
                t0 = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - t0)
    finally:
        for _, cleanup in table.values():
            if cleanup is not None:
                cleanup()
    calib = best.pop("calibration")
    return {
        "calibration_seconds": round(calib, 6),
        "rounds": rounds,
        "benchmarks": {
            name: {"seconds": round(seconds, 6), "normalized": round(seconds / calib, 4)}
            for name, seconds in best.items()
        },
    }


def baseline_document(measured: dict[str, Any]) -> dict[str, Any]:
    from harness.e2e.forensic import environment
    from harness.gates.flakes import _utc_now

    env = environment()
    return {
        "schema": BASELINE_SCHEMA,
        "created_at": _utc_now(),
        "environment": {k: env[k] for k in ("os", "arch", "python", "numpy", "cpu_count", "git_commit")},
        **measured,
    }
