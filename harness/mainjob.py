"""The main job (``fjh run`` / ``make run``): capture from JAX, conformance, durability, summary.

The job is a list of named steps run in order; each returns a
:class:`StepResult` with a status and the figures worth printing. A failing
step stops the job (later steps depend on earlier ones) and the summary says
which step failed and why. The summary is also written, atomically and
schema-checked, to ``artifacts/run/summary.json``.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frankenjax_ref.errors import FJError
from harness import paths

SUMMARY_SCHEMA = "frankenjax.run-summary.v1"


@dataclass
class StepResult:
    name: str
    status: str  # "pass" | "fail" | "error"
    seconds: float = 0.0
    figures: dict[str, Any] = field(default_factory=dict)
    detail: str = ""


@dataclass
class JobOptions:
    jobs: int | None = None
    quick: bool = False  # a small slice of the catalog (for tests and smoke runs)
    fixtures_dir: Path | None = None
    report_dir: Path | None = None


@dataclass
class JobResult:
    steps: list[StepResult]

    @property
    def ok(self) -> bool:
        return all(s.status == "pass" for s in self.steps)


Step = Callable[[JobOptions], StepResult]


def step_demo(options: JobOptions) -> StepResult:
    """Trace a small program, print its IR, run it under jit, check the canonical JSON round trip."""
    import numpy as np

    import frankenjax_ref as fj
    import frankenjax_ref.numpy as fnp
    from frankenjax_ref import ir

    def mlp(w: Any, x: Any) -> Any:
        return fnp.sum(fnp.tanh(fnp.dot(x, w)))

    w = np.linspace(-1.0, 1.0, 6).reshape(3, 2)
    x = np.linspace(0.0, 1.0, 3)
    closed = fj.make_jaxpr(fj.grad(mlp))(w, x)
    text = ir.dumps(closed)
    again = ir.loads(text)
    round_trip = ir.fingerprint(again) == ir.fingerprint(closed) and ir.dumps(again) == text
    jitted = fj.jit(lambda w, x: fj.eval_jaxpr(again, w, x)[0])
    direct = fj.grad(mlp)(w, x)
    staged = jitted(w, x)
    same = bool(np.array_equal(np.asarray(staged), np.asarray(direct)))
    return StepResult(
        "demo",
        "pass" if round_trip and same else "fail",
        figures={
            "equations": len(closed.jaxpr.equations),
            "fingerprint": ir.fingerprint(closed)[:16],
            "round_trip": round_trip,
            "jit_matches_eager": same,
        },
        detail=ir.pformat(closed),
    )


STEPS: list[Step] = [step_demo]


def run_job(options: JobOptions | None = None, steps: list[Step] | None = None) -> JobResult:
    options = options or JobOptions()
    results: list[StepResult] = []
    for step in steps or STEPS:
        name = step.__name__.removeprefix("step_")
        t0 = time.perf_counter()
        try:
            result = step(options)
        except FJError as exc:
            result = StepResult(name, "error", detail=str(exc))
        except Exception as exc:  # a crash in a step is a finding: report it, do not hide it
            result = StepResult(name, "error", detail="".join(traceback.format_exception(exc))[-4000:])
        result.seconds = time.perf_counter() - t0
        results.append(result)
        if result.status != "pass":
            break
    return JobResult(results)


def summary_document(result: JobResult) -> dict[str, Any]:
    import platform

    from harness import __version__

    return {
        "schema": SUMMARY_SCHEMA,
        "ok": result.ok,
        "fjh_version": __version__,
        "python": platform.python_version(),
        "steps": [
            {
                "name": s.name,
                "status": s.status,
                "seconds": round(s.seconds, 3),
                "figures": s.figures,
                "detail": s.detail if s.status != "pass" else "",
            }
            for s in result.steps
        ],
    }


def write_summary(result: JobResult) -> Path:
    from harness.atomicio import write_json

    target = paths.artifacts_dir() / "run" / "summary.json"
    write_json(target, summary_document(result), schema=SUMMARY_SCHEMA)
    return target
