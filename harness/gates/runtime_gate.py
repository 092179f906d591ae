"""Runtime gate: every measured stage within its budget in seconds.

It runs last, so it sees what this gates run measured. Stages:

``tests``
    the plain suite (``pytest -n 2``): the slowest run the flake gate made in
    this gates run;
``tests:coverage``
    the suite under coverage: the CI test run, from the JUnit file it writes
    (``runtime_gate.tests_junit``; pytest records the session duration), or
    the coverage gate's own run;
``e2e:<packet>``
    the sum of ``timings.total_seconds`` over the packet's forensic logs in
    ``artifacts/e2e/``;
``e2e:<scenario>``
    one scenario's time, for scenarios with a budget of their own;
``gate:<name>``
    each gate that ran before this one, as timed by the gate runner.

A stage with a budget and no measurement is listed as unmeasured (a gate
that was skipped measures nothing); a measured stage without a budget is
listed as unbudgeted. Only a measured stage over its budget fails the gate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.gates.base import FAIL, PASS, GateContext, GateResult


def e2e_stages(log_dir: Path) -> dict[str, float]:
    stages: dict[str, float] = {}
    for path in sorted(log_dir.glob("*.e2e.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            seconds = float(doc["timings"]["total_seconds"])
            packet, scenario = str(doc["packet_id"]), str(doc["scenario_id"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # the schema gate reports unreadable logs
        stages[f"e2e:{packet}"] = stages.get(f"e2e:{packet}", 0.0) + seconds
        stages[f"e2e:{scenario}"] = seconds
    return stages


def run(ctx: GateContext) -> GateResult:
    from harness.gates.flakes import junit_seconds

    cfg = ctx.section("runtime_gate")
    budgets: dict[str, float] = {k: float(v) for k, v in cfg["stages"].items()}
    measured = dict(ctx.stage_seconds)
    junit = cfg.get("tests_junit")
    if junit:
        seconds = junit_seconds(ctx.path(junit))
        if seconds is not None:
            measured.setdefault("tests:coverage", seconds)
    from harness.e2e.forensic import default_log_dir

    for stage, seconds in e2e_stages(default_log_dir()).items():
        if stage in budgets or not stage.startswith("e2e:e2e_"):
            measured[stage] = seconds
    rows = {}
    over = []
    for stage in sorted(set(budgets) | set(measured)):
        budget, seconds = budgets.get(stage), measured.get(stage)
        state = (
            "unmeasured"
            if seconds is None
            else "unbudgeted"
            if budget is None
            else ("ok" if seconds <= budget else "over")
        )
        rows[stage] = {
            "seconds": None if seconds is None else round(seconds, 2),
            "budget": budget,
            "state": state,
        }
        if state == "over":
            over.append(f"{stage} {seconds:.0f}s > {budget:.0f}s")
    judged = sum(r["state"] in ("ok", "over") for r in rows.values())
    details: dict[str, Any] = {"stages": rows, "tests_junit": junit}
    if over:
        return GateResult("runtime", FAIL, "over budget: " + "; ".join(over), details)
    unmeasured = sum(r["state"] == "unmeasured" for r in rows.values())
    return GateResult(
        "runtime",
        PASS,
        f"{judged} stages within budget ({unmeasured} budgeted stages not measured this run)",
        details,
    )
