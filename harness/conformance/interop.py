"""Interop with the Rust FrankenJAX: its ``frankenjax.transform-fixtures.v1`` format.

The Rust format (``crates/fj-conformance/fixtures/transforms/*.v1.json``)::

    {"schema_version": "frankenjax.transform-fixtures.v1", "generated_by": str,
     "generated_at_unix_ms": int, "capture_mode": "legacy_jax" | "analytical_fallback",
     "strict_capture": bool,
     "cases": [{"case_id", "family", "mode", "program", "transforms", "comparator",
                "baseline_mismatch", "flaky", "args", "expected", "atol", "rtol"}]}

``program`` is a *name* (the Rust side knows its programs by name),
``transforms`` are names, outermost first, and values are tagged by ``kind``:
``scalar_f64`` / ``scalar_i64`` ``{value}``, ``vector_f64`` / ``vector_i64``
``{values}``, ``tensor_f64`` / ``tensor_i64`` ``{shape, values}``.

:func:`export_v1` writes every case of our bundles that the format can
express: a seed program (``seed.<name>``), a stack of ``jit`` / ``grad`` /
``vmap`` with default params, float64/int64 finite inputs and outputs, and an
expected value (not an expected error). ``family`` is the outermost
transform, ``mode`` is ``strict``, ``comparator`` is ``exact`` for exact
tolerances and ``approx_atol_rtol`` otherwise; the cases it skips are
counted by reason. The file is validated against
``artifacts/schemas/frankenjax.transform-fixtures.v1.schema.json`` (which also
admits the extra keys the Rust capture script writes: ``oracle_root``,
``metadata``, ``simulated_delay_ms``).

:func:`import_v1` reads such a file and runs the cases it supports — those
whose program is a seed name, with supported value kinds and transforms —
through the conformance runner: the program is traced by the reference from
the seed's definition (:mod:`harness.conformance.catalog.programs`) at the avals of the
case's arguments, and compared with the file's ``expected`` under its
``atol``/``rtol`` (``exact``: bitwise up to NaN). Other cases are reported as
unsupported, with the reason, never silently dropped.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from frankenjax_ref.errors import FJError, register_code
from harness.errors import HarnessError

SCHEMA = "frankenjax.transform-fixtures.v1"
FORMAT = "frankenjax-v1"
TRANSFORMS = ("jit", "grad", "vmap")
KINDS = ("scalar_f64", "scalar_i64", "vector_f64", "vector_i64", "tensor_f64", "tensor_i64")

register_code("FJ-INTEROP-FORMAT", "HARNESS", "an interop file is not in the format it claims")


class InteropError(HarnessError):
    """A Rust-format file is malformed or a value cannot be converted."""


# --- values ---------------------------------------------------------------------------------------------


def encode_value(x: np.ndarray) -> dict[str, Any] | None:
    """A value in the Rust tagged form, or None when the format cannot express it."""
    arr = np.asarray(x)
    if arr.dtype == np.float64:
        suffix, values = "f64", arr.reshape(-1).tolist()
        if not all(math.isfinite(v) for v in values):
            return None
    elif arr.dtype == np.int64:
        suffix, values = "i64", [int(v) for v in arr.reshape(-1).tolist()]
    else:
        return None
    if arr.ndim == 0:
        return {"kind": f"scalar_{suffix}", "value": values[0]}
    if arr.ndim == 1:
        return {"kind": f"vector_{suffix}", "values": values}
    return {"kind": f"tensor_{suffix}", "shape": list(arr.shape), "values": values}


def decode_value(obj: dict[str, Any], where: str) -> np.ndarray:
    """A tagged value as a NumPy array (float64 or int64); InteropError for an unknown kind or bad data."""
    kind = obj.get("kind")
    if kind not in KINDS:
        raise InteropError("FJ-INTEROP-FORMAT", f"unsupported value kind {kind!r}", where=where)
    dtype = np.float64 if kind.endswith("f64") else np.int64

    def check(v: Any) -> Any:
        if dtype is np.int64 and (type(v) is not int or not -(2**63) <= v < 2**63):
            raise InteropError("FJ-INTEROP-FORMAT", f"{v!r} is not an int64", where=where)
        if dtype is np.float64 and (type(v) not in (int, float) or isinstance(v, bool)):
            raise InteropError("FJ-INTEROP-FORMAT", f"{v!r} is not a number", where=where)
        return v

    if kind.startswith("scalar"):
        return np.asarray(check(obj["value"]), dtype)
    values = [check(v) for v in obj["values"]]
    if kind.startswith("vector"):
        return np.asarray(values, dtype)
    shape = tuple(obj["shape"])
    if math.prod(shape) != len(values):
        raise InteropError(
            "FJ-INTEROP-FORMAT",
            f"shape {list(shape)} needs {math.prod(shape)} values, got {len(values)}",
            where=where,
        )
    return np.asarray(values, dtype).reshape(shape)


# --- export -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    path: str
    exported: int
    considered: int
    skipped: dict[str, int]


def _export_case(case: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    from frankenjax_ref.dispatch import PARAM_DEFAULTS
    from harness.conformance.catalog.programs import SEED_PROGRAMS

    program = case["program"].removeprefix("seed.")
    if not case["program"].startswith("seed.") or program not in SEED_PROGRAMS:
        return None, "program is not a seed program"
    names = []
    for entry in case["stack"]:
        if entry["transform"] not in TRANSFORMS:
            return None, f"transform {entry['transform']} is not in the format"
        defaults = {
            k: list(v) if isinstance(v, tuple) else v for k, v in PARAM_DEFAULTS[entry["transform"]].items()
        }
        if entry["params"] != defaults:
            return None, "transform params other than the defaults"
        names.append(entry["transform"])
    if not names:
        return None, "an empty stack (the format's families are transforms)"
    if "outputs" not in case["expected"]:
        return None, "JAX raised (the format has no expected errors)"
    from frankenjax_ref.ir import decode_array

    args = [encode_value(decode_array(a)) for a in case["inputs"]]
    expected = [encode_value(decode_array(a)) for a in case["expected"]["outputs"]]
    if any(v is None for v in args + expected):
        return None, "a value is not a finite float64/int64 array"
    tol = case["tolerance"]
    exact = tol["atol"] == 0 and tol["rtol"] == 0
    return {
        "case_id": case["case_id"],
        "family": names[0],
        "mode": "strict",
        "program": program,
        "transforms": names,
        "comparator": "exact" if exact else "approx_atol_rtol",
        "baseline_mismatch": False,
        "flaky": bool(case["flaky"]),
        "args": args,
        "expected": expected,
        "atol": float(tol["atol"]),
        "rtol": float(tol["rtol"]),
    }, ""


def export_v1(
    output: str | os.PathLike[str], fixtures: Sequence[str | os.PathLike[str]] | None = None
) -> ExportResult:
    """Write the expressible cases of the bundles (default ``fixtures/``) to ``output``."""
    from harness import __version__
    from harness.atomicio import write_json
    from harness.conformance.fixtures import read_bundles

    bundles = read_bundles(fixtures)
    cases: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    modes = {b.capture_mode for b in bundles}
    considered = 0
    for b in bundles:
        for case in b.cases:
            considered += 1
            out, reason = _export_case(case)
            if out is None:
                skipped[reason] += 1
            else:
                cases.append(out)
    if not cases:
        raise InteropError(
            "FJ-INTEROP-FORMAT",
            "no case of the bundles is expressible in the frankenjax-v1 format",
            hint="capture the seed family first: fjh capture --only seed",
        )
    used_modes = {
        b.capture_mode for b in bundles if any(c["case_id"] in {x["case_id"] for x in cases} for c in b.cases)
    } or modes
    doc = {
        "schema_version": SCHEMA,
        "generated_by": f"fjh export (frankenjax-harness {__version__})",
        "generated_at_unix_ms": int(time.time() * 1000),
        "capture_mode": "legacy_jax" if used_modes == {"jax"} else "analytical_fallback",
        "strict_capture": all(b.strict for b in bundles),
        "cases": sorted(cases, key=lambda c: c["case_id"]),
    }
    write_json(output, doc, schema=SCHEMA)
    return ExportResult(str(output), len(cases), considered, dict(sorted(skipped.items())))


# --- import -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unsupported:
    case_id: str
    reason: str


@dataclass(frozen=True)
class ImportResult:
    path: str
    cases: int
    run: int
    unsupported: list[Unsupported]
    report: Any  # harness.conformance.ParityReport | None
    capture_mode: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.report is None or self.report.ok


def read_v1(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a ``frankenjax.transform-fixtures.v1`` file."""
    from harness.schemas import read_json

    doc: dict[str, Any] = read_json(path, SCHEMA)
    return doc


