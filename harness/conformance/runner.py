"""``fjh conformance``: every fixture case through the reference, compared with JAX's outputs.

Library entry point::

    from harness.conformance.runner import run_conformance
    report = run_conformance(fixtures=["fixtures"], report_dir="artifacts/conformance", jobs=2)
    report.ok, report.totals["pass_rate"]

Per case (in a worker, :func:`conform_batch`): decode the case, run its
program through the reference under its stack with
:func:`frankenjax_ref.dispatch.run` (composition proof, ledger record,
order-sensitive execution — each case with a fresh ledger), and compare
with :func:`harness.conformance.compare.compare_outputs` under the case's tolerance.
Statuses:

* ``pass`` — every output within tolerance; for a case where JAX raised,
  the reference raised a typed error with one of the case's codes (or, for
  a primitive error JAX only raised after tracing, its type checker already
  refused the program: ``FJ-IR-TYPE-MISMATCH``);
* ``fail`` — outputs differ (the ``kind`` says how: value, nan, inf,
  signed_zero, shape, dtype, arity), or JAX raised and the reference did not
  (``no_error``) or raised another code (``wrong_error``);
* ``error`` — the reference raised where JAX returned (``reference_error``,
  with the code; ``crash`` for an untyped exception), or could not decode or
  type-check JAX's program (``ir_rejected``);
* ``known_divergence`` — the case matches an entry of the reviewed
  known-divergences list (never reported as ``pass``; ``still_diverges``
  says whether the comparison failed this time).

The parity report (``frankenjax.parity-report.v1``, schema-checked) has
totals, per-family, per-primitive and per-stack tables, the worst errors,
an error histogram (ULP buckets and failure kinds) and one result per case;
:func:`render_markdown` and :func:`render_junit` give the Markdown summary
and JUnit XML (:mod:`harness.conformance.report`). ``report.ok`` (exit 0)
only when every case passes or is a known divergence.
"""

from __future__ import annotations

import hashlib
import math
import time
import traceback
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from frankenjax_ref.errors import FJError
from harness.conformance.report import ParityReport, build_report, write_report

# --- the worker side ------------------------------------------------------------------------------------


def _result(case: dict[str, Any], status: str, kind: str, message: str, **extra: Any) -> dict[str, Any]:
    out = {
        "case_id": case["case_id"],
        "family": case["family"],
        "program": case["program"],
        "primitive": case["primitive"],
        "primitives": case["primitives"],
        "stack": case["stack_signature"],
        "capture_mode": case["capture_mode"],
        "status": status,
        "kind": kind,
        "message": message[:600],
        "max_ulp": None,
        "max_abs_err": None,
        "max_rel_err": None,
        "reference_error": None,
        "seconds": 0.0,
    }
    out.update(extra)
    return out


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """One case through the reference (the decoded-case errors are the bundle reader's business)."""
    from frankenjax_ref import dispatch, ledger
    from harness.conformance.compare import compare_outputs
    from harness.conformance.fixtures import decode_case

    fc = decode_case(case, where=case["case_id"])
    if fc.ir_error is not None:
        expected_codes = (fc.expected_error or {}).get("codes", [])
        if fc.ir_error["code"] == "FJ-IR-TYPE-MISMATCH" and any(
            c.startswith("FJ-PRIM-") for c in expected_codes
        ):
            # JAX traced the program and raised later; the reference's type checker already refuses it
            return _result(
                case,
                "pass",
                "error_agrees",
                f"JAX raised {fc.expected_error['jax_exception']}, the reference rejects the program: "  # type: ignore[index]
                f"[{fc.ir_error['code']}] {fc.ir_error['message']}",
                reference_error=fc.ir_error,
            )
        return _result(
            case,
            "error",
            "ir_rejected",
            f"the reference rejects JAX's program: [{fc.ir_error['code']}] {fc.ir_error['message']}",
            reference_error=fc.ir_error,
        )
    try:
        with ledger.using(ledger.Ledger()):
            if fc.closed is None:
                outputs = _probe(fc.probe or {})
            else:
                outputs = dispatch.run(fc.closed, fc.stack, fc.inputs).outputs
    except FJError as exc:
        codes = exc.chain_codes()
        err = {"code": exc.code, "codes": codes, "message": exc.message}
        if fc.expected_error is not None:
            if set(codes) & set(fc.expected_error["codes"]):
                return _result(
                    case,
                    "pass",
                    "error_agrees",
                    f"JAX raised {fc.expected_error['jax_exception']}, the reference [{', '.join(codes)}]",
                    reference_error=err,
                )
            return _result(
                case,
                "fail",
                "wrong_error",
                f"JAX raised {fc.expected_error['jax_exception']} (expect {fc.expected_error['codes']}), "
                f"the reference raised [{', '.join(codes)}] {exc.message}",
                reference_error=err,
            )
        return _result(
            case, "error", "reference_error", f"[{', '.join(codes)}] {exc.message}", reference_error=err
        )
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
        return _result(
            case,
            "error",
            "crash",
            f"{type(exc).__name__}: {exc}{where}",
            reference_error={"code": None, "codes": [], "message": f"{type(exc).__name__}: {exc}"},
        )
    if fc.expected_error is not None:
        return _result(
            case,
            "fail",
            "no_error",
            f"JAX raised {fc.expected_error['jax_exception']}: {fc.expected_error['message']}; "
            "the reference returned normally",
        )
    cmp = compare_outputs(fc.expected_outputs or [], list(outputs), fc.tolerance)
    raw = {"max_ulp": cmp.max_ulp, "max_abs_err": cmp.max_abs_err, "max_rel_err": cmp.max_rel_err}
    stats: dict[str, float | None] = {k: (v if math.isfinite(v) else None) for k, v in raw.items()}
    if cmp.ok:
        return _result(case, "pass", "ok", cmp.message, **stats)
    return _result(case, "fail", cmp.kind, cmp.message, **stats)


