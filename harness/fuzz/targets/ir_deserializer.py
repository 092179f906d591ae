"""Target ``ir_deserializer``: any bytes through :func:`frankenjax_ref.ir.loads`.

Only ``IRError`` may escape ``loads`` (and only a clean one: see
:func:`harness.fuzz.oracle.rejection`). What ``loads`` accepts must satisfy,
in this order:

1. ``ir.validate`` accepts it again (``invariant``);
2. it serializes: ``fingerprint`` and ``dumps`` succeed (``invariant``);
3. the canonical text reads back and has the same fingerprint, and dumping
   that gives the same text (``round-trip-mismatch``);
4. it carries the data the bytes said (``wrong-data``): the input document
   and the canonical one are compared structurally, binder names replaced by
   binding positions per scope, every array element checked against an
   independent rounding of the input number to the dtype (exact rational
   arithmetic, not NumPy), NaN payloads and signed zeros exactly;
5. the pretty printer (``fjh ir print``) renders it.

Any IRError in steps 1-3 on an accepted program is an invariant violation;
any non-taxonomy exception anywhere is a crash.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

from frankenjax_ref import ir
from frankenjax_ref.core import dtypes
from frankenjax_ref.core.params import Optional, _DType
from frankenjax_ref.core.primitive import PRIMITIVES, lookup
from frankenjax_ref.errors import IRError
from harness.fuzz.oracle import INVARIANT, ROUND_TRIP, WRONG_DATA, InvariantViolation, rejection


def check(data: bytes) -> str:
    try:
        closed = ir.loads(data)
    except IRError as exc:
        return rejection(exc)
    try:
        ir.validate(closed)
    except IRError as exc:
        rejection(exc)
        raise InvariantViolation(INVARIANT, f"loads accepted a program validate rejects: {exc}") from exc
    try:
        text = ir.dumps(closed)
        fp = ir.fingerprint(closed)
    except IRError as exc:
        rejection(exc)
        raise InvariantViolation(INVARIANT, f"an accepted program cannot be serialized: {exc}") from exc
    try:
        again = ir.loads(text)
    except IRError as exc:
        rejection(exc)
        raise InvariantViolation(
            ROUND_TRIP, f"canonical text of an accepted program is rejected: {exc}"
        ) from exc
    fp2 = ir.fingerprint(again)
    if fp2 != fp:
        raise InvariantViolation(ROUND_TRIP, f"fingerprint changed over dumps/loads: {fp} -> {fp2}")
    if ir.dumps(again) != text:
        raise InvariantViolation(ROUND_TRIP, "dumps(loads(dumps(p))) != dumps(p)")
    difference = compare_documents(json.loads(bytes(data).decode("utf-8")), json.loads(text))
    if difference is not None:
        raise InvariantViolation(WRONG_DATA, difference)
    ir.pformat(closed)
    return "accepted"


def dictionary() -> list[bytes]:
    """Tokens that let byte-level mutations reach deep: keys, names, special values."""
    lookup("add")  # registers every primitive family
    words: set[str] = set(PRIMITIVES)
    words |= {dtypes.name_of(d) for d in dtypes.ALL} | {"float0"}
    words |= {"schema", "frankenjax.ir.v1", "jaxpr", "consts", "constvars", "invars", "equations"}
    words |= {"outvars", "name", "aval", "dtype", "shape", "weak_type", "primitive", "inputs"}
    words |= {"outputs", "params", "sub_jaxprs", "var", "lit", "data", "nan", "inf", "-inf"}
    for prim in PRIMITIVES.values():
        words |= set(prim.params)
    tokens = [f'"{w}"'.encode() for w in sorted(words)]
    tokens += [b'"nan:0x7ff8000000000001"', b'"nan:0xffc00001"', b"-0.0", b"5e-324", b"1e309"]
    tokens += [b"18446744073709551615", b"-9223372036854775808", b"true", b"false", b"null", b"[]", b"{}"]
    return tokens


# --- the data oracle -------------------------------------------------------------------


#: (fraction bits, exponent of the smallest normal, largest finite value)
_FORMATS: dict[str, tuple[int, int, float]] = {
    "float16": (10, -14, 65504.0),
    "bfloat16": (7, -126, float(Fraction(2**8 - 1, 2**7) * 2**127)),
    "float32": (23, -126, float(Fraction(2**24 - 1, 2**23) * 2**127)),
}
_FLOATS = {"bfloat16", "float16", "float32", "float64"}
_COMPLEX = {"complex64": "float32", "complex128": "float64"}
_WIDTH = {"bfloat16": 16, "float16": 16, "float32": 32, "float64": 64}
_DEFAULT_NAN = {"bfloat16": 0x7FC0, "float16": 0x7E00, "float32": 0x7FC00000, "float64": 0x7FF8000000000000}


def round_to(x: float, dtype: str) -> float:
    """``x`` (a finite float64) rounded to nearest, ties to even, in ``dtype``; inf on overflow.

    Exact rational arithmetic, independent of NumPy and ml_dtypes, so it can
    check their conversions.
    """
    if dtype == "float64" or x == 0.0:
        return x
    mant, emin, largest = _FORMATS[dtype]
    _, e = math.frexp(abs(x))
    quantum = max(e - 1, emin) - mant  # ulp exponent (subnormals share emin's)
    n = round(Fraction(abs(x)) / Fraction(2) ** quantum)  # round() on a Fraction: ties to even
    value = Fraction(n) * Fraction(2) ** quantum
    result = math.inf if value > Fraction(largest) else float(value)
    return math.copysign(result, x)


class _Mismatch(Exception):
    pass


def _float_element(v: Any, dtype: str, where: str, canonical: bool) -> str:
    """The element's exact value: hex float, ``inf``/``-inf`` or ``nan:0x<bits>``."""
    if isinstance(v, str):
        if v in ("inf", "-inf"):
            return v
        if v == "nan":
            return f"nan:0x{_DEFAULT_NAN[dtype]:x}"
        if v.startswith("nan:0x"):
            return f"nan:0x{int(v[6:], 16):x}"
        raise _Mismatch(f"{where}: unexpected float string {v[:40]!r}")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _Mismatch(f"{where}: {type(v).__name__} where a number is expected")
    x = float(v)
    rounded = round_to(x, dtype)
    if canonical and (rounded != x or math.copysign(1, rounded) != math.copysign(1, x)):
        raise _Mismatch(f"{where}: canonical value {x!r} is not exactly representable in {dtype}")
    if math.isinf(rounded):
        raise _Mismatch(f"{where}: {x!r} overflows {dtype} but was accepted")
    return rounded.hex()


