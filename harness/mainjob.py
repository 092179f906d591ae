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


def step_capture(options: JobOptions) -> StepResult:
    """Trace the catalog with JAX (strict: any failure stops the job, nothing is overwritten)."""
    from harness.conformance.capture import capture

    result = capture(
        output_dir=options.fixtures_dir,
        patterns=["seed"] if options.quick else None,
        strict=True,
        jobs=options.jobs,
    )
    return StepResult(
        "capture",
        "pass" if result.ok else "fail",
        figures={
            "mode": result.mode,
            "jax": result.provenance.get("jax", "?"),
            "cases": result.selected,
            "fixtures": result.captured,
            "expected_errors": result.error_cases,
            "dtype_rejections": result.rejected_dtypes,
            "bundles": len(result.files),
            "cases_per_s": round(result.cases_per_second, 1),
        },
    )


def step_conformance(options: JobOptions) -> StepResult:
    """Run every captured case through the reference under its stack and compare with JAX."""
    from harness.conformance.runner import run_conformance
    from harness.paths import fixtures_dir

    fixtures = sorted(str(p) for p in (options.fixtures_dir or fixtures_dir()).glob("*.bundle.json"))
    report = run_conformance(fixtures, report_dir=options.report_dir, jobs=options.jobs)
    totals = report.totals
    worst = "; ".join(f"{r['case_id']}: {r.get('message', '')[:80]}" for r in report.failures()[:5])
    return StepResult(
        "conformance",
        "pass" if report.ok else "fail",
        figures={
            "cases": totals["cases"],
            "pass": totals["pass"],
            "known_divergence": totals["known_divergence"],
            "fail": totals["fail"],
            "error": totals["error"],
            "pass_rate": f"{100 * totals['pass_rate']:.2f}%",
            "conformance_rate": f"{100 * totals['conformance_rate']:.2f}%",
        },
        detail=worst,
    )


def step_durability(options: JobOptions) -> StepResult:
    """Sidecars for every long-lived artifact, scrub, and a decode proof for each."""
    from harness.durability import pipeline_all

    summary = pipeline_all(paths.project_root())
    bad = [f"{r.artifact}: {r.status}" for r in summary.rows if r.status != "intact"][:10]
    return StepResult(
        "durability",
        "pass" if summary.ok else "fail",
        figures={"artifacts": len(summary.rows), **summary.totals},
        detail="\n".join(bad),
    )


STEPS: list[Step] = [step_demo, step_capture, step_conformance, step_durability]


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
    """Write the summary (a long-lived report, so with its sidecar)."""
    from harness.atomicio import write_json
    from harness.durability import refresh_sidecars

    target = paths.artifacts_dir() / "run" / "summary.json"
    write_json(target, summary_document(result), schema=SUMMARY_SCHEMA)
    refresh_sidecars([target])
    return target
