"""Every captured fixture case through dispatch (``e2e_p2c001_full_dispatch_pipeline``).

Inputs are the fixture bundles (``fixtures/*.bundle.json``, written by
``fjh capture``) and the reviewed known-divergences file, pinned by path and
SHA-256: bundles are megabytes of IR and arrays, so the log names their exact
content instead of copying it, and a replay refuses to run on files whose
bytes changed (check out the log's ``git_commit``).

For each case with a program the reference accepts, the step runs
:func:`frankenjax_ref.dispatch.run` — composition proof, cache key, ledger
record, execution — and compares the outputs with JAX's under the case's
comparator and tolerance (:func:`harness.conformance.compare.compare_outputs`), or checks
that the reference raises one of the error codes the case accepts when JAX
raised. Dtype-rejection probes and programs the reference rejects have no
dispatch to run; they are judged by :func:`harness.conformance.run_case` and
marked ``path: probe``/``ir_rejected``. A case matched by the reviewed
known-divergences list is ``known_divergence``, never ``pass``. The scenario
passes when no case fails or errors.

The cases run through the harness's executor (a process pool, as for
conformance); the per-case records are deterministic (cache keys, SHA-256 of
the exact outputs, error codes), so a replay must reproduce them bit for bit.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from harness.e2e.model import E2EError, RunOptions, ScenarioContext, file_sha256


def _fixtures_dir(options: RunOptions) -> Path:
    from harness.paths import fixtures_dir

    return options.fixtures_dir or fixtures_dir()


def dispatch_inputs(options: RunOptions) -> dict[str, Any]:
    from harness.conformance.divergences import default_known_divergences_path
    from harness.conformance.fixtures import SUFFIX
    from harness.paths import relative_to_root

    directory = _fixtures_dir(options)
    bundles = sorted(directory.glob(f"*{SUFFIX}"))
    if not bundles:
        raise E2EError(
            "FJ-E2E-INPUTS",
            f"no fixture bundles (*{SUFFIX}) under {directory}",
            hint="capture them with `fjh capture` (the main job, `make run`, does)",
        )
    known = Path(default_known_divergences_path())
    return {
        "bundles": [{"path": relative_to_root(p), "sha256": file_sha256(p)} for p in bundles],
        "known_divergences": {"path": relative_to_root(known), "sha256": file_sha256(known)}
        if known.is_file()
        else None,
    }


def _pinned(ref: dict[str, Any]) -> Path:
    from harness.paths import project_root

    path = Path(ref["path"])
    return path if path.is_absolute() else project_root() / path


def load_cases_step(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.conformance.fixtures import read_bundles

    changed = []
    for ref in [
        *ctx.inputs["bundles"],
        *([ctx.inputs["known_divergences"]] if ctx.inputs["known_divergences"] else []),
    ]:
        path = _pinned(ref)
        if not path.is_file():
            changed.append(f"{ref['path']} is missing")
        elif file_sha256(path) != ref["sha256"]:
            changed.append(f"{ref['path']} changed since the log (sha256 {file_sha256(path)[:12]}...)")
        else:
            ctx.artifact(path, "input")
    if changed:
        ctx.fail("pinned inputs differ: " + "; ".join(changed))
    bundles = read_bundles([_pinned(ref) for ref in ctx.inputs["bundles"]])
    cases = [c for b in bundles for c in b.cases]
    ctx.state["cases"] = cases
    ctx.observe("case_count", len(cases))
    return {
        "bundles": [
            {
                "family": b.family,
                "cases": len(b.cases),
                "capture_mode": b.capture_mode,
                "skipped": len(b.skipped),
            }
            for b in bundles
        ],
        "cases": len(cases),
        "capture_modes": sorted({b.capture_mode for b in bundles}),
    }


def dispatch_case(case: dict[str, Any]) -> dict[str, Any]:
    """One case: dispatch it (or hand a probe to conformance) and judge it. Never raises."""
    import traceback

    import numpy as np

    from frankenjax_ref import dispatch, ledger
    from frankenjax_ref.errors import FJError
    from harness.conformance.compare import compare_outputs
    from harness.conformance.fixtures import decode_case
    from harness.e2e import values

    record: dict[str, Any] = {
        "case_id": case["case_id"],
        "stack": case["stack_signature"],
        "path": "dispatch",
        "cache_key": None,
        "stack_hash": None,
        "outputs_sha256": None,
        "error_codes": None,
    }
    try:
        fc = decode_case(case, where=case["case_id"])
    except FJError as exc:
        return {
            **record,
            "path": "bad_fixture",
            "status": "error",
            "kind": "bad_fixture",
            "message": str(exc),
        }
    if fc.closed is None:  # a dtype-rejection probe, or JAX's program rejected by the reference's reader
        from harness.conformance.runner import run_case

        judged = run_case(case)
        path = "ir_rejected" if fc.ir_error is not None else "probe"
        return {
            **record,
            "path": path,
            "status": judged["status"],
            "kind": judged["kind"],
            "message": judged["message"],
        }
    try:
        with ledger.using(ledger.Ledger()):
            result = dispatch.run(fc.closed, fc.stack, fc.inputs)
    except FJError as exc:
        codes = exc.chain_codes()
        record["error_codes"] = codes
        if fc.expected_error is not None and set(codes) & set(fc.expected_error["codes"]):
            return {**record, "status": "pass", "kind": "error_agrees", "message": exc.message[:300]}
        kind = "wrong_error" if fc.expected_error is not None else "reference_error"
        status = "fail" if fc.expected_error is not None else "error"
        return {
            **record,
            "status": status,
            "kind": kind,
            "message": f"[{', '.join(codes)}] {exc.message}"[:600],
        }
    except Exception as exc:  # an untyped exception from the reference is a bug to report, not to hide
        tb = traceback.format_exception(exc)[-3:]
        return {
            **record,
            "status": "error",
            "kind": "crash",
            "message": f"{type(exc).__name__}: {exc}"[:300],
            "traceback": "".join(tb)[-1500:],
        }
    outputs = [np.asarray(o) for o in result.outputs]
    record.update(
        cache_key=result.cache_key,
        stack_hash=result.proof.stack_hash,
        outputs_sha256=values.fixture_id(values.encode(outputs)),
    )
    if fc.expected_error is not None:
        return {
            **record,
            "status": "fail",
            "kind": "no_error",
            "message": f"JAX raised {fc.expected_error['jax_exception']}; the reference returned normally",
        }
    cmp = compare_outputs(fc.expected_outputs or [], outputs, fc.tolerance)
    return {**record, "status": "pass" if cmp.ok else "fail", "kind": cmp.kind, "message": cmp.message[:600]}


def dispatch_batch(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A task of the executor: a batch of raw case objects.

    NumPy's floating-point warnings (overflow to inf, invalid to NaN) are
    silenced: edge-value cases produce them on purpose, and the comparison
    with JAX's outputs is what judges the values.
    """
    import warnings

    import numpy as np

    from harness.conformance.executor import ensure_ready

    ensure_ready()
    out = []
    for case in cases:
        t0 = time.perf_counter()
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            record = dispatch_case(case)
        record["seconds"] = round(time.perf_counter() - t0, 6)
        out.append(record)
    return out