def _array(obj: Any, where: str, canonical: bool) -> Any:
    if not isinstance(obj, dict) or set(obj) != {"dtype", "shape", "data"}:
        raise _Mismatch(f"{where}: not an array object")
    dtype, shape, data = obj["dtype"], obj["shape"], obj["data"]
    if dtype == "float0":
        return {"dtype": dtype, "shape": shape, "data": len(data)}
    values: list[Any]
    if dtype in _FLOATS:
        values = [_float_element(v, dtype, f"{where}.data[{i}]", canonical) for i, v in enumerate(data)]
    elif dtype in _COMPLEX:
        comp = _COMPLEX[dtype]
        values = [
            [_float_element(p, comp, f"{where}.data[{i}]", canonical) for p in pair]
            for i, pair in enumerate(data)
        ]
    else:
        values = [f"{type(v).__name__}:{v}" for v in data]
    return {"dtype": dtype, "shape": shape, "data": values}


def _aval(obj: Any) -> Any:
    return {"dtype": obj["dtype"], "shape": obj["shape"], "weak_type": obj["weak_type"]}


def _param(prim: str, key: str, value: Any) -> Any:
    """Short dtype names are accepted and written long: compare dtype params by meaning."""
    spec = PRIMITIVES[prim].params[key].type if prim in PRIMITIVES else None
    inner = spec.inner if isinstance(spec, Optional) else spec
    if isinstance(inner, _DType) and isinstance(value, str):
        try:
            return dtypes.name_of(dtypes.from_name(value))
        except IRError:
            return value
    return value


def _closed(obj: Any, where: str, canonical: bool) -> Any:
    jaxpr = obj["jaxpr"]
    scope: dict[str, int] = {}

    def bind(b: Any) -> Any:
        scope[b["name"]] = len(scope)
        return _aval(b["aval"])

    def atom(a: Any, at: str) -> Any:
        if "var" in a:
            return {"var": scope[a["var"]]}
        return {"lit": _array(a["lit"], f"{at}.lit", canonical), "weak_type": a["weak_type"]}

    jpath = f"{where}jaxpr"
    constvars = [bind(b) for b in jaxpr["constvars"]]
    invars = [bind(b) for b in jaxpr["invars"]]
    equations = []
    for i, e in enumerate(jaxpr["equations"]):
        epath = f"{jpath}.equations[{i}]"
        inputs = [atom(a, f"{epath}.inputs[{j}]") for j, a in enumerate(e["inputs"])]
        params = {k: _param(e["primitive"], k, v) for k, v in e["params"].items()}
        subs = {k: _closed(s, f"{epath}.sub_jaxprs.{k}.", canonical) for k, s in e["sub_jaxprs"].items()}
        outputs = [bind(b) for b in e["outputs"]]
        equations.append(
            {
                "primitive": e["primitive"],
                "inputs": inputs,
                "params": params,
                "sub_jaxprs": subs,
                "outputs": outputs,
            }
        )
    outvars = [atom(a, f"{jpath}.outvars[{j}]") for j, a in enumerate(jaxpr["outvars"])]
    consts = [_array(c, f"{where}consts[{i}]", canonical) for i, c in enumerate(obj["consts"])]
    return {
        "jaxpr": {"constvars": constvars, "invars": invars, "equations": equations, "outvars": outvars},
        "consts": consts,
    }