def _to_case(rust: dict[str, Any], capture_mode: str, where: str) -> dict[str, Any]:
    """A Rust case as one of our fixture case objects (IR traced by the reference from the seed program)."""
    import frankenjax_ref as fj
    from frankenjax_ref import ir
    from frankenjax_ref.dispatch import make_transform, stack_signature
    from harness.conformance.catalog.programs import SEED_PROGRAMS, build_program, reference_namespace
    from harness.conformance.compare import Tolerance
    from harness.conformance.fixtures import doc_fingerprint

    if rust["program"] not in SEED_PROGRAMS:
        raise InteropError(
            "FJ-INTEROP-FORMAT", f"program {rust['program']!r} is not a seed program", where=where
        )
    bad = [t for t in rust["transforms"] if t not in TRANSFORMS]
    if bad:
        raise InteropError("FJ-INTEROP-FORMAT", f"unsupported transforms {bad}", where=where)
    stack = [make_transform(t) for t in rust["transforms"]]
    args = [decode_value(a, f"{where}.args[{i}]") for i, a in enumerate(rust["args"])]
    expected = [decode_value(a, f"{where}.expected[{i}]") for i, a in enumerate(rust["expected"])]
    # the program's own avals: one vmap layer maps axis 0 of every argument
    n_vmap = sum(t.name == "vmap" for t in stack)
    examples = [np.zeros(a.shape[n_vmap:], a.dtype) for a in args]
    fn = build_program(reference_namespace(), f"seed.{rust['program']}", {})
    closed = fj.make_jaxpr(fn)(*examples)
    doc = ir.to_json(closed)
    exact = rust["comparator"] == "exact"
    tol = (
        Tolerance(0.0, 0.0, 0, True, "exact")
        if exact
        else Tolerance(float(rust["atol"]), float(rust["rtol"]), 0, True, "frankenjax-v1")
    )
    mode = "jax" if capture_mode == "legacy_jax" else "analytical_fallback"
    return {
        "case_id": rust["case_id"],
        "family": f"frankenjax-v1.{rust['family']}",
        "program": f"seed.{rust['program']}",
        "primitive": None,
        "primitives": sorted({e.primitive.name for e in closed.jaxpr.walk()}),
        "stack_signature": stack_signature(stack),
        "stack": [t.to_json() for t in stack],
        "operands": [{"shape": list(e.shape), "dtype": e.dtype.name} for e in examples],
        "ir": doc,
        "ir_fingerprint": doc_fingerprint(doc),
        "probe": None,
        "inputs": [ir.encode_array(a) for a in args],
        "expected": {"outputs": [ir.encode_array(e) for e in expected]},
        "comparator": "exact" if exact else "allclose",
        "tolerance": tol.to_json(),
        "flaky": bool(rust["flaky"]),
        "flaky_reason": None,
        "capture_mode": mode,
        "input_set": "frankenjax-v1",
        "program_args": {},
        "provenance": None,
    }


