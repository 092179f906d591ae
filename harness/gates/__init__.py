"""CI quality gates (``fjh gates``): each a small function over the tree and the budgets.

Gates run in this fixed order, each timed, and write one report,
``artifacts/ci/gates.v1.json`` (``frankenjax.gates-report.v1``, atomic, with
a durability sidecar):

1. ``coverage``    — line/branch coverage per package vs floors (:mod:`.coverage_gate`)
2. ``flakes``      — the suite run N times, suite flake rate vs max (:mod:`.flake_gate`)
3. ``crash``       — no open or unknown P0 crash (:mod:`.crash_gate`, rule in ``harness.fuzz.crashgate``)
4. ``schema``      — every file under fixtures/, artifacts/, corpus/ valid (:mod:`.schema_gate`)
5. ``durability``  — every long-lived artifact scrubs clean (:mod:`.durability_gate`)
6. ``performance`` — benchmarks vs the saved baseline (:mod:`.performance_gate`)
7. ``runtime``     — every measured stage, the gates above included, within budget (:mod:`.runtime_gate`)

Budgets live in ``ci/reliability_budgets.v1.json``
(``frankenjax.reliability-budgets.v1``); a *profile* there (``ci``,
``full``) overrides parts of them. Public API::

    run_gates(GatesOptions(profile="ci", skip={"flakes"}))  -> GatesReport (.ok, .results)
    write_report(report, path=None) -> Path
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frankenjax_ref.errors import FJError
from harness.gates.base import (
    ERROR,
    PASS,
    REPORT_SCHEMA,
    SKIPPED,
    GateContext,
    GateResult,
    GatesError,
    load_budgets,
)

ORDER = ("coverage", "flakes", "crash", "schema", "durability", "performance", "runtime")


def _gate(name: str) -> Callable[[GateContext], GateResult]:
    import importlib

    module = {"flakes": "flake_gate"}.get(name, f"{name}_gate")
    gate: Callable[[GateContext], GateResult] = importlib.import_module(f"harness.gates.{module}").run
    return gate


@dataclass
class GatesOptions:
    profile: str = "full"
    only: set[str] = field(default_factory=set)
    skip: set[str] = field(default_factory=set)
    budgets_path: Path | None = None
    root: Path | None = None
    #: per-gate knobs from the command line: flake_runs, coverage_data, update_perf_baseline
    extra: dict[str, Any] = field(default_factory=dict)
    on_result: Callable[[GateResult], None] | None = None


@dataclass
class GatesReport:
    profile: str
    budgets_path: str
    budgets_sha256: str
    started_at: str
    finished_at: str
    seconds: float
    results: list[GateResult]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "profile": self.profile,
            "budgets": self.budgets_path,
            "budgets_sha256": self.budgets_sha256,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "total_seconds": round(self.seconds, 3),
            "ok": self.ok,
            "order": list(ORDER),
            "gates": [
                {
                    "name": r.name,
                    "status": r.status,
                    "enabled": r.status != SKIPPED,
                    "seconds": round(r.seconds, 3),
                    "summary": r.summary,
                    "details": r.details,
                }
                for r in self.results
            ],
        }


def _check_names(names: set[str], what: str) -> None:
    unknown = sorted(names - set(ORDER))
    if unknown:
        raise GatesError(
            "FJ-GATES-UNKNOWN",
            f"unknown gate(s) for {what}: {', '.join(unknown)}",
            hint=f"gates: {', '.join(ORDER)}",
        )


def run_gates(options: GatesOptions | None = None) -> GatesReport:
    """Run every enabled gate in :data:`ORDER`; a gate that raises is an ``error`` result, not a crash."""
    from harness.gates.flakes import _utc_now
    from harness.paths import project_root, relative_to_root

    options = options or GatesOptions()
    _check_names(options.only, "--only")
    _check_names(options.skip, "--skip")
    budgets_path = options.budgets_path or (project_root() / "ci" / "reliability_budgets.v1.json")
    budgets, digest = load_budgets(budgets_path, options.profile)
    ctx = GateContext(
        root=options.root or project_root(),
        profile=options.profile,
        budgets=budgets,
        budgets_path=budgets_path,
        options=dict(options.extra),
    )
    started, t_start = _utc_now(), time.perf_counter()
    for name in ORDER:
        enabled = name not in options.skip and (not options.only or name in options.only)
        if not enabled:
            result = GateResult(name, SKIPPED, "skipped", {})
        else:
            t0 = time.perf_counter()
            try:
                result = _gate(name)(ctx)
            except FJError as exc:
                result = GateResult(name, ERROR, str(exc), {"error": exc.to_json()})
            except Exception as exc:  # a gate that crashes has not passed
                import traceback

                result = GateResult(
                    name,
                    ERROR,
                    f"{type(exc).__name__}: {exc}",
                    {"traceback": "".join(traceback.format_exception(exc))[-4000:]},
                )
            result.seconds = time.perf_counter() - t0
            ctx.stage_seconds[f"gate:{name}"] = result.seconds
        ctx.results.append(result)
        if options.on_result is not None:
            options.on_result(result)
    return GatesReport(
        options.profile,
        relative_to_root(budgets_path),
        digest,
        started,
        _utc_now(),
        time.perf_counter() - t_start,
        ctx.results,
    )


def default_report_path() -> Path:
    from harness.paths import artifacts_dir

    return artifacts_dir() / "ci" / "gates.v1.json"


def write_report(report: GatesReport, path: Path | None = None, *, sidecar: bool = True) -> Path:
    """Write the report atomically (schema-checked) and give it a durability sidecar."""
    from harness.atomicio import write_json

    target = path or default_report_path()
    write_json(target, report.to_json(), schema=REPORT_SCHEMA)
    if sidecar:
        from harness.durability import generate_sidecar

        generate_sidecar(target, force=True)
    return target


__all__ = [
    "ORDER",
    "PASS",
    "GateResult",
    "GatesError",
    "GatesOptions",
    "GatesReport",
    "run_gates",
    "write_report",
]
