"""Packet LEDGER: the decision ledger's receipts catch tampering.

Real decisions are recorded (dispatches, a hardened unknown feature, a
strict rejection), exported as JSONL, and the export is then tampered with
in every way the ledger claims to detect: an edited decision, edited
evidence, a dropped record, swapped records, a truncated tail, a trailer
pointing elsewhere, and a *consistent* forgery (every hash recomputed) that
only a receipt kept elsewhere (the head hash) exposes. ``fjh ledger verify``
must agree on the command line. Record hashes contain timestamps, so the
logged outputs are the decisions and the verdicts, never the hashes.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

from harness.e2e.model import RunOptions, Scenario, ScenarioContext, Step
from harness.e2e.registry import register

PACKET = "LEDGER"

TAMPERINGS: list[dict[str, Any]] = [
    {"name": "edit_action", "op": "edit", "record": 1, "field": "action", "value": "refuse"},
    {"name": "edit_evidence", "op": "edit_evidence", "record": 0, "key": "stack", "value": "vmap(f)"},
    {
        "name": "edit_posterior",
        "op": "edit",
        "record": 2,
        "field": "posterior",
        "value": {"feature_breaking": 0.99, "feature_benign": 0.01},
    },
    {"name": "drop_middle_record", "op": "drop", "record": 1},
    {"name": "swap_records", "op": "swap", "records": [0, 1]},
    {"name": "truncate_tail", "op": "truncate", "keep": 2},
    {"name": "trailer_head_rewritten", "op": "trailer_head", "value": "f" * 64},
    {"name": "not_json", "op": "garble", "record": 0},
]


def _inputs(options: RunOptions) -> dict[str, Any]:
    import numpy as np

    return {
        "program_x": np.linspace(-1.0, 1.0, 5),
        "stacks": ["jit(grad)", "vmap(grad)", "grad(jit)"],
        "unknown_feature": "fj.experimental.tamper_probe",
        "tamperings": TAMPERINGS,
    }


def _program(x: Any) -> Any:
    import frankenjax_ref.numpy as fnp

    return fnp.sum(fnp.sin(x) * x)


def _record(ctx: ScenarioContext) -> dict[str, Any]:
    import frankenjax_ref as fj
    from frankenjax_ref import dispatch, ledger
    from frankenjax_ref.errors import CacheError

    x = ctx.inputs["program_x"]
    closed = fj.make_jaxpr(_program)(x)
    dispatch.clear_program_cache()  # every run stages afresh, so it records the same decisions
    led = ledger.Ledger()
    with ledger.using(led):
        for stack in ctx.inputs["stacks"]:
            dispatch.run(closed, stack, [x if "vmap" not in stack else x.reshape(1, 5)])
        dispatch.run(closed, "jit", [x], mode="hardened", unknown_features=[ctx.inputs["unknown_feature"]])
        with contextlib.suppress(CacheError):
            dispatch.run(closed, "jit", [x], mode="strict", unknown_features=[ctx.inputs["unknown_feature"]])
    decisions = [[r.kind, r.action] for r in led.records if r.kind in ("dispatch", "unknown_feature")]
    ctx.expect(
        "decisions",
        [["dispatch", "run"]] * 3
        + [["unknown_feature", "accept_and_record"], ["dispatch", "run"], ["unknown_feature", "reject"]],
        decisions,
    )
    text = led.to_jsonl()
    ctx.state["text"], ctx.state["head"] = text, led.head
    count = ledger.Ledger.from_jsonl(text).verify(expected_head=led.head)
    ctx.expect("export_verifies", len(led.records), count)
    ctx.observe("record_kinds", [r.kind for r in led.records])
    return {"records": len(led.records), "head": led.head, "bytes": len(text.encode())}


def _tamper(text: str, plan: dict[str, Any]) -> str:
    lines = text.splitlines()
    records, trailer = [json.loads(line) for line in lines[:-1]], json.loads(lines[-1])
    op = plan["op"]
    if op == "edit":
        records[plan["record"]][plan["field"]] = plan["value"]
    elif op == "edit_evidence":
        records[plan["record"]]["evidence"][plan["key"]] = plan["value"]
    elif op == "drop":
        del records[plan["record"]]
    elif op == "swap":
        i, j = plan["records"]
        records[i], records[j] = records[j], records[i]
    elif op == "truncate":
        records = records[: plan["keep"]]
    elif op == "trailer_head":
        trailer["head"] = plan["value"]
    elif op == "garble":
        out = [json.dumps(r, sort_keys=True) for r in records] + [json.dumps(trailer, sort_keys=True)]
        out[plan["record"]] = out[plan["record"]][:-7]
        return "\n".join(out) + "\n"
    return (
        "\n".join([*(json.dumps(r, sort_keys=True) for r in records), json.dumps(trailer, sort_keys=True)])
        + "\n"
    )


def _verdict(text: str, head: str | None) -> list[Any]:
    from frankenjax_ref.errors import LedgerError
    from frankenjax_ref.ledger import Ledger

    try:
        Ledger.from_jsonl(text).verify(expected_head=head)
    except LedgerError as exc:
        return [exc.code, exc.where]
    return ["verified", None]


def _detect(ctx: ScenarioContext) -> dict[str, Any]:
    text, head = ctx.state["text"], ctx.state["head"]
    verdicts = {}
    for plan in ctx.inputs["tamperings"]:
        verdicts[plan["name"]] = _verdict(_tamper(text, plan), head)
    ctx.observe("verdicts", verdicts)
    expected_codes = {
        p["name"]: ("FJ-LEDGER-FORMAT" if p["op"] == "garble" else "FJ-LEDGER-TAMPERED")
        for p in ctx.inputs["tamperings"]
    }
    ctx.expect("every_tampering_detected", expected_codes, {k: v[0] for k, v in verdicts.items()})
    return {"verdicts": verdicts}


def _consistent_forgery(ctx: ScenarioContext) -> dict[str, Any]:
    """Edit a decision and recompute every hash: the chain verifies; only the kept head catches it."""
    from frankenjax_ref import ledger

    lines = ctx.state["text"].splitlines()
    records = [json.loads(line) for line in lines[:-1]]
    records[0]["action"] = "refuse"
    prev = ledger.GENESIS
    for r in records:
        r["prev_hash"] = prev
        body = {k: v for k, v in r.items() if k != "hash"}
        r["hash"] = prev = ledger.record_hash(body)
    trailer = {"schema": ledger.SCHEMA, "trailer": True, "count": len(records), "head": prev}
    forged = "\n".join(
        [*(json.dumps(r, sort_keys=True) for r in records), json.dumps(trailer, sort_keys=True)]
    )
    ctx.state["forged"] = forged + "\n"
    ctx.expect("forgery_without_receipt", ["verified", None], _verdict(forged, None))
    ctx.expect("forgery_with_receipt", "FJ-LEDGER-TAMPERED", _verdict(forged, ctx.state["head"])[0])
    return {"forged_head_differs": prev != ctx.state["head"]}


def _cli(ctx: ScenarioContext) -> dict[str, Any]:
    """``fjh ledger verify FILE --head HASH``: 0 on the real export, 1 on tampered ones."""
    from harness.atomicio import write_text
    from harness.cli import main

    files = {
        "original": ctx.state["text"],
        "edited": _tamper(ctx.state["text"], TAMPERINGS[0]),
        "forged": ctx.state["forged"],
    }
    codes = {}
    for name, text in files.items():
        path = write_text(ctx.workdir / f"{name}.ledger.jsonl", text)
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            codes[name] = main(["ledger", "verify", str(path), "--head", ctx.state["head"]])
        ctx.artifact(path, f"ledger export ({name})", kept=False)
    ctx.expect("fjh_ledger_verify_exit_codes", {"original": 0, "edited": 1, "forged": 1}, codes)
    return {"exit_codes": codes}


register(
    Scenario(
        id="e2e_ledger_tamper_detection",
        packet=PACKET,
        description="Real dispatch and cache decisions recorded in a hash-chained ledger; every tampering of "
        "the JSONL export (edited decision, evidence or posterior, dropped, swapped or truncated records, a "
        "moved trailer, garbage) is detected, a consistent re-hashed forgery is caught by the head receipt, "
        "and `fjh ledger verify` agrees.",
        inputs=_inputs,
        steps=(
            Step("record", _record),
            Step("detect_tampering", _detect),
            Step("consistent_forgery", _consistent_forgery),
            Step("cli_verify", _cli),
        ),
        transform_stacks=("jit(grad)", "vmap(grad)", "grad(jit)", "jit"),
        mode="strict+hardened",
    )
)