def dispatch_all_step(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.conformance.executor import default_jobs, make_executor, run_batched

    cases = ctx.state["cases"]
    jobs = ctx.options.jobs
    executor = make_executor(default_jobs() if jobs is None else jobs)
    try:
        records = run_batched(executor, dispatch_batch, list(cases), describe=lambda c: c["case_id"])
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    ctx.state["records"] = records
    paths = Counter(r["path"] for r in records)
    slowest = sorted(records, key=lambda r: -r["seconds"])[:5]
    return {
        "dispatched": paths.get("dispatch", 0),
        "by_path": dict(sorted(paths.items())),
        "distinct_cache_keys": len({r["cache_key"] for r in records if r["cache_key"]}),
        "distinct_stacks": sorted({r["stack"] for r in records}),
        "case_seconds_total": round(sum(r["seconds"] for r in records), 3),
        "slowest": [{"case_id": r["case_id"], "seconds": r["seconds"]} for r in slowest],
    }


def judge_step(ctx: ScenarioContext) -> dict[str, Any]:
    from harness.conformance.divergences import load_known_divergences

    ref = ctx.inputs["known_divergences"]
    known = load_known_divergences(_pinned(ref) if ref else None)
    records = ctx.state["records"]
    for r in records:
        entry = known.match(r["case_id"])
        r["divergence"] = entry.id if entry else None
        if entry is not None:
            r["status"] = "known_divergence"
    totals = Counter(r["status"] for r in records)
    bad = [r for r in records if r["status"] in ("fail", "error")]
    ctx.expect("cases_failing_or_erroring", [], sorted(r["case_id"] for r in bad))
    ctx.observe("totals", dict(sorted(totals.items())))
    ctx.observe(
        "cases",
        {
            r["case_id"]: {
                "status": r["status"],
                "kind": r["kind"],
                "path": r["path"],
                "cache_key": r["cache_key"],
                "outputs_sha256": r["outputs_sha256"],
                "error_codes": r["error_codes"],
            }
            for r in records
        },
    )
    return {
        "totals": dict(sorted(totals.items())),
        "known_divergence_entries": len(known.entries),
        "failing": [
            {"case_id": r["case_id"], "stack": r["stack"], "kind": r["kind"], "message": r["message"]}
            for r in bad[:200]
        ],
    }
