"""``fjh capture``: trace the catalog with JAX, run JAX under each stack, write fixture bundles.

Library entry point::

    from harness.conformance.capture import capture
    result = capture(patterns=["seed"], strict=True, jobs=2)   # -> CaptureResult

Per case (in a worker, :func:`capture_batch`): build the program against
JAX's namespace, ``jax.make_jaxpr`` it at the case's operand avals, convert
the jaxpr with :func:`harness.oracle.from_jax`, run JAX under the case's
stack (:func:`harness.oracle.run_stack`, x64 on) and encode the outputs
exactly. With ``check_determinism`` JAX's caches are cleared and the stack
runs a second time; outputs that differ bit for bit make the case
``nondeterministic``: it is never written as a fixture unless the reviewed
known-divergences file gives a reason for it (``kind: "nondeterministic"``),
in which case it is written with ``flaky: true`` and that reason.

Outcomes per case: ``captured``; ``raised`` (JAX raised what the case
allows — the fixture then expects the reference to raise too); ``rejected``
(JAX refused the dtype while tracing: the group's ordinary eager case becomes
the group's rejection case, the others are ``not_applicable``);
``nondeterministic``; ``failed``.

Modes:

* ``jax`` — the oracle is importable. ``strict=True`` turns any failed or
  unexplained nondeterministic case into :class:`CaptureError`
  (``FJ-CAPTURE-FAILED``) and nothing is written; without ``strict`` the
  failures are listed in each bundle's ``skipped`` and the result.
* ``analytical_fallback`` — JAX cannot be imported and ``strict`` is off:
  only the seed programs are captured, their IR traced by the reference's own
  ``jax.numpy`` and their expected values computed in closed form
  (:func:`harness.conformance.catalog.seeds.closed_form`); every case and bundle says
  ``capture_mode: analytical_fallback``. With ``strict`` a missing JAX is
  ``FJ-ORACLE-UNAVAILABLE`` and nothing is written.

Writing: every bundle is rendered and schema-validated first, then staged
to a temporary file beside its target, and all targets are swapped in only
after every bundle staged cleanly — a failed or interrupted capture leaves
the previous bundles untouched. A capture restricted with ``patterns`` merges
its cases into the existing bundles (same capture mode only) instead of
replacing them.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from frankenjax_ref.errors import FJError, register_code
from harness.conformance.catalog.model import CaseSpec
from harness.errors import HarnessError

register_code("FJ-CAPTURE-FAILED", "HARNESS", "a strict capture had failing or nondeterministic cases")
register_code("FJ-CAPTURE-MERGE", "HARNESS", "a partial capture cannot be merged into the existing bundle")

MODES = ("jax", "analytical_fallback")


class CaptureError(HarnessError):
    """A capture that must not write anything."""


@dataclass(frozen=True)
class CaseFailure:
    case_id: str
    reason: str
    detail: str


@dataclass(frozen=True)
class CaptureResult:
    """What a capture did; ``ok`` when nothing failed."""

    mode: str
    strict: bool
    output_dir: str
    selected: int
    captured: int
    error_cases: int
    rejected_dtypes: int
    not_applicable: int
    failures: list[CaseFailure]
    nondeterministic: list[CaseFailure]
    flaky_written: int
    files: list[str]
    families: dict[str, int]
    seconds: float
    cases_per_second: float
    jobs: int
    determinism_checked: bool
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures and not self.nondeterministic


# --- the worker side -------------------------------------------------------------------------------------


def _encode_outputs(outs: Sequence[np.ndarray]) -> list[dict[str, Any]]:
    from frankenjax_ref.ir import encode_array

    return [encode_array(o, where=f"output[{i}]") for i, o in enumerate(outs)]


def _primitives_of(closed: Any) -> list[str]:
    return sorted({eqn.primitive.name for eqn in closed.jaxpr.walk()})


def _base_record(spec: CaseSpec, mode: str, provenance: dict[str, Any]) -> dict[str, Any]:
    from frankenjax_ref.ir import encode_array
    from harness.conformance.catalog.stacks import signature

    return {
        "case_id": spec.case_id,
        "family": spec.family,
        "program": spec.program,
        "program_args": spec.program_args,
        "primitive": spec.primitive,
        "primitives": [],
        "input_set": spec.input_set,
        "stack": [dict(e) for e in spec.stack],
        "stack_signature": signature(spec.stack),
        "operands": [o.to_json() for o in spec.operands],
        "ir": None,
        "ir_fingerprint": None,
        "probe": None,
        "inputs": [encode_array(x, where=f"inputs[{i}]") for i, x in enumerate(spec.inputs)],
        "expected": {"outputs": []},
        "comparator": "exact",
        "tolerance": None,
        "flaky": False,
        "flaky_reason": None,
        "capture_mode": mode,
        "provenance": {**provenance, "capture_mode": mode},
    }


def _tolerance(spec: CaseSpec, outputs: Sequence[np.ndarray]) -> tuple[str, dict[str, Any]]:
    from harness.conformance.compare import tolerance_for

    tol = tolerance_for([o.dtype for o in outputs if o.dtype.names is None], spec.tier)
    comparator = "exact" if (tol.atol, tol.rtol, tol.max_ulp) == (0.0, 0.0, 0) else "allclose"
    return comparator, tol.to_json()


def _error_record(record: dict[str, Any], spec: CaseSpec, exc: BaseException, codes: Sequence[str]) -> None:
    from harness.conformance.compare import EXACT

    record["expected"] = {
        "error": {
            "jax_exception": type(exc).__name__,
            "message": _message(exc),
            "codes": list(codes),
        }
    }
    record["comparator"] = "error"
    record["tolerance"] = EXACT.to_json()


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first[:400]


def _outcome(
    spec: CaseSpec, status: str, record: dict[str, Any] | None = None, detail: str = "", seconds: float = 0.0
) -> dict[str, Any]:
    return {"case_id": spec.case_id, "status": status, "record": record, "detail": detail, "seconds": seconds}


def capture_batch(specs: list[CaseSpec], mode: str, check_determinism: bool) -> list[dict[str, Any]]:
    """Capture a batch of cases in this process (a task of the executor)."""
    from harness.conformance.executor import ensure_ready

    ensure_ready()
    out = []
    for spec in specs:
        start = time.perf_counter()
        try:
            result = _capture_jax(spec, check_determinism) if mode == "jax" else _capture_fallback(spec)
        except Exception as exc:
            result = _outcome(spec, "failed", detail=f"{type(exc).__name__}: {_message(exc)}")
        result["seconds"] = time.perf_counter() - start
        out.append(result)
    if mode == "jax":
        _bound_memory()
    return out


#: A worker clears JAX's compilation caches once its resident memory passes this many bytes.
RSS_LIMIT = 1 << 30


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    import os

    return pages * os.sysconf("SC_PAGE_SIZE")


def _bound_memory() -> None:
    """Every case compiles new executables; keep a long-lived worker's caches from growing without bound."""
    rss = _rss_bytes()
    if rss is None or rss > RSS_LIMIT:
        from harness.oracle import load_jax

        load_jax().clear_caches()


