"""Running scenarios: build inputs, run the steps in order, judge, write the forensic log.

:func:`execute` is shared by a fresh run and by ``fjh replay``: it takes the
*encoded* inputs (fresh from the scenario's input builder, or read from a
log), decodes them, runs every step in a scratch directory under the
scenario's time limit, and judges every check. Statuses:

* ``pass`` — every step ran and every expected value matched;
* ``fail`` — a check did not hold (a wrong value, or a step's explicit
  :meth:`~harness.e2e.model.ScenarioContext.fail`);
* ``error`` — a step raised anything else (the traceback is kept);
* ``timeout`` — the scenario ran past ``timeout_seconds`` (enforced with a
  real-time interval timer when running on the main thread).

After the first step that does not pass, the remaining steps are recorded
as ``skipped``; what was produced so far is still logged.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from frankenjax_ref.errors import FJError
from harness.e2e import values
from harness.e2e.forensic import LOG_SCHEMA, environment, log_path, write_log
from harness.e2e.model import (
    E2EError,
    RunOptions,
    Scenario,
    ScenarioContext,
    ScenarioFailure,
    ScenarioTimeout,
)
from harness.e2e.values import Difference


@dataclass
class StepRecord:
    name: str
    status: str  # pass | fail | error | timeout | skipped
    seconds: float = 0.0
    produced: Any = None
    detail: str | None = None


@dataclass
class Execution:
    """One run of a scenario's steps on given inputs, judged."""

    scenario: Scenario
    inputs: Any  # encoded
    fixture_id: str
    status: str
    steps: list[StepRecord]
    expected: dict[str, Any]
    actual: dict[str, Any]
    tolerances: dict[str, values.Tolerance]
    mismatches: list[Difference]
    artifacts: list[Any]
    timings: dict[str, float]
    failure_summary: str | None
    started_at: str
    finished_at: str
    seconds: float

    def tolerance_for(self, key: str) -> values.Tolerance:
        return self.tolerances.get(key, self.scenario.tolerance)


