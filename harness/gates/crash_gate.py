"""Crash gate: no open P0 crash, and no P0 that is not in the known list.

The rule lives with the crash index (:func:`harness.fuzz.crashgate.crash_gate`,
owned by fuzzing and triage: fail on an open P0, on a P0 missing from
``crash_gate.known_p0``, and on more open P1s than ``max_open_p1``); this
module calls it on the budgets file in use and turns its verdict into a gate
result.
"""

from __future__ import annotations

import dataclasses

from harness.gates.base import FAIL, PASS, GateContext, GateResult


def run(ctx: GateContext) -> GateResult:
    from harness.fuzz.crashgate import crash_gate

    verdict = crash_gate(ctx.budgets_path)
    details = dataclasses.asdict(verdict)
    if verdict.ok:
        counts = ", ".join(f"{k} {v}" for k, v in verdict.counts.items()) or "empty index"
        return GateResult(
            "crash", PASS, f"{verdict.entries} crash entries ({counts}); no open or new P0", details
        )
    return GateResult("crash", FAIL, "; ".join(verdict.failures), details)
