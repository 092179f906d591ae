"""Packet FUZZ: a seeded fuzz run finds a crash in a test-only target; triage, index, crash gate.

Everything happens in a scratch project root (``$FJH_ROOT`` points at the
scenario's scratch directory while the steps run), so the real crash index
and budgets are never touched. The target is ``crashme`` (test-only, enabled
with ``FJH_FUZZ_TEST_TARGETS=1``), which fails on purpose behind magic
prefixes. Steps: a fixed-seed atheris run finds a crash; ``triage``
reproduces, minimizes, classifies and indexes it; the crash gate judges the
index; a planted P0 input is triaged and fails the gate; triage is
idempotent; once "fixed" (``FJH_CRASHME_FIXED=1``) the P0 is recorded as
fixed but still fails the gate until acknowledged in ``known_p0``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.e2e.model import RunOptions, Scenario, ScenarioContext, Step
from harness.e2e.registry import register

PACKET = "FUZZ"


def _inputs(options: RunOptions) -> dict[str, Any]:
    return {
        "target": "crashme",
        "fuzz": {"runs": 300_000, "max_time": 60, "seed": 4, "hang_seconds": 3},
        "planted_p0": b"FJH0: planted by e2e_fuzz_seeded_crash_triage_gate",
        "triage_timeout": 10.0,
    }


@contextlib.contextmanager
def _environment(ctx: ScenarioContext, **extra: str) -> Iterator[Path]:
    """The scratch root as ``$FJH_ROOT`` with test targets on (restored afterwards)."""
    root = ctx.workdir / "root"
    budgets = root / "ci" / "reliability_budgets.v1.json"
    if not budgets.exists():
        budgets.parent.mkdir(parents=True)
        section: dict[str, Any] = {
            "index": "corpus/crashes/index.v1.jsonl",
            "known_p0": [],
            "max_open_p1": None,
        }
        budgets.write_text(json.dumps({"crash_gate": section}))
    wanted = {"FJH_ROOT": str(root), "FJH_FUZZ_TEST_TARGETS": "1", "FJH_CRASHME_FIXED": "", **extra}
    saved = {k: os.environ.get(k) for k in wanted}
    try:
        for k, v in wanted.items():
            if v:
                os.environ[k] = v
            else:
                os.environ.pop(k, None)
        yield root
    finally:
        for k, old in saved.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old


def _gate_summary(verdict: Any) -> dict[str, Any]:
    return {
        "ok": verdict.ok,
        "open_p0": [e.id for e in verdict.open_p0],
        "new_p0": [e.id for e in verdict.new_p0],
        "failures": [f.split(":")[0] for f in verdict.failures],
    }


def _fuzz(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.fuzz.runner import run_fuzz

    opts = ctx.inputs["fuzz"]
    with _environment(ctx) as root:
        result = run_fuzz(
            ctx.inputs["target"],
            runs=opts["runs"],
            max_time=opts["max_time"],
            seed=opts["seed"],
            hang_seconds=opts["hang_seconds"],
            write_sidecars=False,
        )
        crashes = [{"name": c.name, "kind": c.kind, "size": c.size} for c in result.crashes]
        ctx.expect("fuzzer_found_a_crash", True, bool(crashes))
        if crashes:
            data = (root / result.crashes[0].path).read_bytes()
            ctx.expect(
                "crash_file_named_by_sha1", crashes[0]["name"], "crash-" + hashlib.sha1(data).hexdigest()
            )
            ctx.state["found"] = crashes[0]["name"]
    ctx.observe("crashes_found", crashes)
    return {"execs": result.execs, "seconds": result.seconds, "crashes": crashes, "stopped": result.stopped}


def _triage(ctx: ScenarioContext, name: str) -> Any:
    from harness.fuzz.triage import triage

    return triage(name, target=ctx.inputs["target"], timeout=ctx.inputs["triage_timeout"])


def _triage_found(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.fuzz.crashgate import crash_gate

    if "found" not in ctx.state:
        ctx.fail("the fuzzer found nothing to triage")
    with _environment(ctx) as root:
        result = _triage(ctx, ctx.state["found"])
        entry = result.entry
        minimized = (root / entry["paths"]["minimized"]).read_bytes()
        ctx.expect("found_crash_open", "open", entry["status"])
        ctx.expect(
            "minimized_keeps_the_magic", True, minimized[:3] == b"FJH" and len(minimized) <= entry["size"]
        )
        sidecars = [
            root / entry["paths"][k] / "manifest.json" for k in ("original_sidecar", "minimized_sidecar")
        ]
        ctx.expect("inputs_have_sidecars", True, all(p.is_file() for p in sidecars))
        gate = crash_gate()
        ctx.expect("gate_after_found_crash", entry["severity"] != "P0", gate.ok)
    ctx.observe("found_entry", {k: entry[k] for k in ("id", "severity", "kind", "status", "minimized_size")})
    ctx.observe("found_minimized", minimized)
    return {
        "entry": {k: entry[k] for k in ("id", "severity", "kind", "status", "reason")},
        "gate": _gate_summary(gate),
    }


def _planted_p0(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.fuzz.crashgate import crash_gate
    from harness.fuzz.triage import index_path

    data: bytes = ctx.inputs["planted_p0"]
    name = "crash-" + hashlib.sha1(data).hexdigest()
    ctx.state["p0"] = name
    with _environment(ctx) as root:
        path = root / "corpus" / "crashes" / ctx.inputs["target"] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        entry = _triage(ctx, name).entry
        gate = crash_gate()
        before = index_path().read_bytes()
        again = _triage(ctx, name)
        ctx.expect(
            "retriage_changes_nothing", [False, True], [again.changed, index_path().read_bytes() == before]
        )
    ctx.expect(
        "planted_classified", ["P0", "invariant", "open"], [entry["severity"], entry["kind"], entry["status"]]
    )
    summary = _gate_summary(gate)
    ctx.expect(
        "gate_fails_on_open_new_p0",
        [False, [entry["id"]], [entry["id"]]],
        [summary["ok"], summary["open_p0"], summary["new_p0"]],
    )
    ctx.expect("gate_names_the_p0", True, any(name in f for f in gate.failures))
    return {
        "entry": {k: entry[k] for k in ("id", "severity", "kind", "status", "reason")},
        "gate": _gate_summary(gate),
    }


def _fixed_then_acknowledged(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.fuzz.crashgate import crash_gate

    name = ctx.state["p0"]
    with _environment(ctx, FJH_CRASHME_FIXED="1") as root:
        entry = _triage(ctx, name).entry
        still = crash_gate()
        budgets = root / "ci" / "reliability_budgets.v1.json"
        doc = json.loads(budgets.read_text())
        doc["crash_gate"]["known_p0"].append({"id": entry["id"], "reason": "fixed (e2e: FJH_CRASHME_FIXED)"})
        budgets.write_text(json.dumps(doc))
        acknowledged = crash_gate()
    ctx.expect("p0_recorded_fixed", "fixed", entry["status"])
    ctx.expect("fixed_but_unacknowledged_p0_fails_gate", False, still.ok)
    ctx.expect("acknowledged_p0_passes_gate", True, acknowledged.ok)
    return {
        "status": entry["status"],
        "gate_before_ack": _gate_summary(still),
        "gate_after_ack": _gate_summary(acknowledged),
    }


register(
    Scenario(
        id="e2e_fuzz_seeded_crash_triage_gate",
        packet=PACKET,
        description=(
            "In a scratch root: a fixed-seed atheris run of the test-only crashme target finds a crash; "
            "fjh triage reproduces, minimizes, classifies, stores with sidecars and indexes it; the crash "
            "gate judges it; a planted P0 fails the gate, re-triage changes nothing, and once fixed the P0 "
            "still fails the gate until acknowledged in known_p0."
        ),
        inputs=_inputs,
        steps=(
            Step("fuzz", _fuzz),
            Step("triage_found_crash", _triage_found),
            Step("planted_p0", _planted_p0),
            Step("fixed_then_acknowledged", _fixed_then_acknowledged),
        ),
        timeout_seconds=600.0,
    )
)
