"""Fixture bundles (``frankenjax.fixture-bundle.v1``): the model, the one writer, the one reader.

A bundle is one family of captured cases (``fixtures/<family>.bundle.json``).
Top level: ``schema``, ``family``, ``generated_by``, ``generated_at``,
``capture_mode`` (``jax`` or ``analytical_fallback``), ``strict``,
``provenance`` (jax, jaxlib, numpy and Python versions, x64, platform,
backend, capture mode), ``summary`` (counts), ``cases``, ``skipped`` (cases
of the catalog that are not fixtures, each with a reason: a dtype JAX
rejects makes the rest of its cases ``not_applicable``; ``nondeterministic``
and ``capture_failed`` appear only in non-strict captures).

Each case is self-contained: ``case_id``, ``family``, ``program`` (+
``program_args``), ``primitive`` (the primitive a per-primitive case is
about) and ``primitives`` (every primitive in its IR), ``input_set``,
``stack`` (outermost first, every param explicit) and ``stack_signature``,
``operands`` (the avals the program was traced at), ``ir`` (a
``frankenjax.ir.v1`` document) and ``ir_fingerprint``, ``inputs`` (the
stack's arguments), ``expected`` — ``{"outputs": [...]}`` or, when JAX
raised, ``{"error": {jax_exception, message, codes}}`` with the reference
error codes that count as agreement — ``comparator``, ``tolerance``,
``flaky`` (+ ``flaky_reason``), ``capture_mode`` and ``provenance``. A
dtype-rejection case has ``ir: null`` and a ``probe`` (primitive, params,
operand avals) instead. Arrays use the ``frankenjax.array.v1`` encoding, so
every value (±0, NaN payloads, subnormals, int64 extremes) is exact.

:func:`write_bundle` validates the document against its JSON Schema and
writes it atomically, one case per line (so a changed case is a one-line
diff). :func:`read_bundle` validates the schema, then decodes every IR and
array with the reference's strict decoders and checks the cross-field rules
the schema cannot express (unique ids, family, stack, arity). Every problem
is a typed error naming the file and the case: ``FJ-IO-*`` for the file,
``FJ-SCHEMA-INVALID`` for structure, ``FJ-FIXTURE-INVALID`` for content.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frankenjax_ref.errors import FJError, register_code
from harness.errors import HarnessError

SCHEMA = "frankenjax.fixture-bundle.v1"
SUFFIX = ".bundle.json"

register_code(
    "FJ-FIXTURE-INVALID", "HARNESS", "a fixture bundle's content does not decode or is inconsistent"
)
register_code("FJ-FIXTURE-DUPLICATE", "HARNESS", "the same case id appears twice across the bundles read")
register_code("FJ-FIXTURE-NONE", "HARNESS", "no fixture bundle was found where one was expected")


class FixtureError(HarnessError):
    """A bundle is malformed, inconsistent or missing."""


@dataclass(frozen=True)
class Bundle:
    """A bundle as read (cases are the raw, validated JSON objects)."""

    path: Path | None
    family: str
    capture_mode: str
    strict: bool
    provenance: dict[str, Any]
    cases: list[dict[str, Any]]
    skipped: list[dict[str, Any]] = field(default_factory=list)
    generated_at: str = ""
    generated_by: str = ""
    summary: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "family": self.family,
            "generated_by": self.generated_by,
            "generated_at": self.generated_at,
            "capture_mode": self.capture_mode,
            "strict": self.strict,
            "provenance": self.provenance,
            "summary": self.summary or summarize(self.cases, self.skipped),
            "cases": self.cases,
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class FixtureCase:
    """A decoded case: the program, the stack, arrays, expectation and tolerance."""

    case_id: str
    family: str
    program: str
    primitive: str | None
    primitives: tuple[str, ...]
    closed: Any  # ClosedJaxpr | None
    ir_error: dict[str, Any] | None  # the reference could not decode/type-check the (authentic) IR
    stack: list[Any]  # list[Transform]
    inputs: list[Any]
    expected_outputs: list[Any] | None
    expected_error: dict[str, Any] | None
    probe: dict[str, Any] | None
    comparator: str
    tolerance: Any  # harness.conformance.compare.Tolerance
    flaky: bool
    capture_mode: str
    input_set: str
    raw: dict[str, Any] = field(repr=False, default_factory=dict)


def summarize(cases: Sequence[dict[str, Any]], skipped: Sequence[dict[str, Any]]) -> dict[str, int]:
    out = {"cases": len(cases), "error_cases": 0, "flaky": 0, "skipped": len(skipped)}
    for c in cases:
        out["error_cases"] += "error" in c["expected"]
        out["flaky"] += bool(c["flaky"])
    return out


def bundle_path(directory: str | os.PathLike[str], family: str) -> Path:
    return Path(directory) / f"{family}{SUFFIX}"


# --- writing ------------------------------------------------------------------------------------------


def render_bundle(bundle: Bundle) -> str:
    """The canonical text: compact sorted JSON, one case per line, cases last."""
    from harness.schemas import validate

    doc = bundle.to_json()
    validate(doc, SCHEMA, where=str(bundle.path or bundle.family))
    head = {k: v for k, v in doc.items() if k != "cases"}
    text = json.dumps(head, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    lines = [
        json.dumps(c, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        for c in doc["cases"]
    ]
    body = ",\n".join(lines)
    return text[:-1] + ',"cases":[\n' + body + ("\n" if lines else "") + "]}\n"


def write_bundle(path: str | os.PathLike[str], bundle: Bundle) -> Path:
    """Validate and atomically write one bundle."""
    from harness.atomicio import write_text

    return write_text(path, render_bundle(bundle))


# --- reading ------------------------------------------------------------------------------------------


def read_bundle(path: str | os.PathLike[str], *, decode: bool = True) -> Bundle:
    """Read, schema-validate and (by default) fully decode-check one bundle file."""
    from harness.schemas import read_json

    p = Path(path)
    doc = read_json(p, SCHEMA)
    bundle = Bundle(
        path=p,
        family=doc["family"],
        capture_mode=doc["capture_mode"],
        strict=doc["strict"],
        provenance=doc["provenance"],
        cases=doc["cases"],
        skipped=doc["skipped"],
        generated_at=doc["generated_at"],
        generated_by=doc["generated_by"],
        summary=doc["summary"],
    )
    seen: set[str] = set()
    for i, case in enumerate(bundle.cases):
        where = f"{p}:cases[{i}]({case['case_id']})"
        if case["case_id"] in seen:
            raise FixtureError(
                "FJ-FIXTURE-DUPLICATE", f"case id {case['case_id']!r} appears twice", where=where
            )
        seen.add(case["case_id"])
        if case["family"] != bundle.family:
            raise FixtureError(
                "FJ-FIXTURE-INVALID",
                f"case family {case['family']!r} in a bundle of family {bundle.family!r}",
                where=where,
            )
        if decode:
            decode_case(case, where=where)
    return bundle


def decode_case(case: dict[str, Any], *, where: str = "case") -> FixtureCase:
    """Decode a validated case object; typed FJ-FIXTURE-INVALID errors say what and where."""
    from frankenjax_ref import ir
    from frankenjax_ref.dispatch import stack_from_json
    from harness.conformance.compare import Tolerance

    def fail(message: str, exc: FJError | None = None) -> FixtureError:
        detail = f"{message}: [{exc.code}] {exc.message}" if exc else message
        loc = f"{where}.{exc.where}" if exc and exc.where else where
        return FixtureError("FJ-FIXTURE-INVALID", detail, where=loc)

    try:
        stack = stack_from_json(case["stack"])
    except FJError as exc:
        raise fail("bad transform stack", exc) from None
    try:
        inputs = [ir.decode_array(a, where=f"inputs[{k}]") for k, a in enumerate(case["inputs"])]
    except FJError as exc:
        raise fail("an input does not decode", exc) from None
    outputs = None
    error = case["expected"].get("error")
    if "outputs" in case["expected"]:
        try:
            outputs = [
                ir.decode_array(a, where=f"expected.outputs[{k}]")
                for k, a in enumerate(case["expected"]["outputs"])
            ]
        except FJError as exc:
            raise fail("an expected output does not decode", exc) from None
    closed = None
    ir_error = None
    if case["ir"] is not None:
        if case["ir_fingerprint"] != doc_fingerprint(case["ir"]):
            raise fail("ir_fingerprint does not match the IR (the program was changed after capture)")
        # The IR is authentic (it is what JAX produced): if the reference cannot decode or type-check it,
        # that is a disagreement to report for this case, not a broken bundle.
        try:
            closed = ir.from_json(case["ir"])
            ir.validate(closed)
        except FJError as exc:
            closed, ir_error = None, exc.to_json()
        if closed is not None:
            n_in = len(closed.jaxpr.invars)
            if len(case["operands"]) != n_in:
                raise fail(f"{len(case['operands'])} operands for a program of {n_in} inputs")
            for k, (op, var) in enumerate(zip(case["operands"], closed.jaxpr.invars, strict=True)):
                if tuple(op["shape"]) != var.aval.shape or op["dtype"] != _dname(var.aval.dtype):
                    raise fail(
                        f"operand {k} is {op['dtype']}{op['shape']} but the IR's input is "
                        f"{var.aval.str_short()}"
                    )
    elif case["probe"] is None:
        raise fail("a case needs an ir or a probe")
    if (outputs is None) == (error is None):  # pragma: no cover - the schema's oneOf already forbids it
        raise fail("expected holds neither outputs nor an error")
    if error is not None and case["comparator"] != "error":
        raise fail("an expected error needs the 'error' comparator")
    if outputs is not None and case["comparator"] == "error":
        raise fail("the 'error' comparator needs an expected error")
    if case["ir"] is not None and not _stack_arity_ok(stack, len(case["operands"]), len(inputs)):
        raise fail(
            f"{len(inputs)} inputs do not fit the stack {case['stack_signature']} of a "
            f"{len(case['operands'])}-input program"
        )
    return FixtureCase(
        case_id=case["case_id"],
        family=case["family"],
        program=case["program"],
        primitive=case["primitive"],
        primitives=tuple(case["primitives"]),
        closed=closed,
        ir_error=ir_error,
        stack=stack,
        inputs=inputs,
        expected_outputs=outputs,
        expected_error=error,
        probe=case["probe"],
        comparator=case["comparator"],
        tolerance=Tolerance.from_json(case["tolerance"]),
        flaky=case["flaky"],
        capture_mode=case["capture_mode"],
        input_set=case["input_set"],
        raw=case,
    )


def doc_fingerprint(doc: Any) -> str:
    """SHA-256 of a ``frankenjax.ir.v1`` document's canonical text (equals ``ir.fingerprint`` of it)."""
    import hashlib

    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _dname(d: Any) -> str:
    from frankenjax_ref.core import dtypes

    return dtypes.name_of(d)