@dataclass
class ScenarioResult:
    scenario_id: str
    packet: str
    status: str
    seconds: float
    log: str | None
    failure_summary: str | None = None
    execution: Execution | None = field(default=None, repr=False)


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`ScenarioTimeout` in this thread after ``seconds`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    outer_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    if 0 < outer_remaining <= seconds:  # an enclosing timer (pytest-timeout) fires first: leave it be
        yield
        return

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise ScenarioTimeout(f"ran past its limit of {seconds:g}s")

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_remaining > 0:  # give the enclosing timer back what is left of it
            signal.setitimer(signal.ITIMER_REAL, max(outer_remaining - (time.monotonic() - started), 0.001))


def build_inputs(scenario: Scenario, options: RunOptions) -> Any:
    """The encoded inputs of a fresh run."""
    try:
        raw = scenario.inputs(options)
    except FJError:
        raise
    except (OSError, ImportError) as exc:
        raise E2EError("FJ-E2E-INPUTS", f"cannot build the inputs of {scenario.id}: {exc}") from exc
    return values.encode(raw, "inputs")


def execute(
    scenario: Scenario, encoded_inputs: Any, options: RunOptions, *, input_seconds: float = 0.0
) -> Execution:
    """Run ``scenario``'s steps on ``encoded_inputs`` and judge them (the scenario's faults never raise)."""
    started = _now()
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    if input_seconds:
        timings["inputs"] = input_seconds
    records: list[StepRecord] = []
    workdir = Path(tempfile.mkdtemp(prefix=f"fjh-e2e-{scenario.id}-"))
    ctx = ScenarioContext(scenario, {}, workdir, options)
    status = "pass"
    summary: str | None = None
    limit = scenario.timeout_seconds
    try:
        with time_limit(limit):
            t0 = time.perf_counter()
            try:
                ctx.inputs = values.decode(encoded_inputs, "inputs")
            except FJError as exc:
                status, summary = "error", f"inputs cannot be decoded: {exc}"
            timings["decode_inputs"] = time.perf_counter() - t0
            for step in scenario.steps:
                if status != "pass":
                    records.append(StepRecord(step.name, "skipped"))
                    continue
                record = StepRecord(step.name, "pass")
                records.append(record)
                t0 = time.perf_counter()
                try:
                    produced = step.fn(ctx)
                    record.produced = values.encode(dict(produced or {}), f"steps.{step.name}")
                except ScenarioFailure as exc:
                    record.status, record.detail = "fail", str(exc)
                    status, summary = "fail", f"step {step.name}: {exc}"
                except ScenarioTimeout:
                    record.status, record.detail = "timeout", f"ran past the scenario limit of {limit:g}s"
                    raise
                except Exception as exc:  # a crash in a step is a finding: keep it whole
                    record.status = "error"
                    record.detail = "".join(traceback.format_exception(exc))[-6000:]
                    first = str(exc).splitlines()[0] if str(exc) else ""
                    status, summary = "error", f"step {step.name}: {type(exc).__name__}: {first}"[:2000]
                finally:
                    record.seconds = time.perf_counter() - t0
                    timings[f"step:{step.name}"] = record.seconds
    except ScenarioTimeout:
        status, summary = "timeout", f"scenario ran past its limit of {limit:g}s"
        done = {r.name for r in records}
        records.extend(StepRecord(s.name, "skipped") for s in scenario.steps if s.name not in done)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    t0 = time.perf_counter()
    mismatches: list[Difference] = []
    for key in sorted(ctx.expected):
        mismatches.extend(
            values.compare(ctx.expected[key], ctx.actual[key], ctx.tolerance_for(key), path=f"actual.{key}")
        )
    timings["verify"] = time.perf_counter() - t0
    if status == "pass" and mismatches:
        status = "fail"
        keys = sorted({d.path.split(".")[1].split("[")[0] for d in mismatches})
        summary = f"{len(mismatches)} mismatch(es) in {', '.join(keys)}: " + mismatches[0].render()
    seconds = time.perf_counter() - t_start + input_seconds
    return Execution(
        scenario=scenario,
        inputs=encoded_inputs,
        fixture_id=values.fixture_id(encoded_inputs),
        status=status,
        steps=records,
        expected=ctx.expected,
        actual=ctx.actual,
        tolerances=dict(ctx.tolerances),
        mismatches=mismatches,
        artifacts=list(ctx.artifacts),
        timings=timings,
        failure_summary=summary,
        started_at=started,
        finished_at=_now(),
        seconds=seconds,
    )


def log_document(execution: Execution, *, command: str, replay_command: str) -> dict[str, Any]:
    """The ``frankenjax.e2e-forensic-log.v1`` document of an execution."""
    from frankenjax_ref.dispatch import parse_stack, stack_to_json

    s = execution.scenario
    return {
        "schema": LOG_SCHEMA,
        "scenario_id": s.id,
        "packet_id": s.packet,
        "description": s.description,
        "command": command,
        "replay_command": replay_command,
        "environment": environment(),
        "mode": s.mode,
        "transform_stack": [
            {"signature": text, "stack": stack_to_json(parse_stack(text))} for text in s.transform_stacks
        ],
        "fixture_id": execution.fixture_id,
        "inputs": execution.inputs,
        "intermediate_states": [
            {
                "step": r.name,
                "status": r.status,
                "seconds": round(r.seconds, 6),
                "produced": r.produced,
                "detail": r.detail,
            }
            for r in execution.steps
        ],
        "expected": execution.expected,
        "actual": execution.actual,
        "tolerance": {
            "default": s.tolerance.to_json(),
            "keys": {k: t.to_json() for k, t in sorted(execution.tolerances.items())},
            "replay": "every actual value must be reproduced under its tolerance (exact = bit for bit)",
        },
        "timings": {
            "phases": {k: round(v, 6) for k, v in execution.timings.items()},
            "total_seconds": round(execution.seconds, 6),
            "timeout_seconds": s.timeout_seconds,
        },
        "artifacts": [
            {"path": a.path, "sha256": a.sha256, "role": a.role, "kept": a.kept, "size": a.size}
            for a in execution.artifacts
        ],
        "status": execution.status,
        "failure_summary": execution.failure_summary,
        "mismatches": [
            {"path": d.path, "expected": d.expected, "actual": d.actual, "reason": d.reason}
            for d in execution.mismatches
        ],
        "started_at": execution.started_at,
        "finished_at": execution.finished_at,
    }


def default_command(scenario_id: str) -> str:
    return f"fjh e2e --scenario {scenario_id}"


def run_scenario(scenario: Scenario, options: RunOptions | None = None) -> ScenarioResult:
    """Run one scenario fresh and (unless told not to) write its forensic log."""
    options = options or RunOptions()
    t0 = time.perf_counter()
    try:
        encoded = build_inputs(scenario, options)
    except FJError as exc:
        encoded = None
        failure = f"inputs: {exc}"
    except Exception as exc:  # a bug in an input builder is an error of this scenario, not of the run
        encoded = None
        failure = f"inputs: {type(exc).__name__}: {exc}"
    input_seconds = time.perf_counter() - t0
    if encoded is None:
        execution = _input_error(scenario, failure, input_seconds)
    else:
        execution = execute(scenario, encoded, options, input_seconds=input_seconds)
    path = None
    if options.write_logs:
        target = log_path(scenario.id, options.log_dir)
        from harness.paths import relative_to_root

        doc = log_document(
            execution,
            command=options.command or default_command(scenario.id),
            replay_command=f"fjh replay {relative_to_root(target)}",
        )
        write_log(doc, target, sidecar=options.sidecars)
        path = relative_to_root(target)
    return ScenarioResult(
        scenario.id,
        scenario.packet,
        execution.status,
        execution.seconds,
        path,
        execution.failure_summary,
        execution,
    )


def _input_error(scenario: Scenario, failure: str, seconds: float) -> Execution:
    now = _now()
    return Execution(
        scenario=scenario,
        inputs={},
        fixture_id=values.fixture_id({}),
        status="error",
        steps=[StepRecord(s.name, "skipped") for s in scenario.steps],
        expected={},
        actual={},
        tolerances={},
        mismatches=[],
        artifacts=[],
        timings={"inputs": seconds},
        failure_summary=failure,
        started_at=now,
        finished_at=now,
        seconds=seconds,
    )


def run_many(scenarios: Sequence[Scenario], options: RunOptions | None = None) -> list[ScenarioResult]:
    """Run scenarios in order; one failing does not stop the others."""
    options = options or RunOptions()
    results = []
    for scenario in scenarios:
        results.append(run_scenario(scenario, options))
        sys.stdout.flush()
    return results
