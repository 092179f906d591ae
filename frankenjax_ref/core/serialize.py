"""Canonical JSON for programs (``frankenjax.ir.v1``): :func:`dumps`, :func:`loads`.

A document::

    {"schema": "frankenjax.ir.v1", "jaxpr": JAXPR, "consts": [ARRAY, ...]}

    JAXPR  = {"constvars": [BINDER], "invars": [BINDER], "equations": [EQN], "outvars": [ATOM]}
    BINDER = {"name": str, "aval": {"dtype": str, "shape": [int], "weak_type": bool}}
    ATOM   = {"var": name} | {"lit": ARRAY (rank 0), "weak_type": bool}
    EQN    = {"primitive": str, "inputs": [ATOM], "outputs": [BINDER],
              "params": {every declared param, typed},
              "sub_jaxprs": {"<declared name>": {"jaxpr": JAXPR, "consts": [ARRAY]}}}

ARRAY is :mod:`frankenjax_ref.core.values`' encoding. Each jaxpr, including
each sub-jaxpr, is its own scope: it sees only its own binders.

Canonical form (what :func:`dumps` writes):

* names are given per scope in binding order — constvars, invars, then
  equation outputs — as JAX's printer does: ``a`` .. ``z``, ``ba`` .. ``bz``,
  ``ca`` .., ``zz``, ``baa`` .. (the binder's index in base 26 with digits
  ``a``-``z``); every sub-jaxpr starts again at ``a``, so a sub-program
  serializes the same wherever it appears;
* ``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=True,
  allow_nan=False)``; every key is always written (empty ``params`` and
  ``sub_jaxprs`` included).

:func:`fingerprint` is the SHA-256 hex digest of the canonical UTF-8 bytes,
so renaming variables or reordering keys never changes it, and
``fingerprint(loads(dumps(p))) == fingerprint(p)``.

Reading (:func:`loads`) accepts any names (non-empty strings up to
``Limits.max_name_length``), any key order and any whitespace; it rejects
duplicate object keys (``FJ-IR-SYNTAX``: which of two values is meant is
ambiguous, and parsers disagree), the non-JSON constants ``NaN`` and
``Infinity`` (``FJ-IR-SYNTAX``), integers with more than 64 digits
(``FJ-IR-LIMIT``) and unknown keys anywhere (``FJ-IR-SCHEMA``). On arbitrary
bytes it returns a valid, type-checked :class:`ClosedJaxpr` or raises
:class:`IRError`; nothing else escapes, recursion is bounded by
``Limits.max_depth`` and memory by the other :class:`Limits`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from frankenjax_ref.core.avals import ShapedArray
from frankenjax_ref.core.ir import Atom, ClosedJaxpr, Equation, Jaxpr, Literal, Var
from frankenjax_ref.core.params import ParamError
from frankenjax_ref.core.pretty import var_name
from frankenjax_ref.core.primitive import Primitive, lookup
from frankenjax_ref.core.validate import convert_params, join, validate
from frankenjax_ref.core.values import (
    DEFAULT_LIMITS,
    ElementBudget,
    Limits,
    _jtype,
    decode_array,
    decode_dtype,
    decode_shape,
    encode_array,
)
from frankenjax_ref.errors import FJError, IRError

SCHEMA_NAME = "frankenjax.ir.v1"

__all__ = ["SCHEMA_NAME", "Limits", "dumps", "fingerprint", "loads", "parse_json", "to_json", "var_name"]

_DOC_KEYS = frozenset({"schema", "jaxpr", "consts"})
_CLOSED_KEYS = frozenset({"jaxpr", "consts"})
_JAXPR_KEYS = frozenset({"constvars", "invars", "equations", "outvars"})
_BINDER_KEYS = frozenset({"name", "aval"})
_AVAL_KEYS = frozenset({"dtype", "shape", "weak_type"})
_EQN_KEYS = frozenset({"primitive", "inputs", "outputs", "params", "sub_jaxprs"})
_VAR_KEYS = frozenset({"var"})
_LIT_KEYS = frozenset({"lit", "weak_type"})

_MAX_INT_DIGITS = 64


# --- JSON text ---------------------------------------------------------------------


class _Reject(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _Reject("FJ-IR-SYNTAX", f"duplicate object key {dup[:64]!r}")
    return obj


def _constant(name: str) -> Any:
    raise _Reject("FJ-IR-SYNTAX", f'{name} is not JSON (write the string "nan", "inf" or "-inf")')


def _int(text: str) -> int:
    if len(text) > _MAX_INT_DIGITS:
        raise _Reject("FJ-IR-LIMIT", f"integer literal with {len(text)} digits (at most {_MAX_INT_DIGITS})")
    return int(text)


def parse_json(data: str | bytes | bytearray | memoryview, limits: Limits | None = None) -> Any:
    """Strict, bounded JSON: UTF-8 only, no duplicate keys, no NaN/Infinity, size-limited.

    Raises IRError: FJ-IR-SYNTAX (not UTF-8 / not JSON), FJ-IR-LIMIT (too
    large, too deeply nested, an absurd integer).
    """
    limits = limits or DEFAULT_LIMITS
    if isinstance(data, str):
        # characters <= UTF-8 bytes <= 4 * characters: encode only when in doubt
        if len(data) > limits.max_bytes or (
            4 * len(data) > limits.max_bytes and len(data.encode("utf-8", "surrogatepass")) > limits.max_bytes
        ):
            raise IRError("FJ-IR-LIMIT", f"document larger than {limits.max_bytes} bytes", where="$")
        text = data
    elif isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) > limits.max_bytes:
            raise IRError("FJ-IR-LIMIT", f"document larger than {limits.max_bytes} bytes", where="$")
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IRError("FJ-IR-SYNTAX", f"not UTF-8: {exc.reason} at byte {exc.start}", where="$") from None
    else:
        raise IRError("FJ-IR-SYNTAX", f"expected str or bytes, got {type(data).__name__}", where="$")
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_int)
    except _Reject as exc:
        raise IRError(exc.code, exc.message, where="$") from None
    except json.JSONDecodeError as exc:
        raise IRError(
            "FJ-IR-SYNTAX", f"not JSON: {exc.msg}", where=f"line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise IRError("FJ-IR-LIMIT", "JSON nested too deeply", where="$") from None
    except MemoryError:
        raise IRError("FJ-IR-LIMIT", "out of memory while parsing JSON", where="$") from None
    except ValueError as exc:  # e.g. int conversion limits
        raise IRError("FJ-IR-SYNTAX", f"not JSON: {str(exc)[:200]}", where="$") from None


# --- reading ------------------------------------------------------------------------


def loads(data: str | bytes | bytearray | memoryview, limits: Limits | None = None) -> ClosedJaxpr:
    """Read a ``frankenjax.ir.v1`` document into a valid, type-checked ClosedJaxpr.

    Raises only :class:`IRError` (see the module docstring for the codes).
    """
    limits = limits or DEFAULT_LIMITS
    doc = parse_json(data, limits)
    try:
        closed = from_json(doc, limits)
        validate(closed, limits)
    except RecursionError:
        raise IRError("FJ-IR-LIMIT", "document nested too deeply", where="$") from None
    except MemoryError:
        raise IRError("FJ-IR-LIMIT", "out of memory while decoding", where="$") from None
    return closed


def from_json(doc: Any, limits: Limits | None = None) -> ClosedJaxpr:
    """Build (but do not type-check) the program of a parsed document."""
    limits = limits or DEFAULT_LIMITS
    if not isinstance(doc, dict):
        raise IRError("FJ-IR-SCHEMA", f"a document is a JSON object, got {_jtype(doc)}", where="$")
    if "schema" not in doc:
        raise IRError("FJ-IR-VERSION", f'missing "schema" (expected {SCHEMA_NAME!r})', where="schema")
    if doc["schema"] != SCHEMA_NAME:
        shown = doc["schema"][:64] if isinstance(doc["schema"], str) else _jtype(doc["schema"])
        raise IRError(
            "FJ-IR-VERSION", f"unknown schema {shown!r}, this reader knows {SCHEMA_NAME!r}", where="schema"
        )
    _keys(doc, _DOC_KEYS, "$")
    return _Decoder(limits).closed(doc, "", 0)


def _keys(obj: dict[str, Any], expected: frozenset[str], where: str) -> None:
    if obj.keys() != expected:
        missing = sorted(expected - obj.keys())
        extra = sorted(k[:64] for k in obj.keys() - expected)[:5]
        raise IRError(
            "FJ-IR-SCHEMA",
            f"expected keys {sorted(expected)} (missing {missing}, unexpected {extra})",
            where=where,
        )


def _obj(obj: Any, expected: frozenset[str], where: str, what: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise IRError("FJ-IR-SCHEMA", f"{what} must be a JSON object, got {_jtype(obj)}", where=where)
    _keys(obj, expected, where)
    return obj


def _list(obj: Any, where: str) -> list[Any]:
    if not isinstance(obj, list):
        raise IRError("FJ-IR-SCHEMA", f"expected a JSON array, got {_jtype(obj)}", where=where)
    return obj


class _Decoder:
    def __init__(self, limits: Limits):
        self.limits = limits
        self.n_equations = 0
        self.n_vars = 0
        self.budget = ElementBudget(limits)

    def closed(self, obj: dict[str, Any], prefix: str, depth: int) -> ClosedJaxpr:
        if depth > self.limits.max_depth:
            raise IRError(
                "FJ-IR-LIMIT", f"sub-jaxprs nested deeper than {self.limits.max_depth}", where=prefix or "$"
            )
        cpath = join(prefix, "consts")
        jaxpr = self.jaxpr(obj["jaxpr"], join(prefix, "jaxpr"), depth)
        consts = tuple(
            decode_array(c, where=f"{cpath}[{i}]", limits=self.limits, budget=self.budget)
            for i, c in enumerate(_list(obj["consts"], cpath))
        )
        return ClosedJaxpr(jaxpr, consts)

    def jaxpr(self, obj: Any, path: str, depth: int) -> Jaxpr:
        obj = _obj(obj, _JAXPR_KEYS, path, "a jaxpr")
        scope: dict[str, Var] = {}
        constvars = self.binders(scope, obj["constvars"], f"{path}.constvars")
        invars = self.binders(scope, obj["invars"], f"{path}.invars")
        equations = []
        epath = f"{path}.equations"
        for i, eqn in enumerate(_list(obj["equations"], epath)):
            equations.append(self.equation(scope, eqn, f"{epath}[{i}]", depth))
        opath = f"{path}.outvars"
        outvars = tuple(
            self.atom(scope, a, f"{opath}[{i}]") for i, a in enumerate(_list(obj["outvars"], opath))
        )
        return Jaxpr(constvars, invars, outvars, tuple(equations))

    def binders(self, scope: dict[str, Var], obj: Any, path: str) -> tuple[Var, ...]:
        return tuple(self.binder(scope, b, f"{path}[{i}]") for i, b in enumerate(_list(obj, path)))

    def binder(self, scope: dict[str, Var], obj: Any, where: str) -> Var:
        obj = _obj(obj, _BINDER_KEYS, where, "a binder")
        name = self.name(obj["name"], f"{where}.name")
        aval = self.aval(obj["aval"], f"{where}.aval")
        self.n_vars += 1
        if self.n_vars > self.limits.max_vars:
            raise IRError("FJ-IR-LIMIT", f"more than {self.limits.max_vars} variables", where=where)
        if name in scope:
            raise IRError(
                "FJ-IR-DUPLICATE-BINDER", f"{name!r} is already bound in this scope", where=f"{where}.name"
            )
        var = scope[name] = Var(aval)
        return var

    def name(self, name: Any, where: str) -> str:
        if not isinstance(name, str) or not name:
            raise IRError("FJ-IR-SCHEMA", f"a name is a non-empty string, got {_jtype(name)}", where=where)
        if len(name) > self.limits.max_name_length:
            raise IRError(
                "FJ-IR-LIMIT", f"name longer than {self.limits.max_name_length} characters", where=where
            )
        return name

    def aval(self, obj: Any, where: str) -> ShapedArray:
        obj = _obj(obj, _AVAL_KEYS, where, "an aval")
        dtype = decode_dtype(obj["dtype"], f"{where}.dtype")
        shape = decode_shape(obj["shape"], f"{where}.shape", self.limits, code="FJ-IR-SCHEMA")
        weak = obj["weak_type"]
        if type(weak) is not bool:
            raise IRError(
                "FJ-IR-SCHEMA",
                f"weak_type must be true or false, got {_jtype(weak)}",
                where=f"{where}.weak_type",
            )
        return ShapedArray(shape, dtype, weak)

    def atom(self, scope: dict[str, Var], obj: Any, where: str) -> Atom:
        if isinstance(obj, dict) and "var" in obj:
            _keys(obj, _VAR_KEYS, where)
            name = obj["var"]
            if not isinstance(name, str):
                raise IRError(
                    "FJ-IR-SCHEMA",
                    f"a variable reference is a string, got {_jtype(name)}",
                    where=f"{where}.var",
                )
            var = scope.get(name)
            if var is None:
                raise IRError(
                    "FJ-IR-UNBOUND-VAR",
                    f"{name[:64]!r} is not bound before this use in this scope",
                    where=where,
                    hint="sub-jaxprs see only their own binders; pass outer values as inputs",
                )
            return var
        obj = _obj(obj, _LIT_KEYS, where, 'an atom ({"var": ...} or {"lit": ..., "weak_type": ...})')
        weak = obj["weak_type"]
        if type(weak) is not bool:
            raise IRError(
                "FJ-IR-SCHEMA",
                f"weak_type must be true or false, got {_jtype(weak)}",
                where=f"{where}.weak_type",
            )
        value = decode_array(obj["lit"], where=f"{where}.lit", limits=self.limits, budget=self.budget)
        return Literal(value, ShapedArray(value.shape, value.dtype, weak))

    def equation(self, scope: dict[str, Var], obj: Any, path: str, depth: int) -> Equation:
        self.n_equations += 1
        if self.n_equations > self.limits.max_equations:
            raise IRError("FJ-IR-LIMIT", f"more than {self.limits.max_equations} equations", where=path)
        obj = _obj(obj, _EQN_KEYS, path, "an equation")
        name = obj["primitive"]
        if not isinstance(name, str):
            raise IRError(
                "FJ-IR-SCHEMA", f"primitive must be a string, got {_jtype(name)}", where=f"{path}.primitive"
            )
        if len(name) > 256:
            raise IRError(
                "FJ-IR-UNKNOWN-PRIMITIVE", f"unknown primitive {name[:64]!r}...", where=f"{path}.primitive"
            )
        try:
            prim = lookup(name)
        except IRError as exc:
            raise IRError(exc.code, exc.message, where=f"{path}.primitive", hint=exc.hint) from None
        ipath = f"{path}.inputs"
        inputs = tuple(
            self.atom(scope, a, f"{ipath}[{i}]") for i, a in enumerate(_list(obj["inputs"], ipath))
        )
        params = self.params(prim, obj["params"], f"{path}.params")
        sub_jaxprs = self.sub_jaxprs(prim, obj["sub_jaxprs"], f"{path}.sub_jaxprs", depth)
        outputs = self.binders(scope, obj["outputs"], f"{path}.outputs")
        return Equation(prim, inputs, outputs, params, sub_jaxprs)

    def params(self, prim: Primitive, obj: Any, where: str) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise IRError(
                "FJ-IR-PARAM", f"{prim.name}: params must be a JSON object, got {_jtype(obj)}", where=where
            )
        return convert_params(prim, obj, where, lambda spec, value: spec.type.decode(value))

    def sub_jaxprs(self, prim: Primitive, obj: Any, where: str, depth: int) -> dict[str, ClosedJaxpr]:
        if not isinstance(obj, dict):
            raise IRError("FJ-IR-SCHEMA", f"sub_jaxprs must be a JSON object, got {_jtype(obj)}", where=where)
        if set(obj) != set(prim.sub_jaxprs):
            raise IRError(
                "FJ-IR-PARAM",
                f"{prim.name}: sub_jaxprs must be exactly {sorted(prim.sub_jaxprs)}, "
                f"got {sorted(k[:64] for k in obj)[:5]}",
                where=where,
            )
        out: dict[str, ClosedJaxpr] = {}
        for key in sorted(obj):
            kpath = f"{where}.{key}"
            if depth + 1 > self.limits.max_depth:
                raise IRError(
                    "FJ-IR-LIMIT", f"sub-jaxprs nested deeper than {self.limits.max_depth}", where=kpath
                )
            out[key] = self.closed(_obj(obj[key], _CLOSED_KEYS, kpath, "a sub-jaxpr"), kpath, depth + 1)
        return out


# --- writing --------------------------------------------------------------------------


def to_json(closed: ClosedJaxpr, *, check: bool = True, limits: Limits | None = None) -> dict[str, Any]:
    """The canonical document of ``closed`` as plain JSON data.

    With ``check`` (the default) the program is validated first, so whatever
    is written can be read back; ``check=False`` skips the type checker but
    still refuses what cannot be written (unbound variables, unknown dtypes).
    """
    limits = limits or DEFAULT_LIMITS
    if check:
        validate(closed, limits)
    if not isinstance(closed, ClosedJaxpr):
        raise IRError("FJ-IR-SCHEMA", f"expected a ClosedJaxpr, got {type(closed).__name__}", where="$")
    return {"schema": SCHEMA_NAME, **_Encoder(limits).closed(closed, "", 0)}


def dumps(closed: ClosedJaxpr, *, check: bool = True, limits: Limits | None = None) -> str:
    """The canonical ``frankenjax.ir.v1`` text of ``closed`` (ASCII, no whitespace)."""
    doc = to_json(closed, check=check, limits=limits)
    try:
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise IRError("FJ-IR-PARAM", f"a param is not JSON-encodable: {exc}", where="$") from None


def fingerprint(closed: ClosedJaxpr, *, check: bool = True) -> str:
    """SHA-256 hex of the canonical UTF-8 bytes of ``closed``."""
    return hashlib.sha256(dumps(closed, check=check).encode("utf-8")).hexdigest()


class _Encoder:
    def __init__(self, limits: Limits):
        self.limits = limits

    def closed(self, closed: ClosedJaxpr, prefix: str, depth: int) -> dict[str, Any]:
        if depth > self.limits.max_depth:
            raise IRError(
                "FJ-IR-LIMIT", f"sub-jaxprs nested deeper than {self.limits.max_depth}", where=prefix or "$"
            )
        cpath = join(prefix, "consts")
        return {
            "jaxpr": self.jaxpr(closed.jaxpr, join(prefix, "jaxpr"), depth),
            "consts": [encode_array(c, where=f"{cpath}[{i}]") for i, c in enumerate(closed.consts)],
        }

    def jaxpr(self, jaxpr: Jaxpr, path: str, depth: int) -> dict[str, Any]:
        names: dict[Var, str] = {}

        def bind(var: Var) -> dict[str, Any]:
            name = names[var] = var_name(len(names))
            return {"name": name, "aval": var.aval.to_json()}

        def atom(x: Atom, seq: str, j: int) -> dict[str, Any]:
            if isinstance(x, Literal):
                return {
                    "lit": encode_array(x.value, where=f"{seq}[{j}]"),
                    "weak_type": bool(x.aval.weak_type),
                }
            name = names.get(x)
            if name is None:
                raise IRError("FJ-IR-UNBOUND-VAR", "variable used before it is bound", where=f"{seq}[{j}]")
            return {"var": name}

        constvars = [bind(v) for v in jaxpr.constvars]
        invars = [bind(v) for v in jaxpr.invars]
        equations = []
        for i, eqn in enumerate(jaxpr.equations):
            epath = f"{path}.equations[{i}]"
            inputs = [atom(x, f"{epath}.inputs", j) for j, x in enumerate(eqn.inputs)]
            equations.append(
                {
                    "primitive": eqn.primitive.name,
                    "inputs": inputs,
                    "params": self.params(eqn, f"{epath}.params"),
                    "sub_jaxprs": {
                        key: self.closed(sub, f"{epath}.sub_jaxprs.{key}", depth + 1)
                        for key, sub in sorted(eqn.sub_jaxprs.items())
                    },
                    "outputs": [bind(v) for v in eqn.outputs],
                }
            )
        outvars = [atom(x, f"{path}.outvars", i) for i, x in enumerate(jaxpr.outvars)]
        return {"constvars": constvars, "invars": invars, "equations": equations, "outvars": outvars}

    def params(self, eqn: Equation, where: str) -> dict[str, Any]:
        specs = eqn.primitive.params
        out: dict[str, Any] = {}
        for key, spec in specs.items():
            if key not in eqn.params:
                raise IRError("FJ-IR-PARAM", f"{eqn.primitive.name}: missing param {key!r}", where=where)
            try:
                out[key] = spec.type.encode(eqn.params[key])
            except (ParamError, FJError, TypeError, ValueError, AttributeError) as exc:
                raise IRError(
                    "FJ-IR-PARAM",
                    f"{eqn.primitive.name}: param {key!r} cannot be encoded: {exc}",
                    where=f"{where}.{key}",
                ) from None
        extra = sorted(set(eqn.params) - set(specs))
        if extra:
            raise IRError("FJ-IR-PARAM", f"{eqn.primitive.name}: unexpected params {extra}", where=where)
        return out
