"""Packet CAPTURE: a strict capture from JAX of a small catalog slice, then conformance on it.

The slice is the seed programs (``add2``, ``square``, ``sin_x``, ... under
jit, grad, vmap, vmap(grad), jit(vmap)) plus the patterns in the inputs. The
capture is *strict* — JAX must be importable and every case must capture —
and runs in this process (``jobs: 0``), writing bundles into a scratch
directory; conformance then runs every captured case through the reference
and writes its reports there. A tampered copy of a bundle must be refused
with a typed error. JAX's outputs are logged by SHA-256 per case: a replay
with the same JAX reproduces them bit for bit, a replay with another JAX
version shows which cases moved.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from harness.e2e.model import RunOptions, Scenario, ScenarioContext, Step
from harness.e2e.registry import register

PACKET = "CAPTURE"


def _inputs(options: RunOptions) -> dict[str, Any]:
    return {"patterns": ["seed*"], "jobs": 0, "strict": True}


def _capture(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.conformance.capture import capture
    from harness.e2e import values

    out = ctx.workdir / "fixtures"
    result = capture(
        output_dir=out, patterns=ctx.inputs["patterns"], strict=ctx.inputs["strict"], jobs=ctx.inputs["jobs"]
    )
    ctx.state["fixtures"] = out
    bundles = sorted(out.glob("*.bundle.json"))
    ctx.expect("bundles_written", True, bool(bundles))
    cases: dict[str, Any] = {}
    modes = set()
    for path in bundles:
        ctx.artifact(path, "captured bundle", kept=False)
        doc = json.loads(path.read_text())
        modes.add(doc["capture_mode"])
        for case in doc["cases"]:
            cases[case["case_id"]] = {
                "stack": case["stack_signature"],
                "ir_fingerprint": case["ir_fingerprint"],
                "expected_sha256": values.fixture_id(case["expected"]),
            }
    ctx.expect("capture_mode", ["jax"], sorted(modes))
    ctx.observe("captured_cases", cases)
    summary = {k: v for k, v in vars(result).items() if isinstance(v, (int, float, str, bool))}
    return {"bundles": [p.name for p in bundles], "cases": len(cases), "result": summary}


def _conformance(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.conformance.runner import run_conformance

    report = run_conformance(
        [ctx.state["fixtures"]], report_dir=ctx.workdir / "reports", jobs=ctx.inputs["jobs"], write=True
    )
    statuses = {r["case_id"]: r["status"] for r in report.results}
    totals = Counter(statuses.values())
    ctx.expect("conformance_failures", [], sorted(c for c, s in statuses.items() if s in ("fail", "error")))
    ctx.observe("conformance_statuses", statuses)
    for path in sorted(report.files.values()):  # the reports themselves, not their durability sidecars
        ctx.artifact(Path(path), "conformance report", kept=False)
    failing = [
        {"case_id": r["case_id"], "status": r["status"], "kind": r["kind"], "message": r["message"]}
        for r in report.results
        if r["status"] in ("fail", "error")
    ]
    return {"totals": dict(sorted(totals.items())), "failing": failing[:50], "worst": report.worst[:5]}


def _tampered_bundle_refused(ctx: ScenarioContext) -> dict[str, Any]:
    from frankenjax_ref.errors import FJError
    from harness.conformance.fixtures import read_bundles

    source = sorted(ctx.state["fixtures"].glob("*.bundle.json"))[0]
    doc = json.loads(source.read_text())
    doc["cases"][0]["ir_fingerprint"] = "0" * 64  # the program no longer matches its fingerprint
    bad = ctx.workdir / "tampered" / source.name
    bad.parent.mkdir()
    bad.write_text(json.dumps(doc))
    try:
        read_bundles([bad])
    except FJError as exc:
        code: str | None = exc.code
    else:
        code = None
    ctx.expect("tampered_bundle_error", "FJ-FIXTURE-INVALID", code)
    return {"tampered": source.name, "error": code}


register(
    Scenario(
        id="e2e_capture_strict_slice_then_conformance",
        packet=PACKET,
        description=(
            "Strict capture from JAX of the seed-program slice of the catalog into scratch bundles, "
            "conformance of every captured case through the reference (no failures), and a tampered "
            "bundle refused with FJ-FIXTURE-INVALID."
        ),
        inputs=_inputs,
        steps=(
            Step("strict_capture", _capture),
            Step("conformance", _conformance),
            Step("tampered_bundle_refused", _tampered_bundle_refused),
        ),
        transform_stacks=("jit", "grad", "vmap", "vmap(grad)", "jit(vmap)"),
        mode="strict",
        timeout_seconds=900.0,
    )
)