def _first_difference(a: Any, b: Any, path: str) -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{path}: keys {sorted(a)} != {sorted(b)}"
        for key in a:
            found = _first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None
    if type(a) is not type(b) or a != b:
        return f"{path}: input says {str(a)[:80]}, canonical form says {str(b)[:80]}"
    return None


def compare_documents(given: Any, canonical: Any) -> str | None:
    """None when the canonical document carries exactly the input document's program."""
    try:
        left = _closed(given, "", canonical=False)
    except _Mismatch as exc:
        return f"input: {exc}"
    except (KeyError, TypeError) as exc:  # loads accepted a document this walker cannot read
        return f"input document has an unexpected shape: {type(exc).__name__}: {exc}"
    try:
        right = _closed(canonical, "", canonical=True)
    except _Mismatch as exc:
        return f"canonical: {exc}"
    except (KeyError, TypeError) as exc:
        return f"canonical document has an unexpected shape: {type(exc).__name__}: {exc}"
    return _first_difference(left, right, "$")


# --- fuzzing aid: retyping mutants ----------------------------------------------------------------


def retype(doc: Any) -> Any:
    """Rewrite each equation's declared outputs to what its abstract eval says, scope by scope.

    A mutant that changes a param, a shape or a dtype is almost always
    rejected by the type checker (``FJ-IR-TYPE-MISMATCH``) before anything
    past it runs. Retyping (with the reference's own rules, as ``rehash``
    does for sidecar manifests) turns many of them into valid programs with
    unusual params and shapes, which is what the round-trip and data oracles
    need to see. Best effort: it stops at the first equation it cannot type
    and leaves the rest as they are.
    """
    from frankenjax_ref.core.serialize import _Decoder
    from frankenjax_ref.core.values import DEFAULT_LIMITS

    decoder = _Decoder(DEFAULT_LIMITS)
    if isinstance(doc, dict) and isinstance(doc.get("jaxpr"), dict):
        _retype_jaxpr(doc["jaxpr"], decoder, 0)
    return doc


def _retype_jaxpr(jaxpr: dict[str, Any], decoder: Any, depth: int) -> None:
    from frankenjax_ref.core.primitive import abstract_eval

    if depth > 8:
        return
    env: dict[str, Any] = {}
    for b in [*jaxpr.get("constvars", []), *jaxpr.get("invars", [])]:
        env[b["name"]] = decoder.aval(b["aval"], "")
    for eqn in jaxpr.get("equations", []):
        try:
            prim = lookup(eqn["primitive"])
            avals = []
            for atom in eqn["inputs"]:
                if "var" in atom:
                    avals.append(env[atom["var"]])
                else:
                    avals.append(decoder.atom({}, atom, "").aval)
            subs = {}
            for key, sub in eqn["sub_jaxprs"].items():
                _retype_jaxpr(sub["jaxpr"], decoder, depth + 1)
                subs[key] = decoder.closed(sub, "", depth + 1)
            params = decoder.params(prim, eqn["params"], "")
            outs = abstract_eval(prim, avals, {**params, **subs})
        except Exception:  # an untypable equation ends the retyping
            return
        binders = eqn["outputs"]
        while len(binders) < len(outs):
            binders.append({"name": f"r{len(env)}_{len(binders)}", "aval": {}})
        del binders[len(outs) :]
        for binder, aval in zip(binders, outs, strict=True):
            binder["aval"] = aval.to_json()
            env[binder["name"]] = aval


def mutator(tokens: list[bytes]) -> Any:
    """The JSON mutator, retyping half of its mutants."""
    from harness.fuzz.mutators import JsonMutator

    words = [t[1:-1].decode("utf-8", "replace") for t in tokens if t.startswith(b'"') and t.endswith(b'"')]
    return JsonMutator(words, fixup=retype, fixup_probability=0.5)
