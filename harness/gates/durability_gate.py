"""Durability gate: every long-lived artifact scrubs clean through its sidecar.

"Long-lived" is the durability package's definition
(:data:`harness.durability.LONG_LIVED_PATTERNS` minus
:data:`~harness.durability.EXCLUDED_PATTERNS`): fixtures, crash inputs and
the crash index, curated seeds, and everything under ``artifacts/`` except
schemas and the durability subsystem's own run reports. A row passes only as
``intact``: an artifact without a sidecar (``no-sidecar``), damaged (even if
recoverable — repair it on purpose, with ``fjh durability repair``) or
unrecoverable fails the gate. The gate never repairs or generates anything.
"""

from __future__ import annotations

from typing import Any

from harness.gates.base import FAIL, PASS, GateContext, GateResult


def run(ctx: GateContext) -> GateResult:
    from harness.durability import scrub_all

    cfg = ctx.section("durability_gate")
    summary = scrub_all(ctx.root)
    bad = [r for r in summary.rows if r.status != "intact"]
    details: dict[str, Any] = {
        "artifacts": len(summary.rows),
        "totals": summary.totals,
        "failing": [
            {"artifact": r.artifact, "status": r.status, "recoverable": r.recoverable, "detail": r.detail}
            for r in bad[: int(cfg.get("max_listed", 50))]
        ],
    }
    if bad:
        return GateResult(
            "durability",
            FAIL,
            f"{len(bad)} of {len(summary.rows)} long-lived artifacts not intact "
            f"({', '.join(f'{k} {v}' for k, v in summary.totals.items())}); "
            f"first: {bad[0].artifact} {bad[0].status}",
            details,
        )
    return GateResult("durability", PASS, f"{len(summary.rows)} long-lived artifacts intact", details)