def _capture_jax(spec: CaseSpec, check_determinism: bool) -> dict[str, Any]:
    from frankenjax_ref import ir
    from harness.conformance.catalog.inputs import np_dtype
    from harness.conformance.catalog.programs import build_program
    from harness.conformance.fixtures import doc_fingerprint
    from harness.oracle import from_jax, jax_versions, load_jax
    from harness.oracle.namespace import jax_namespace
    from harness.oracle.run import run_stack

    jax = load_jax()
    provenance = _worker_provenance(jax_versions)
    record = _base_record(spec, "jax", provenance)
    fn = build_program(jax_namespace(), spec.program, spec.program_args)
    specs = [jax.ShapeDtypeStruct(o.shape, np_dtype(o.dtype)) for o in spec.operands]
    try:
        traced = jax.make_jaxpr(fn)(*specs)
    except Exception as exc:
        if spec.sweep_group is not None and isinstance(exc, TypeError):
            record["probe"] = {
                "primitive": spec.program_args["primitive"],
                "params": spec.program_args["params"],
                "operands": [o.to_json() for o in spec.operands],
            }
            record["stack"], record["stack_signature"], record["inputs"] = [], "f", []
            # the reference must reject the combination too: a dtype error, or a param error for a
            # dtype-dependent param (integer_pow with a negative exponent on integers)
            _error_record(record, spec, exc, ("FJ-PRIM-DTYPE", "FJ-PRIM-PARAM"))
            record["primitives"] = [spec.program_args["primitive"]]
            return _outcome(spec, "rejected", record, _message(exc))
        return _outcome(
            spec, "failed", detail=f"JAX cannot trace the program: {type(exc).__name__}: {_message(exc)}"
        )
    closed = from_jax(traced, check=False)
    record["ir"] = ir.to_json(closed, check=False)
    record["ir_fingerprint"] = doc_fingerprint(record["ir"])
    record["primitives"] = _primitives_of(closed)
    n_in = len(spec.operands)
    try:
        outs = run_stack(fn, [_transform(e) for e in spec.stack], list(spec.inputs), n_in)
    except Exception as exc:
        allowed = spec.may_raise
        if allowed is not None and type(exc).__name__ == allowed.jax_exception:
            _error_record(record, spec, exc, allowed.codes)
            return _outcome(spec, "raised", record, _message(exc))
        return _outcome(
            spec,
            "failed",
            detail=f"JAX raised under {record['stack_signature']}: {type(exc).__name__}: {_message(exc)}",
        )
    encoded = _encode_outputs(outs)
    record["expected"] = {"outputs": encoded}
    record["comparator"], record["tolerance"] = _tolerance(spec, outs)
    if check_determinism:
        jax.clear_caches()
        again = _encode_outputs(run_stack(fn, [_transform(e) for e in spec.stack], list(spec.inputs), n_in))
        if again != encoded:
            diff = (
                next(i for i, (a, b) in enumerate(zip(encoded, again, strict=False)) if a != b)
                if len(again) == len(encoded)
                else -1
            )
            return _outcome(
                spec,
                "nondeterministic",
                record,
                f"outputs differ bit for bit between two runs (first at output {diff})",
            )
    return _outcome(spec, "captured", record)


