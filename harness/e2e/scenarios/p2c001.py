"""Packet P2C-001: dispatch — transform stacks as data, proofs, order, modes, determinism, scale.

Every scenario runs the reference through :func:`frankenjax_ref.dispatch.run`
(composition proof, cache key, ledger record, execution), with its decisions
sent to a private ledger so runs do not see each other's records.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from harness.e2e.model import RunOptions, Scenario, ScenarioContext, Step
from harness.e2e.registry import register
from harness.e2e.scenarios import programs
from harness.e2e.values import Tolerance

PACKET = "P2C-001"
#: Two computations of the same mathematical value by different operation orders.
CLOSE = Tolerance("allclose", atol=1e-12, rtol=1e-12)


def _np() -> Any:
    import numpy as np

    return np


def _fresh_ledger() -> Any:
    from frankenjax_ref import ledger

    return ledger.using(ledger.Ledger())


def _trace_step(ctx: ScenarioContext) -> dict[str, Any]:
    """Trace the named program at its arguments; the IR is kept in state and in the log."""
    from frankenjax_ref import ir

    closed = programs.trace(ctx.inputs["program"], ctx.inputs["trace_args"])
    ctx.state["closed"] = closed
    fp = ir.fingerprint(closed)
    ctx.observe("program_fingerprint", fp)
    return {"fingerprint": fp, "equations": len(closed.jaxpr.equations), "ir": closed}


def _dispatch_summary(result: Any) -> dict[str, Any]:
    return {
        "signature": result.proof.signature,
        "stack_hash": result.proof.stack_hash,
        "cache_key": result.cache_key,
        "evidence": [
            {"index": e.index, "transform": e.transform, "in": e.in_signature, "out": e.out_signature}
            for e in result.proof.evidence
        ],
    }


# --- full_dispatch_pipeline ---------------------------------------------------------------------


def _bundle_inputs(options: RunOptions) -> dict[str, Any]:
    from harness.e2e.scenarios import bundles

    return bundles.dispatch_inputs(options)


def _load_cases(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.e2e.scenarios import bundles

    return bundles.load_cases_step(ctx)


def _dispatch_all(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.e2e.scenarios import bundles

    return bundles.dispatch_all_step(ctx)


def _judge_cases(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.e2e.scenarios import bundles

    return bundles.judge_step(ctx)


register(
    Scenario(
        id="e2e_p2c001_full_dispatch_pipeline",
        packet=PACKET,
        description="Every captured fixture case (fixtures/*.json bundles from `fjh capture`) through "
        "dispatch: parse its stack, prove, key, run on the reference, compare with JAX's recorded outputs "
        "under the case's comparator and tolerance.",
        inputs=_bundle_inputs,
        steps=(
            Step("load_cases", _load_cases, "verify each bundle's SHA-256 and read its cases"),
            Step("dispatch_all", _dispatch_all, "dispatch.run every case (proof, cache key, outputs)"),
            Step("judge", _judge_cases, "compare with the recorded JAX outputs per the tolerance policy"),
        ),
        mode="strict",
        timeout_seconds=1800.0,
    )
)


# --- transform_order_enforcement ----------------------------------------------------------------


def _order_inputs(options: RunOptions) -> dict[str, Any]:
    np = _np()
    return {
        "program": "sin_x_times_x",
        "trace_args": [np.linspace(-1.5, 2.0, 4)],
        "batch": np.linspace(-2.0, 2.5, 12).reshape(3, 4),
    }


def _vmap_of_grad(ctx: ScenarioContext) -> dict[str, Any]:
    from frankenjax_ref import dispatch

    np = _np()
    xb = ctx.inputs["batch"]
    with _fresh_ledger() as led:
        result = dispatch.run(ctx.state["closed"], "vmap(grad)", [xb])
        ctx.state["ledger"] = led
    out = np.asarray(result.outputs[0])
    ctx.state["vmap_grad_output"] = out
    ctx.observe("vmap_grad_output", out)
    ctx.expect("vmap_grad_shape", list(xb.shape), list(out.shape))
    # d/dx sum(sin(x) * x) = cos(x) * x + sin(x), row by row
    ctx.expect("vmap_grad_matches_calculus", np.cos(xb) * xb + np.sin(xb), out, CLOSE)
    ctx.observe("vmap_grad_proof", _dispatch_summary(result))
    return _dispatch_summary(result)


def _grad_of_vmap_rejected(ctx: ScenarioContext) -> dict[str, Any]:
    from frankenjax_ref import dispatch, ledger
    from frankenjax_ref.errors import DispatchError

    led = ctx.state["ledger"]
    with ledger.using(led):
        try:
            result = dispatch.run(ctx.state["closed"], "grad(vmap)", [ctx.inputs["batch"]])
        except DispatchError as exc:
            error = exc
        else:
            ctx.fail(
                f"grad(vmap(f)) of a vector-valued vmap ran (outputs {len(result.outputs)}); JAX rejects it"
            )
    ctx.expect("grad_vmap_error_code", "FJ-DISPATCH-PROOF", error.code)
    ctx.expect("grad_vmap_cause_is_nonscalar_grad", True, "FJ-GRAD-NONSCALAR" in error.message)
    ctx.expect("grad_vmap_failing_layer", "stack[0]", error.where)
    actions = [(r.kind, r.action) for r in led.records]
    ctx.expect(
        "ledger_dispatch_actions", [["dispatch", "run"], ["dispatch", "refuse"]], [list(a) for a in actions]
    )
    ctx.expect("ledger_chain_verifies", len(led.records), led.verify())
    return {"error": error.to_json(), "ledger_records": len(led.records)}


def _jit_grad_both_orders(ctx: ScenarioContext) -> dict[str, Any]:
    from frankenjax_ref import dispatch

    np = _np()
    x = ctx.inputs["trace_args"][0]
    with _fresh_ledger():
        inner = dispatch.run(ctx.state["closed"], "jit(grad)", [x])
        outer = dispatch.run(ctx.state["closed"], "grad(jit)", [x])
    a, b = np.asarray(inner.outputs[0]), np.asarray(outer.outputs[0])
    ctx.observe("jit_grad_output", a)
    ctx.observe("grad_jit_output", b)
    ctx.expect("jit_grad_equals_grad_jit", a, b, CLOSE)
    ctx.expect("orders_have_distinct_stack_hashes", True, inner.proof.stack_hash != outer.proof.stack_hash)
    ctx.expect("orders_have_distinct_cache_keys", True, inner.cache_key != outer.cache_key)
    return {"jit(grad)": _dispatch_summary(inner), "grad(jit)": _dispatch_summary(outer)}


def _jax_agrees_on_order(ctx: ScenarioContext) -> dict[str, Any]:
    """JAX (the oracle) runs vmap(grad) and rejects grad(vmap) on the same program, when installed."""
    from harness.e2e.scenarios import oracle_checks

    return oracle_checks.order_check(ctx)


register(
    Scenario(
        id="e2e_p2c001_transform_order_enforcement",
        packet=PACKET,
        description="vmap(grad(f)) runs and matches calculus; grad(vmap(f)) of a vector-valued map is "
        "rejected by the composition proof (FJ-DISPATCH-PROOF naming FJ-GRAD-NONSCALAR) exactly where "
        "JAX rejects it; the ledger records run then refuse; jit(grad) and grad(jit) agree, keyed apart.",
        inputs=_order_inputs,
        steps=(
            Step("trace", _trace_step),
            Step("vmap_of_grad", _vmap_of_grad),
            Step("grad_of_vmap_rejected", _grad_of_vmap_rejected),
            Step("jit_grad_both_orders", _jit_grad_both_orders),
            Step("jax_agrees", _jax_agrees_on_order),
        ),
        transform_stacks=("vmap(grad)", "grad(vmap)", "jit(grad)", "grad(jit)"),
        mode="strict",
    )
)


# --- vmap_rank2_tensor_support ------------------------------------------------------------------


def _rank2_inputs(options: RunOptions) -> dict[str, Any]:
    np = _np()
    m = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    batch = np.sin(np.arange(5 * 3 * 4, dtype=np.float64)).reshape(5, 3, 4)
    return {
        "program": "rank2_features",
        "trace_args": [m],
        "batch_axis0": batch,
        "batch_axis2": np.ascontiguousarray(np.moveaxis(batch, 0, 2)),
        "energy_program": "rank2_energy",
    }


def _vmap_rank2(ctx: ScenarioContext) -> dict[str, Any]:
    from frankenjax_ref import dispatch
    from frankenjax_ref.interpreters.eval import eval_jaxpr

    np = _np()
    closed = ctx.state["closed"]
    batch = ctx.inputs["batch_axis0"]
    with _fresh_ledger():
        r0 = dispatch.run(closed, "vmap", [batch])
        stack2 = dispatch.stack_from_json([{"transform": "vmap", "params": {"in_axes": 2, "out_axes": 1}}])
        r2 = dispatch.run(closed, stack2, [ctx.inputs["batch_axis2"]])
        rj = dispatch.run(closed, "jit(vmap)", [batch])
    out0, out2, outj = (np.asarray(r.outputs[0]) for r in (r0, r2, rj))
    loop = np.stack([np.asarray(eval_jaxpr(closed, batch[i])[0]) for i in range(batch.shape[0])])
    ctx.observe("vmap_axis0_output", out0)
    ctx.expect("vmap_axis0_shape", [5, 4], list(out0.shape))
    ctx.expect("vmap_axis0_matches_loop", loop, out0, CLOSE)
    ctx.expect("vmap_in2_out1_shape", [4, 5], list(out2.shape))
    ctx.expect("vmap_in2_out1_matches_loop", loop.T, out2, CLOSE)
    ctx.expect("jit_vmap_matches_vmap", out0, outj, CLOSE)
    ctx.observe("vmap_in2_out1_output", out2)
    return {
        "vmap": _dispatch_summary(r0),
        "vmap[in_axes=2,out_axes=1]": _dispatch_summary(r2),
        "jit(vmap)": _dispatch_summary(rj),
    }


def _vmap_grad_rank2(ctx: ScenarioContext) -> dict[str, Any]:
    from frankenjax_ref import dispatch

    np = _np()
    energy = programs.trace(ctx.inputs["energy_program"], ctx.inputs["trace_args"])
    batch = ctx.inputs["batch_axis0"]
    with _fresh_ledger():
        result = dispatch.run(energy, "vmap(grad)", [batch])
    out = np.asarray(result.outputs[0])
    # d/dm sum(tanh(m) * m) = (1 - tanh(m)^2) * m + tanh(m)
    t = np.tanh(batch)
    ctx.expect("vmap_grad_rank2_shape", [5, 3, 4], list(out.shape))
    ctx.expect("vmap_grad_rank2_matches_calculus", (1 - t * t) * batch + t, out, CLOSE)
    ctx.observe("vmap_grad_rank2_output", out)
    return _dispatch_summary(result)


register(
    Scenario(
        id="e2e_p2c001_vmap_rank2_tensor_support",
        packet=PACKET,
        description="vmap over rank-2 examples (batch [5,3,4]): leading and non-leading in_axes, out_axes, "
        "jit(vmap), and vmap(grad) of a rank-2 energy, each matching a per-example loop or calculus.",
        inputs=_rank2_inputs,
        steps=(
            Step("trace", _trace_step),
            Step("vmap_rank2", _vmap_rank2),
            Step("vmap_grad_rank2", _vmap_grad_rank2),
        ),
        transform_stacks=("vmap", "jit(vmap)", "vmap(grad)"),
        mode="strict",
    )
)


# --- trace_to_ir_roundtrip ----------------------------------------------------------------------


def _roundtrip_inputs(options: RunOptions) -> dict[str, Any]:
    np = _np()
    return {
        "program": "mlp_loss",
        "trace_args": [
            np.linspace(-0.5, 0.5, 12).reshape(4, 3),
            np.array([0.1, -0.2, 0.3]),
            np.linspace(0.0, 1.0, 8).reshape(2, 4),
        ],
        "hash_seeds": ["0", "12345"],
    }


def _serialize_roundtrip(ctx: ScenarioContext) -> dict[str, Any]:
    from frankenjax_ref import ir

    closed = ctx.state["closed"]
    text = ir.dumps(closed)
    again = ir.loads(text)
    ctx.state["text"] = text
    ctx.expect("dumps_loads_dumps_identical", True, ir.dumps(again) == text)
    ctx.expect("fingerprint_after_loads", ir.fingerprint(closed), ir.fingerprint(again))
    ctx.state["loaded"] = again
    return {"bytes": len(text.encode()), "fingerprint": ir.fingerprint(again)}


def _retrace_loaded(ctx: ScenarioContext) -> dict[str, Any]:
    """Rebuild: trace eval_jaxpr of the *loaded* program; the canonical IR must not change."""
    import frankenjax_ref as fj
    from frankenjax_ref import ir

    loaded = ctx.state["loaded"]
    rebuilt = fj.make_jaxpr(lambda *a: fj.eval_jaxpr(loaded, *a)[0])(*ctx.inputs["trace_args"])
    ctx.expect("fingerprint_after_retrace", ir.fingerprint(ctx.state["closed"]), ir.fingerprint(rebuilt))
    return {"fingerprint": ir.fingerprint(rebuilt), "equations": len(rebuilt.jaxpr.equations)}


_REBUILD_SNIPPET = """
import json, sys
from harness.e2e.scenarios import programs
from harness.e2e import values
from frankenjax_ref import ir
doc = json.load(sys.stdin)
args = values.decode(doc["args"])
closed = programs.trace(doc["program"], args)
print(json.dumps({"fingerprint": ir.fingerprint(closed), "loaded": ir.fingerprint(ir.loads(doc["text"]))}))
"""


def _rebuild_in_fresh_processes(ctx: ScenarioContext) -> dict[str, Any]:
    """Trace again in new interpreters with different hash seeds: same fingerprint."""
    import json

    from frankenjax_ref import ir
    from harness.e2e import values

    ir_fp = ir.fingerprint(ctx.state["closed"])
    payload = json.dumps(
        {
            "program": ctx.inputs["program"],
            "args": values.encode(ctx.inputs["trace_args"]),
            "text": ctx.state["text"],
        }
    )
    seen = {}
    for seed in ctx.inputs["hash_seeds"]:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", _REBUILD_SNIPPET],
            input=payload,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            ctx.fail(f"rebuild with PYTHONHASHSEED={seed} exited {proc.returncode}: {proc.stderr[-1500:]}")
        got = json.loads(proc.stdout.strip().splitlines()[-1])
        seen[seed] = got
        ctx.expect(f"fingerprint_fresh_process_seed_{seed}", ir_fp, got["fingerprint"])
        ctx.expect(f"fingerprint_loaded_fresh_process_seed_{seed}", ir_fp, got["loaded"])
    return {"per_hash_seed": seen}


register(
    Scenario(
        id="e2e_p2c001_trace_to_ir_roundtrip",
        packet=PACKET,
        description="Trace an MLP loss to canonical IR; dumps -> loads -> dumps is byte-identical; the "
        "fingerprint is unchanged after loading, after re-tracing the loaded program, and after rebuilding "
        "from source in fresh interpreters with different hash seeds.",
        inputs=_roundtrip_inputs,
        steps=(
            Step("trace", _trace_step),
            Step("serialize_roundtrip", _serialize_roundtrip),
            Step("retrace_loaded", _retrace_loaded),
            Step("rebuild_fresh_processes", _rebuild_in_fresh_processes),
        ),
        mode=None,
    )
)


# --- transform_stack_composition ----------------------------------------------------------------


def _composition_inputs(options: RunOptions) -> dict[str, Any]:
    np = _np()
    return {
        "program": "square",
        "trace_args": [np.float64(3.0)],
        "x": np.float64(3.0),
        "xs": np.array([1.0, 2.0, 3.0]),
    }


def _compose(ctx: ScenarioContext) -> dict[str, Any]:
    from frankenjax_ref import dispatch

    np = _np()
    closed = ctx.state["closed"]
    x, xs = ctx.inputs["x"], ctx.inputs["xs"]
    cases = {
        "jit(grad)": ([x], np.float64(6.0)),
        "grad(jit)": ([x], np.float64(6.0)),
        "jit(grad(grad))": ([x], np.float64(2.0)),
        "vmap(jit(grad))": ([xs], np.array([2.0, 4.0, 6.0])),
        "jit(vmap(grad))": ([xs], np.array([2.0, 4.0, 6.0])),
    }
    produced = {}
    with _fresh_ledger() as led:
        for stack, (args, want) in cases.items():
            result = dispatch.run(closed, stack, args)
            got = np.asarray(result.outputs[0])
            ctx.expect(f"x_squared:{stack}", want, got)
            produced[stack] = {"output": got, **_dispatch_summary(result)}
    ctx.expect(
        "ledger_records_one_run_per_stack",
        [["dispatch", "run"]] * len(cases),
        [[r.kind, r.action] for r in led.records if r.kind == "dispatch"],
    )
    return produced


register(
    Scenario(
        id="e2e_p2c001_transform_stack_composition",
        packet=PACKET,
        description="jit(grad(x^2))(3) = 6 exactly, and its relatives: grad(jit) = 6, jit(grad(grad)) = 2, "
        "vmap(jit(grad)) and jit(vmap(grad)) on [1,2,3] = [2,4,6]; each dispatch is proved and recorded.",
        inputs=_composition_inputs,
        steps=(Step("trace", _trace_step), Step("compose", _compose)),
        transform_stacks=("jit(grad)", "grad(jit)", "jit(grad(grad))", "vmap(jit(grad))", "jit(vmap(grad))"),
        mode="strict",
    )
)


# --- strict_vs_hardened_mode_split --------------------------------------------------------------


def _modes_inputs(options: RunOptions) -> dict[str, Any]:
    np = _np()
    return {
        "program": "softmax_xent",
        "trace_args": [np.array([1.0, -0.5, 2.0, 0.25]), np.array([0.0, 0.0, 1.0, 0.0])],
        "stack": "jit(grad)",
        "unknown_features": ["fj.experimental.fast_math", "fj.experimental.fusion_v9"],
    }


def _strict_rejects(ctx: ScenarioContext) -> dict[str, Any]:
    from frankenjax_ref import dispatch
    from frankenjax_ref.errors import CacheError

    with _fresh_ledger() as led:
        try:
            dispatch.run(
                ctx.state["closed"],
                ctx.inputs["stack"],
                ctx.inputs["trace_args"],
                mode="strict",
                unknown_features=ctx.inputs["unknown_features"],
            )
        except CacheError as exc:
            error = exc
        else:
            ctx.fail("strict mode ran a program with unknown features")
    ctx.expect("strict_error_code", "FJ-CACHE-UNKNOWN-FEATURE", error.code)
    ctx.expect(
        "strict_error_names_features", True, all(f in error.message for f in ctx.inputs["unknown_features"])
    )
    ctx.expect("strict_ledger", [["unknown_feature", "reject"]], [[r.kind, r.action] for r in led.records])
    return {"error": error.to_json()}


def _hardened_accepts(ctx: ScenarioContext) -> dict[str, Any]:
    from frankenjax_ref import dispatch

    np = _np()
    closed, stack, args = ctx.state["closed"], ctx.inputs["stack"], ctx.inputs["trace_args"]
    features = ctx.inputs["unknown_features"]
    with _fresh_ledger() as led:
        hardened = dispatch.run(closed, stack, args, mode="hardened", unknown_features=features)
        hardened_plain = dispatch.run(closed, stack, args, mode="hardened")
        strict_plain = dispatch.run(closed, stack, args, mode="strict")
        reordered = dispatch.run(
            closed, stack, args, mode="hardened", unknown_features=list(reversed(features))
        )
    outs = {
        name: np.asarray(r.outputs[0])
        for name, r in (
            ("hardened", hardened),
            ("hardened_plain", hardened_plain),
            ("strict_plain", strict_plain),
        )
    }
    ctx.expect("hardened_outputs_equal_strict", outs["strict_plain"], outs["hardened"])
    ctx.expect("hardened_key_differs_from_strict", True, hardened.cache_key != strict_plain.cache_key)
    ctx.expect("hardened_key_differs_without_features", True, hardened.cache_key != hardened_plain.cache_key)
    ctx.expect("feature_order_does_not_change_key", hardened.cache_key, reordered.cache_key)
    ctx.expect(
        "hardened_ledger_actions",
        ["accept_and_record", "run", "run", "run", "accept_and_record", "run"],
        [r.action for r in led.records if r.kind in ("dispatch", "unknown_feature")],
    )
    recorded = [r.evidence.get("features") for r in led.records if r.kind == "unknown_feature"]
    ctx.expect("ledger_records_the_features", [sorted(features)] * 2, recorded)
    ctx.observe(
        "cache_keys",
        {
            "strict": strict_plain.cache_key,
            "hardened": hardened.cache_key,
            "hardened_without_features": hardened_plain.cache_key,
        },
    )
    ctx.observe("output", outs["hardened"])
    return {
        "cache_keys": {
            "strict": strict_plain.cache_key,
            "hardened": hardened.cache_key,
            "hardened_plain": hardened_plain.cache_key,
        },
        "ledger_records": len(led.records),
    }


register(
    Scenario(
        id="e2e_p2c001_strict_vs_hardened_mode_split",
        packet=PACKET,
        description="Strict mode rejects unknown compile features (FJ-CACHE-UNKNOWN-FEATURE, ledger: "
        "reject); hardened accepts them, computes the same outputs under a different cache key, and "
        "records them in the ledger.",
        inputs=_modes_inputs,
        steps=(
            Step("trace", _trace_step),
            Step("strict_rejects", _strict_rejects),
            Step("hardened_accepts", _hardened_accepts),
        ),
        transform_stacks=("jit(grad)",),
        mode="strict+hardened",
    )
)


# --- ir_determinism_under_replay ----------------------------------------------------------------


def _determinism_inputs(options: RunOptions) -> dict[str, Any]:
    np = _np()
    return {
        "program": "mlp_loss",
        "trace_args": [
            np.cos(np.arange(12.0)).reshape(4, 3),
            np.array([0.05, -0.1, 0.2]),
            np.sin(np.arange(8.0)).reshape(2, 4),
        ],
        "replays": 100,
        "stack": "jit(grad)",
    }


def _replay_many(ctx: ScenarioContext) -> dict[str, Any]:
    import hashlib

    from frankenjax_ref import dispatch, ir
    from harness.e2e import values

    text = ir.dumps(ctx.state["closed"])
    digests: dict[str, set[str]] = {
        "ir_bytes": set(),
        "fingerprint": set(),
        "outputs": set(),
        "cache_key": set(),
        "proof": set(),
    }
    n = int(ctx.inputs["replays"])
    with _fresh_ledger():
        for _ in range(n):
            loaded = ir.loads(text)
            again = ir.dumps(loaded)
            digests["ir_bytes"].add(hashlib.sha256(again.encode()).hexdigest())
            digests["fingerprint"].add(ir.fingerprint(loaded))
            result = dispatch.run(loaded, ctx.inputs["stack"], ctx.inputs["trace_args"])
            encoded = values.encode([_np().asarray(o) for o in result.outputs])
            digests["outputs"].add(values.fixture_id(encoded))
            digests["cache_key"].add(result.cache_key)
            digests["proof"].add(values.fixture_id(result.proof.to_json()))
    ctx.expect("replays", n, n)
    for name, seen in digests.items():
        ctx.expect(f"distinct_{name}_over_replays", 1, len(seen))
    ctx.expect(
        "ir_bytes_equal_original", [hashlib.sha256(text.encode()).hexdigest()], sorted(digests["ir_bytes"])
    )
    ctx.observe("output_digest", sorted(digests["outputs"]))
    ctx.observe("cache_key", sorted(digests["cache_key"]))
    return {name: sorted(seen) for name, seen in digests.items()}


register(
    Scenario(
        id="e2e_p2c001_ir_determinism_under_replay",
        packet=PACKET,
        description="100 replays of load -> dump -> dispatch(jit(grad)) of one program: identical IR bytes, "
        "fingerprints, proofs, cache keys and output bits every time.",
        inputs=_determinism_inputs,
        steps=(Step("trace", _trace_step), Step("replay_100", _replay_many)),
        transform_stacks=("jit(grad)",),
        mode="strict",
    )
)


# --- large_jaxpr_stress -------------------------------------------------------------------------


def _stress_inputs(options: RunOptions) -> dict[str, Any]:
    np = _np()
    return {
        "equations": 10_000,
        "x": np.linspace(0.1, 0.9, 8),
        "batch": np.linspace(-0.5, 0.5, 24).reshape(3, 8),
    }


def _build_large(ctx: ScenarioContext) -> dict[str, Any]:
    import frankenjax_ref as fj
    from frankenjax_ref import ir

    n = int(ctx.inputs["equations"])
    closed = fj.make_jaxpr(programs.chain_program(n))(ctx.inputs["x"])
    ctx.state["closed"] = closed
    ctx.expect("equation_count", n, len(closed.jaxpr.equations))
    text = ir.dumps(closed)
    loaded = ir.loads(text)
    ctx.expect("fingerprint_after_loads", ir.fingerprint(closed), ir.fingerprint(loaded))
    ctx.observe("program_fingerprint", ir.fingerprint(closed))
    ctx.state["closed"] = loaded
    return {
        "equations": len(closed.jaxpr.equations),
        "ir_bytes": len(text.encode()),
        "fingerprint": ir.fingerprint(closed),
    }


def _stress_under(ctx: ScenarioContext, stack: str) -> dict[str, Any]:
    from frankenjax_ref import dispatch

    np = _np()
    n = int(ctx.inputs["equations"])
    x, batch = ctx.inputs["x"], ctx.inputs["batch"]
    with _fresh_ledger():
        result = dispatch.run(ctx.state["closed"], stack, [batch if stack == "vmap" else x])
    out = np.asarray(result.outputs[0])
    if stack == "jit":
        value, _ = programs.chain_reference(n, x)
        ctx.expect("jit_value_matches_numpy", np.asarray(value), out, Tolerance("allclose", 1e-9, 1e-9))
    elif stack == "grad":
        _, derivative = programs.chain_reference(n, x)
        ctx.expect("grad_matches_chain_rule", derivative, out, Tolerance("allclose", 1e-9, 1e-9))
    else:
        rows = np.array([programs.chain_reference(n, row)[0] for row in batch])
        ctx.expect("vmap_matches_per_row_numpy", rows, out, Tolerance("allclose", 1e-9, 1e-9))
    ctx.observe(f"{stack}_output", out)
    return {"output_shape": list(out.shape), **_dispatch_summary(result)}


register(
    Scenario(
        id="e2e_p2c001_large_jaxpr_stress",
        packet=PACKET,
        description="A 10,000-equation program (sin/mul/add chain + reduce_sum) survives canonical JSON and "
        "runs under jit, grad and vmap, matching NumPy (value, chain-rule derivative, per-row loop).",
        inputs=_stress_inputs,
        steps=(
            Step("build", _build_large),
            Step("jit", lambda ctx: _stress_under(ctx, "jit")),
            Step("grad", lambda ctx: _stress_under(ctx, "grad")),
            Step("vmap", lambda ctx: _stress_under(ctx, "vmap")),
        ),
        transform_stacks=("jit", "grad", "vmap"),
        mode="strict",
        timeout_seconds=900.0,
        slow=True,
    )
)