def _stack_arity_ok(stack: Sequence[Any], n_program: int, n_inputs: int) -> bool:
    names = [t.name for t in stack]
    if not names or names[0] not in ("jvp", "vjp"):
        return n_inputs == n_program
    if names[0] == "jvp":
        return n_inputs == 2 * n_program
    return n_inputs >= n_program


def find_bundles(paths: Iterable[str | os.PathLike[str]] | None = None) -> list[Path]:
    """Bundle files from files and directories (default: the project's ``fixtures/``), sorted."""
    from harness.paths import fixtures_dir

    out: list[Path] = []
    for p in [Path(x) for x in (paths or [fixtures_dir()])]:
        if p.is_dir():
            out.extend(sorted(p.glob(f"*{SUFFIX}")))
        elif p.exists():
            out.append(p)
        else:
            raise FixtureError("FJ-IO-NOT-FOUND", "no such file or directory", where=str(p))
    if not out:
        raise FixtureError(
            "FJ-FIXTURE-NONE",
            "no fixture bundles found",
            where=", ".join(str(p) for p in (paths or [fixtures_dir()])),
            hint="run 'fjh capture' first",
        )
    return sorted(set(out))


def read_bundles(
    paths: Iterable[str | os.PathLike[str]] | None = None, *, decode: bool = True
) -> list[Bundle]:
    """Every bundle under ``paths``; case ids must be unique across all of them."""
    bundles = [read_bundle(p, decode=decode) for p in find_bundles(paths)]
    seen: dict[str, Path | None] = {}
    for b in bundles:
        for c in b.cases:
            if c["case_id"] in seen:
                raise FixtureError(
                    "FJ-FIXTURE-DUPLICATE",
                    f"case id {c['case_id']!r} is in two bundles",
                    where=f"{seen[c['case_id']]} and {b.path}",
                )
            seen[c["case_id"]] = b.path
    return bundles