def _transform(entry: dict[str, Any]) -> Any:
    from frankenjax_ref.dispatch import make_transform

    return make_transform(entry["transform"], entry["params"])


_PROVENANCE: dict[str, Any] = {}


def _worker_provenance(versions: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    if not _PROVENANCE:
        _PROVENANCE.update(versions())
    return dict(_PROVENANCE)


def _capture_fallback(spec: CaseSpec) -> dict[str, Any]:
    import frankenjax_ref as fj
    from frankenjax_ref import ir
    from harness.conformance.catalog.programs import build_program, reference_namespace
    from harness.conformance.catalog.seeds import closed_form
    from harness.oracle import jax_versions

    provenance = _worker_provenance(jax_versions)
    record = _base_record(spec, "analytical_fallback", provenance)
    fn = build_program(reference_namespace(), spec.program, spec.program_args)
    from harness.conformance.catalog.inputs import np_dtype

    examples = [np.zeros(o.shape, np_dtype(o.dtype)) for o in spec.operands]
    closed = fj.make_jaxpr(fn)(*examples)
    record["ir"] = ir.to_json(closed)
    record["ir_fingerprint"] = ir.fingerprint(closed)
    record["primitives"] = _primitives_of(closed)
    outs = closed_form(spec)
    record["expected"] = {"outputs": _encode_outputs(outs)}
    record["comparator"], record["tolerance"] = _tolerance(spec, outs)
    return _outcome(spec, "captured", record)


# --- the driver --------------------------------------------------------------------------------------------


def capture(
    *,
    output_dir: str | Path | None = None,
    patterns: Sequence[str] | None = None,
    strict: bool = False,
    jobs: int | None = None,
    check_determinism: bool = False,
    executor: Any = None,
    progress: Callable[[int, int], None] | None = None,
    known_divergences: str | Path | None = None,
) -> CaptureResult:
    """Capture the catalog (or the cases matching ``patterns``) into bundles under ``output_dir``.

    ``executor`` (any ``concurrent.futures.Executor``, e.g. a Dask client's)
    overrides ``jobs``. Raises :class:`CaptureError` / ``OracleError`` without
    writing anything when the capture must not land (see the module doc).
    """
    from harness.conformance.catalog import build_catalog, select
    from harness.conformance.executor import default_jobs, make_executor, run_batched
    from harness.oracle import jax_available, jax_versions
    from harness.paths import fixtures_dir

    start = time.perf_counter()
    out_dir = Path(output_dir) if output_dir is not None else fixtures_dir()
    mode = "jax" if jax_available() else "analytical_fallback"
    if mode != "jax" and strict:
        from harness.oracle import load_jax

        load_jax()  # raises FJ-ORACLE-UNAVAILABLE with the reason
    catalog = build_catalog()
    specs = select(catalog.cases, patterns)
    if mode == "analytical_fallback":
        specs = [s for s in specs if s.family == "seed"]
    if not specs:
        raise CaptureError(
            "FJ-CLI-USAGE",
            f"no catalog case matches {list(patterns or [])}"
            + (" (without JAX only the seed programs can be captured)" if mode != "jax" else ""),
        )
    own = executor is None
    n_jobs = default_jobs() if jobs is None else jobs
    ex = executor or make_executor(n_jobs)
    try:
        outcomes = run_batched(
            ex, capture_batch, specs, mode, check_determinism, progress=progress, describe=lambda s: s.case_id
        )
    finally:
        if own:
            ex.shutdown(wait=True, cancel_futures=True)
    provenance = {**jax_versions(), "capture_mode": mode}
    reasons = _nondeterminism_reasons(known_divergences)
    plan = _assemble(specs, outcomes, reasons)
    if strict and (plan.failures or plan.nondeterministic):
        shown = (plan.failures + plan.nondeterministic)[:20]
        lines = "; ".join(f"{f.case_id}: {f.detail}" for f in shown)
        raise CaptureError(
            "FJ-CAPTURE-FAILED",
            f"{len(plan.failures)} failed and {len(plan.nondeterministic)} nondeterministic case(s); "
            f"nothing was written. {lines}",
            hint="fix the cases or run without --strict to write the rest",
        )
    files = _write(out_dir, plan, mode, strict, provenance, merge=bool(patterns))
    seconds = time.perf_counter() - start
    return CaptureResult(
        mode=mode,
        strict=strict,
        output_dir=str(out_dir),
        selected=len(specs),
        captured=sum(len(v) for v in plan.records.values()),
        error_cases=plan.error_cases,
        rejected_dtypes=plan.rejected,
        not_applicable=plan.not_applicable,
        failures=plan.failures,
        nondeterministic=plan.nondeterministic,
        flaky_written=plan.flaky,
        files=[str(f) for f in files],
        families={k: len(v) for k, v in sorted(plan.records.items())},
        seconds=seconds,
        cases_per_second=len(specs) / seconds if seconds > 0 else 0.0,
        jobs=n_jobs if executor is None else -1,
        determinism_checked=check_determinism,
        provenance=provenance,
    )


@dataclass
class _Plan:
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    skipped: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: list[CaseFailure] = field(default_factory=list)
    nondeterministic: list[CaseFailure] = field(default_factory=list)
    rejected: int = 0
    not_applicable: int = 0
    error_cases: int = 0
    flaky: int = 0


def _nondeterminism_reasons(path: str | Path | None) -> list[tuple[list[str], str]]:
    from harness.conformance.divergences import load_known_divergences

    return [(d.cases, d.reason) for d in load_known_divergences(path).entries if d.kind == "nondeterministic"]


def _assemble(
    specs: Sequence[CaseSpec], outcomes: Sequence[dict[str, Any]], reasons: list[tuple[list[str], str]]
) -> _Plan:
    import fnmatch

    plan = _Plan()
    by_group: dict[str, list[tuple[CaseSpec, dict[str, Any]]]] = {}
    for spec, out in zip(specs, outcomes, strict=True):
        if spec.sweep_group is not None:
            by_group.setdefault(spec.sweep_group, []).append((spec, out))
    rejected_groups = {g for g, items in by_group.items() if any(o["status"] == "rejected" for _, o in items)}
    # A variant JAX rejects for every dtype is a broken recipe, not a dtype sweep result.
    variants: dict[str, list[str]] = {}
    for g in by_group:
        variants.setdefault(g.rsplit(".", 1)[0], []).append(g)
    for variant, groups in sorted(variants.items()):
        if len(groups) > 1 and all(g in rejected_groups for g in groups):
            for g in groups:
                rejected_groups.discard(g)
                for _, o in by_group[g]:
                    o["status"] = "failed"
                    o["detail"] = (
                        f"JAX rejects {variant} for every dtype (a catalog recipe bug?): {o['detail']}"
                    )

    def skip(spec: CaseSpec, reason: str, detail: str) -> None:
        plan.skipped.setdefault(spec.family, []).append(
            {"case_id": spec.case_id, "reason": reason, "detail": detail}
        )

    def keep(spec: CaseSpec, record: dict[str, Any]) -> None:
        plan.records.setdefault(spec.family, []).append(record)
        plan.error_cases += "error" in record["expected"]

    for group in sorted(rejected_groups):
        items = by_group[group]
        mixed = [s.case_id for s, o in items if o["status"] not in ("rejected", "failed")]
        if mixed:
            for s, _ in items:
                plan.failures.append(
                    CaseFailure(
                        s.case_id,
                        "inconsistent",
                        f"JAX rejected some cases of {group} while tracing but accepted {mixed[0]}",
                    )
                )
            continue
        probe_spec, probe_out = next(
            ((s, o) for s, o in items if s.case_id.endswith(".normal.eager") and o["status"] == "rejected"),
            next((s, o) for s, o in items if o["status"] == "rejected"),
        )
        record = dict(probe_out["record"])
        record["case_id"] = f"{group}.rejected"
        record["input_set"] = "probe"
        keep(probe_spec, record)
        plan.rejected += 1
        for s, o in items:
            if o["status"] == "failed":
                plan.failures.append(CaseFailure(s.case_id, "failed", o["detail"]))
            else:
                plan.not_applicable += 1
                skip(s, "not_applicable", f"JAX rejects this dtype: {o['detail']}")

    for spec, out in zip(specs, outcomes, strict=True):
        if spec.sweep_group in rejected_groups:
            continue
        status = out["status"]
        if status in ("captured", "raised"):
            keep(spec, out["record"])
        elif status == "nondeterministic":
            reason = next(
                (r for pats, r in reasons if any(fnmatch.fnmatchcase(spec.case_id, p) for p in pats)), None
            )
            if reason is None:
                plan.nondeterministic.append(CaseFailure(spec.case_id, "nondeterministic", out["detail"]))
                skip(spec, "nondeterministic", out["detail"])
            else:
                record = dict(out["record"], flaky=True, flaky_reason=reason)
                keep(spec, record)
                plan.flaky += 1
        else:
            plan.failures.append(CaseFailure(spec.case_id, status, out["detail"]))
            skip(spec, "capture_failed", out["detail"])
    return plan


def _write(
    out_dir: Path, plan: _Plan, mode: str, strict: bool, provenance: dict[str, Any], merge: bool
) -> list[Path]:
    from harness import __version__
    from harness.atomicio import AtomicWriter
    from harness.conformance.fixtures import Bundle, bundle_path, read_bundle, render_bundle, summarize

    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    families = sorted(set(plan.records) | set(plan.skipped))
    texts: list[tuple[Path, str]] = []
    for family in families:
        path = bundle_path(out_dir, family)
        cases = sorted(plan.records.get(family, []), key=lambda c: c["case_id"])
        skipped = sorted(plan.skipped.get(family, []), key=lambda c: c["case_id"])
        if merge and path.exists():
            try:
                old = read_bundle(path, decode=False)
            except FJError as exc:
                raise CaptureError(
                    "FJ-CAPTURE-MERGE",
                    f"cannot merge into the existing bundle: [{exc.code}] {exc.message}",
                    where=str(path),
                    hint="capture the whole family (no --only) to replace it",
                ) from None
            if old.capture_mode != mode:
                raise CaptureError(
                    "FJ-CAPTURE-MERGE",
                    f"the existing bundle was captured in mode {old.capture_mode!r}, "
                    f"this capture is {mode!r}",
                    where=str(path),
                    hint="capture the whole family (no --only) to replace it",
                )
            new_ids = {c["case_id"] for c in cases} | {s["case_id"] for s in skipped}
            cases = sorted(
                [c for c in old.cases if c["case_id"] not in new_ids] + cases, key=lambda c: c["case_id"]
            )
            skipped = sorted(
                [s for s in old.skipped if s["case_id"] not in new_ids] + skipped, key=lambda c: c["case_id"]
            )
            strict = strict and old.strict
        bundle = Bundle(
            path=path,
            family=family,
            capture_mode=mode,
            strict=strict,
            provenance=provenance,
            cases=cases,
            skipped=skipped,
            generated_at=now,
            generated_by=f"fjh capture (frankenjax-harness {__version__})",
            summary=summarize(cases, skipped),
        )
        texts.append((path, render_bundle(bundle)))
    writers: list[AtomicWriter] = []
    try:
        for path, text in texts:
            w = AtomicWriter(path)
            writers.append(w)
            w.write(text.encode("utf-8"))
    except BaseException:
        for w in writers:
            w.abort()
        raise
    for w in writers:
        w.commit()
    from harness.durability import refresh_sidecars

    refresh_sidecars(p for p, _ in texts)
    return [p for p, _ in texts]