def import_v1(
    path: str | os.PathLike[str],
    *,
    report_dir: str | os.PathLike[str] | None = None,
    junit: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    executor: Any = None,
    write: bool = True,
) -> ImportResult:
    """Read a Rust-format file and run its supported cases through the conformance runner."""
    from harness.conformance.runner import run_cases

    start = time.perf_counter()
    doc = read_v1(path)
    cases, unsupported = [], []
    for i, rust in enumerate(doc["cases"]):
        where = f"{path}:cases[{i}]({rust.get('case_id')})"
        try:
            cases.append(_to_case(rust, doc["capture_mode"], where))
        except InteropError as exc:
            unsupported.append(Unsupported(rust["case_id"], exc.message))
        except FJError as exc:  # the reference cannot trace the seed program at these avals
            unsupported.append(Unsupported(rust["case_id"], f"[{exc.code}] {exc.message}"))
    report = None
    if cases:
        out_dir = Path(report_dir) if report_dir is not None else None
        report = run_cases(
            cases,
            fixture_info=[
                {
                    "path": str(path),
                    "family": FORMAT,
                    "capture_mode": doc["capture_mode"],
                    "cases": len(doc["cases"]),
                    "sha256": _sha256(Path(path)),
                }
            ],
            report_dir=out_dir,
            junit=Path(junit) if junit is not None else None,
            jobs=jobs,
            executor=executor,
            write=write and out_dir is not None,
            started=start,
        )
    return ImportResult(
        str(path),
        len(doc["cases"]),
        len(cases),
        unsupported,
        report,
        doc["capture_mode"],
        dict(report.files) if report is not None else {},
    )


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
