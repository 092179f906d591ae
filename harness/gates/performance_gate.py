"""Performance gate: benchmarks against the saved baseline, within the budgeted regression.

For each benchmark in :mod:`harness.gates.perf`, regression = (normalized
time now / normalized time in the baseline) - 1; the gate fails when any
exceeds ``performance_gate.max_regression``. A benchmark over budget is
measured once more (``confirm: true``) and judged on the better of the two
measurements, so one busy moment on a shared machine does not fail CI while a
real slowdown, which shows up both times, still does. A benchmark missing
from the baseline is reported and fails the gate (save a new baseline on
purpose); a baseline benchmark that no longer exists is reported only.
"""

from __future__ import annotations

from typing import Any

from harness.gates.base import ERROR, FAIL, PASS, GateContext, GateResult


def update_baseline(ctx: GateContext) -> GateResult:
    from harness.atomicio import write_json
    from harness.gates import perf

    cfg = ctx.section("performance_gate")
    measured = perf.measure(int(cfg.get("rounds", 5)))
    path = ctx.path(cfg["baseline"])
    write_json(path, perf.baseline_document(measured), schema=perf.BASELINE_SCHEMA)
    return GateResult(
        "performance",
        PASS,
        f"baseline written to {cfg['baseline']} ({len(measured['benchmarks'])} benchmarks, "
        f"calibration {measured['calibration_seconds'] * 1e3:.1f} ms)",
        {"baseline": cfg["baseline"], "measured": measured},
    )


def run(ctx: GateContext) -> GateResult:
    from harness.errors import HarnessError
    from harness.gates import perf
    from harness.schemas import read_json

    if ctx.options.get("update_perf_baseline"):
        return update_baseline(ctx)
    cfg = ctx.section("performance_gate")
    budget = float(cfg["max_regression"])
    try:
        baseline = read_json(ctx.path(cfg["baseline"]), perf.BASELINE_SCHEMA)
    except HarnessError as exc:
        return GateResult(
            "performance", ERROR, f"no usable baseline: {exc}; save one with --update-perf-baseline", {}
        )
    rounds = int(cfg.get("rounds", 5))
    measured = perf.measure(rounds)
    base = baseline["benchmarks"]
    now = measured["benchmarks"]

    def regression(name: str, table: dict[str, Any]) -> float:
        return float(table[name]["normalized"] / base[name]["normalized"] - 1.0)

    over = [n for n in now if n in base and regression(n, now) > budget]
    confirmed: dict[str, Any] = {}
    if over and cfg.get("confirm", True):
        again = perf.measure(rounds)
        for name in over:
            if again["benchmarks"][name]["normalized"] < now[name]["normalized"]:
                confirmed[name] = again["benchmarks"][name]
        now = {**now, **confirmed}
    rows = {}
    failures = []
    for name in sorted(set(now) | set(base)):
        if name not in base:
            rows[name] = {"now": now[name], "baseline": None, "regression": None, "ok": False}
            failures.append(f"{name} has no baseline")
            continue
        if name not in now:
            rows[name] = {"now": None, "baseline": base[name], "regression": None, "ok": True}
            continue
        r = regression(name, now)
        ok = r <= budget
        rows[name] = {
            "now": now[name],
            "baseline": base[name],
            "regression": round(r, 4),
            "ok": ok,
            "remeasured": name in confirmed,
        }
        if not ok:
            failures.append(f"{name} {r * 100:+.0f}%")
    details = {
        "baseline": cfg["baseline"],
        "baseline_created_at": baseline["created_at"],
        "max_regression": budget,
        "calibration_seconds": measured["calibration_seconds"],
        "baseline_calibration_seconds": baseline["calibration_seconds"],
        "benchmarks": rows,
    }
    worst = max((v["regression"] for v in rows.values() if v["regression"] is not None), default=0.0)
    if failures:
        return GateResult(
            "performance", FAIL, f"over the {budget * 100:.0f}% budget: {', '.join(failures)}", details
        )
    return GateResult(
        "performance",
        PASS,
        f"{len(rows)} benchmarks within {budget * 100:.0f}% of baseline (worst {worst * 100:+.0f}%)",
        details,
    )