def _probe(probe: dict[str, Any]) -> list[Any]:
    """Bind the probed primitive at the probe's avals (JAX rejected them: the reference must too)."""
    import numpy as np

    from frankenjax_ref.api import make_jaxpr
    from frankenjax_ref.core.dtypes import from_name
    from frankenjax_ref.core.params import decode_params
    from frankenjax_ref.core.primitive import lookup

    prim = lookup(probe["primitive"])
    params = decode_params(prim.name, prim.params, probe["params"], "probe.params")
    args = [np.zeros(tuple(o["shape"]), from_name(o["dtype"])) for o in probe["operands"]]
    make_jaxpr(lambda *xs: prim.bind(*xs, **params))(*args)
    return []


def conform_batch(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run a batch of raw case objects through the reference (a task of the executor)."""
    from harness.conformance.executor import ensure_ready

    ensure_ready()
    out = []
    for case in cases:
        start = time.perf_counter()
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter(
                    "ignore", RuntimeWarning
                )  # NumPy's overflow/invalid notes on edge values
                result = run_case(case)
        except FJError as exc:  # a case that does not decode (the reader should have caught it)
            result = _result(case, "error", "bad_fixture", f"[{exc.code}] {exc.message}")
        except Exception as exc:
            result = _result(case, "error", "harness_crash", f"{type(exc).__name__}: {exc}")
        result["seconds"] = round(time.perf_counter() - start, 6)
        out.append(result)
    return out


# --- the driver ---------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_conformance(
    fixtures: Sequence[str | Path] | None = None,
    *,
    report_dir: str | Path | None = None,
    junit: str | Path | None = None,
    jobs: int | None = None,
    executor: Any = None,
    known_divergences: str | Path | None = None,
    patterns: Sequence[str] | None = None,
    write: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ParityReport:
    """Read every bundle (typed errors for malformed ones), run every case, write the report files.

    With ``write`` the JSON report, ``parity-report.md`` and (unless
    ``junit`` names another path) ``parity-report.junit.xml`` go to
    ``report_dir`` (default ``artifacts/conformance``).
    """
    from harness.conformance.fixtures import read_bundles

    start = time.perf_counter()
    bundles = read_bundles(fixtures)
    cases = [c for b in bundles for c in b.cases]
    if patterns:
        import fnmatch

        globs = [p if any(ch in p for ch in "*?[") else f"{p}*" for p in patterns]
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c["case_id"], g) for g in globs)]
    fixture_info = [
        {
            "path": str(b.path),
            "family": b.family,
            "capture_mode": b.capture_mode,
            "cases": len(b.cases),
            "sha256": _sha256(b.path) if b.path else None,
        }
        for b in bundles
    ]
    return run_cases(
        cases,
        fixture_info=fixture_info,
        report_dir=report_dir,
        junit=junit,
        jobs=jobs,
        executor=executor,
        known_divergences=known_divergences,
        write=write,
        progress=progress,
        started=start,
    )


def run_cases(
    cases: Sequence[dict[str, Any]],
    *,
    fixture_info: list[dict[str, Any]] | None = None,
    report_dir: str | Path | None = None,
    junit: str | Path | None = None,
    jobs: int | None = None,
    executor: Any = None,
    known_divergences: str | Path | None = None,
    write: bool = True,
    progress: Callable[[int, int], None] | None = None,
    started: float | None = None,
) -> ParityReport:
    """Run already-read case objects (``fjh import`` builds them from another format) and report."""
    from harness.conformance.divergences import load_known_divergences
    from harness.conformance.executor import default_jobs, make_executor, run_batched

    start = started if started is not None else time.perf_counter()
    known = load_known_divergences(known_divergences)
    own = executor is None
    n_jobs = default_jobs() if jobs is None else jobs
    ex = executor or make_executor(n_jobs)
    try:
        results = run_batched(
            ex, conform_batch, list(cases), progress=progress, describe=lambda c: c["case_id"]
        )
    finally:
        if own:
            ex.shutdown(wait=True, cancel_futures=True)
    for r in results:
        entry = known.match(r["case_id"])
        r["divergence"] = entry.id if entry else None
        r["still_diverges"] = None
        if entry is not None:
            r["still_diverges"] = r["status"] != "pass"
            r["status"] = "known_divergence"
    seconds = time.perf_counter() - start
    report = build_report(
        results,
        fixture_info or [],
        {"path": known.path, "entries": len(known.entries)},
        seconds,
        n_jobs if executor is None else -1,
    )
    if write:
        report = write_report(report, report_dir, junit)
    return report
