"""Well-formedness and type checking of in-memory IR.

:func:`validate` is the one checker: :func:`frankenjax_ref.core.serialize.loads`
runs it on every program it builds, and tests run it on traced programs. It
checks, scope by scope (each jaxpr, including each sub-jaxpr, is its own
scope and sees only its own binders):

* structure — the right Python types everywhere (``FJ-IR-SCHEMA``);
* binders — every constvar, invar and equation output is bound once
  (``FJ-IR-DUPLICATE-BINDER``) and every use, outvars included, comes after
  its binding (``FJ-IR-UNBOUND-VAR``);
* primitives — registered (``FJ-IR-UNKNOWN-PRIMITIVE``), with exactly the
  declared params, each of its declared type, and exactly the declared
  sub-jaxprs (``FJ-IR-PARAM``);
* counts — consts vs constvars, and an equation's outputs (and inputs, when
  the abstract-eval rule's signature rejects them) vs what the primitive
  produces (``FJ-IR-ARITY``);
* types — a const's shape and dtype equal its constvar's; a literal is a 0-d
  array of its aval's dtype; each equation's abstract evaluation equals its
  declared outputs in shape, dtype and weak type, and a rule rejecting the
  operands is reported here too (``FJ-IR-TYPE-MISMATCH``);
* limits — nesting depth, equation and binder counts, ranks and element
  counts (``FJ-IR-LIMIT``).

``where`` in every error is a JSON-path-like location that reads the same
for in-memory IR and for its canonical JSON, e.g.
``jaxpr.equations[3].sub_jaxprs.jaxpr.jaxpr.equations[0] (sin)``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray
from frankenjax_ref.core.ir import ClosedJaxpr, Equation, Jaxpr, Literal, Var
from frankenjax_ref.core.params import ParamError
from frankenjax_ref.core.primitive import PRIMITIVES, Primitive, abstract_eval, abstract_eval_rules
from frankenjax_ref.core.values import DEFAULT_LIMITS, ElementBudget, Limits
from frankenjax_ref.errors import FJError, IRError

_SUPPORTED = frozenset([*dtypes.ALL, dtypes.float0])


def validate(closed: ClosedJaxpr, limits: Limits | None = None) -> None:
    """Raise :class:`IRError` if ``closed`` is malformed or ill-typed; else return None."""
    _Validator(limits or DEFAULT_LIMITS).closed(closed, "", 0)


def join(prefix: str, key: str) -> str:
    """Path ``prefix`` extended by ``key`` (the root has an empty prefix)."""
    return f"{prefix}.{key}" if prefix else key


def eqn_where(path: str, eqn: Any) -> str:
    name = getattr(getattr(eqn, "primitive", None), "name", "?")
    return f"{path} ({name})"


def convert_params(
    prim: Primitive, params: Any, where: str, convert: Callable[[Any, Any], Any]
) -> dict[str, Any]:
    """``{key: convert(spec, params[key])}`` over ``prim``'s param specs, after checking that
    ``params`` has exactly their keys; any failure is ``FJ-IR-PARAM`` naming the key. The
    deserializer decodes JSON values this way and the validator checks in-memory ones."""
    if set(params.keys()) != set(prim.params):
        missing = sorted(set(prim.params) - set(params.keys()))
        extra = sorted(str(k)[:64] for k in set(params.keys()) - set(prim.params))[:5]
        message = f"{prim.name}: params missing {missing} / unexpected {extra}"
        raise IRError("FJ-IR-PARAM", message, where=where)
    out: dict[str, Any] = {}
    for key, spec in prim.params.items():
        at = f"{where}.{key}"
        try:
            out[key] = convert(spec, params[key])
        except (ParamError, FJError) as exc:
            reason = exc.message if isinstance(exc, FJError) else str(exc)
            raise IRError("FJ-IR-PARAM", f"{prim.name}: param {key!r}: {reason[:300]}", where=at) from None
        except (TypeError, ValueError, OverflowError, KeyError, AttributeError) as exc:
            message = f"{prim.name}: param {key!r}: {type(exc).__name__}: {str(exc)[:200]}"
            raise IRError("FJ-IR-PARAM", message, where=at) from exc
    return out


class _Validator:
    def __init__(self, limits: Limits):
        self.limits = limits
        self.n_equations = 0
        self.n_vars = 0
        self.budget = ElementBudget(limits)

    # -- scopes -------------------------------------------------------------

    def closed(self, closed: Any, prefix: str, depth: int) -> None:
        if depth > self.limits.max_depth:
            raise IRError(
                "FJ-IR-LIMIT", f"sub-jaxprs nested deeper than {self.limits.max_depth}", where=prefix or "$"
            )
        if not isinstance(closed, ClosedJaxpr):
            raise IRError(
                "FJ-IR-SCHEMA", f"expected a ClosedJaxpr, got {type(closed).__name__}", where=prefix or "$"
            )
        jaxpr = closed.jaxpr
        jpath = join(prefix, "jaxpr")
        if not isinstance(jaxpr, Jaxpr):
            raise IRError("FJ-IR-SCHEMA", f"expected a Jaxpr, got {type(jaxpr).__name__}", where=jpath)
        for name in ("constvars", "invars", "outvars", "equations"):
            if not isinstance(getattr(jaxpr, name), (tuple, list)):
                raise IRError("FJ-IR-SCHEMA", f"{name} must be a tuple", where=join(jpath, name))
        consts = closed.consts
        if not isinstance(consts, (tuple, list)):
            raise IRError("FJ-IR-SCHEMA", "consts must be a tuple", where=join(prefix, "consts"))
        if len(consts) != len(jaxpr.constvars):
            raise IRError(
                "FJ-IR-ARITY",
                f"{len(jaxpr.constvars)} constvars but {len(consts)} consts",
                where=join(prefix, "consts"),
            )
        scope: set[Var] = set()
        for i, (var, const) in enumerate(zip(jaxpr.constvars, consts, strict=True)):
            self.bind(scope, var, f"{jpath}.constvars[{i}]")
            self.const(const, var.aval, f"{join(prefix, 'consts')}[{i}]")
        for i, var in enumerate(jaxpr.invars):
            self.bind(scope, var, f"{jpath}.invars[{i}]")
        for i, eqn in enumerate(jaxpr.equations):
            self.equation(scope, eqn, f"{jpath}.equations[{i}]", depth)
        for i, atom in enumerate(jaxpr.outvars):
            self.use(scope, atom, f"{jpath}.outvars[{i}]")

    def bind(self, scope: set[Var], var: Any, where: str) -> None:
        if not isinstance(var, Var):
            raise IRError("FJ-IR-SCHEMA", f"a binder must be a Var, got {type(var).__name__}", where=where)
        self.aval(var.aval, where)
        self.n_vars += 1
        if self.n_vars > self.limits.max_vars:
            raise IRError("FJ-IR-LIMIT", f"more than {self.limits.max_vars} variables", where=where)
        if var in scope:
            raise IRError("FJ-IR-DUPLICATE-BINDER", "variable bound twice in one scope", where=where)
        scope.add(var)

    def use(self, scope: set[Var], atom: Any, where: str) -> None:
        if isinstance(atom, Var):
            if atom not in scope:
                raise IRError(
                    "FJ-IR-UNBOUND-VAR",
                    f"variable {atom.aval.str_short() if isinstance(atom.aval, ShapedArray) else ''} "
                    "is used but not bound in this scope",
                    where=where,
                    hint="sub-jaxprs see only their own binders; pass outer values as inputs",
                )
        elif isinstance(atom, Literal):
            self.literal(atom, where)
        else:
            raise IRError(
                "FJ-IR-SCHEMA", f"an atom must be a Var or Literal, got {type(atom).__name__}", where=where
            )

    # -- values ---------------------------------------------------------------

    def aval(self, aval: Any, where: str) -> None:
        if not isinstance(aval, ShapedArray):
            raise IRError(
                "FJ-IR-SCHEMA", f"an aval must be a ShapedArray, got {type(aval).__name__}", where=where
            )
        if not isinstance(aval.dtype, np.dtype) or aval.dtype not in _SUPPORTED:
            raise IRError("FJ-IR-DTYPE", f"unsupported dtype {aval.dtype!r}", where=where)
        if len(aval.shape) > self.limits.max_rank:
            raise IRError(
                "FJ-IR-LIMIT", f"rank {len(aval.shape)} exceeds {self.limits.max_rank}", where=where
            )
        if any(d < 0 for d in aval.shape):
            raise IRError("FJ-IR-SCHEMA", f"negative dimension in {list(aval.shape)}", where=where)
        if (
            any(d > self.limits.max_elements for d in aval.shape)
            or math.prod(aval.shape) > self.limits.max_elements
        ):
            raise IRError(
                "FJ-IR-LIMIT",
                f"shape {list(aval.shape)} exceeds {self.limits.max_elements} elements",
                where=where,
            )

    def const(self, value: Any, aval: ShapedArray, where: str) -> None:
        got = getattr(value, "aval", None)
        if isinstance(got, ShapedArray):  # a tracer of an outer transform
            shape, dtype = got.shape, got.dtype
        else:
            if not isinstance(value, (np.ndarray, np.generic)):
                raise IRError(
                    "FJ-IR-SCHEMA", f"a const must be a NumPy array, got {type(value).__name__}", where=where
                )
            shape, dtype = value.shape, value.dtype
        self.budget.charge(math.prod(shape), where)
        if shape != aval.shape or dtype != aval.dtype:
            raise IRError(
                "FJ-IR-TYPE-MISMATCH",
                f"const is {_fmt(shape, dtype)} but its constvar is {aval.str_short()}",
                where=where,
            )

    def literal(self, lit: Literal, where: str) -> None:
        self.aval(lit.aval, where)
        value = lit.value
        if not isinstance(value, (np.ndarray, np.generic)):
            raise IRError(
                "FJ-IR-SCHEMA",
                f"a literal's value must be a NumPy array, got {type(value).__name__}",
                where=where,
            )
        self.budget.charge(int(value.size), where)
        if value.shape != () or lit.aval.shape != ():
            raise IRError(
                "FJ-IR-TYPE-MISMATCH",
                f"a literal must be rank 0, got value {_fmt(value.shape, value.dtype)} "
                f"with aval {lit.aval.str_short()}",
                where=where,
            )
        if value.dtype != lit.aval.dtype:
            raise IRError(
                "FJ-IR-TYPE-MISMATCH",
                f"literal value has dtype {value.dtype}, its aval says {lit.aval.str_short()}",
                where=where,
            )

    # -- equations ---------------------------------------------------------------

    def equation(self, scope: set[Var], eqn: Any, path: str, depth: int) -> None:
        where = eqn_where(path, eqn)
        self.n_equations += 1
        if self.n_equations > self.limits.max_equations:
            raise IRError("FJ-IR-LIMIT", f"more than {self.limits.max_equations} equations", where=where)
        if not isinstance(eqn, Equation):
            raise IRError("FJ-IR-SCHEMA", f"expected an Equation, got {type(eqn).__name__}", where=path)
        prim = eqn.primitive
        if not isinstance(prim, Primitive) or PRIMITIVES.get(prim.name) is not prim:
            raise IRError("FJ-IR-UNKNOWN-PRIMITIVE", f"primitive {prim!r} is not registered", where=where)
        if not isinstance(eqn.inputs, (tuple, list)) or not isinstance(eqn.outputs, (tuple, list)):
            raise IRError("FJ-IR-SCHEMA", "inputs and outputs must be tuples", where=where)
        for i, atom in enumerate(eqn.inputs):
            self.use(scope, atom, f"{path}.inputs[{i}]")
        self.params(prim, eqn.params, f"{path}.params")
        subs = eqn.sub_jaxprs
        if not hasattr(subs, "keys") or set(subs.keys()) != set(prim.sub_jaxprs):
            got = sorted(map(str, subs.keys())) if hasattr(subs, "keys") else type(subs).__name__
            raise IRError(
                "FJ-IR-PARAM",
                f"{prim.name}: sub_jaxprs must be exactly {sorted(prim.sub_jaxprs)}, got {got}",
                where=f"{path}.sub_jaxprs",
            )
        for key in sorted(subs):
            self.closed(subs[key], f"{path}.sub_jaxprs.{key}", depth + 1)
        out_avals = self.abstract_eval(eqn, where)
        if len(out_avals) != len(eqn.outputs):
            raise IRError(
                "FJ-IR-ARITY",
                f"{prim.name} produces {len(out_avals)} outputs, the equation binds {len(eqn.outputs)}",
                where=where,
            )
        for i, (var, expected) in enumerate(zip(eqn.outputs, out_avals, strict=True)):
            opath = f"{path}.outputs[{i}]"
            self.bind(scope, var, opath)
            if var.aval != expected:
                raise IRError(
                    "FJ-IR-TYPE-MISMATCH",
                    f"output {i} is declared {var.aval.str_short()} but {prim.name} produces "
                    f"{expected.str_short() if isinstance(expected, ShapedArray) else expected!r}",
                    where=where,
                )

    def params(self, prim: Primitive, params: Any, where: str) -> None:
        if not hasattr(params, "keys"):
            raise IRError("FJ-IR-PARAM", f"{prim.name}: params must be a mapping", where=where)
        convert_params(prim, params, where, lambda spec, value: spec.type.normalize(value))

    def abstract_eval(self, eqn: Equation, where: str) -> list[Any]:
        prim = eqn.primitive
        in_avals = [x.aval for x in eqn.inputs]
        params = eqn.all_params
        rule = abstract_eval_rules.get(prim)
        if rule is None:
            raise IRError(
                "FJ-IR-UNKNOWN-PRIMITIVE", f"primitive {prim.name} has no abstract_eval rule", where=where
            )
        try:
            _signature(rule).bind(*in_avals, **params)
        except TypeError as exc:
            raise IRError(
                "FJ-IR-ARITY", f"{prim.name} does not accept {len(in_avals)} inputs: {exc}", where=where
            ) from None
        except _NoSignature:  # pragma: no cover - builtins without a signature
            pass
        try:
            out = abstract_eval(prim, in_avals, params)
        except FJError as exc:
            raise IRError(
                "FJ-IR-TYPE-MISMATCH", f"{prim.name}: {exc.message[:500]}", where=where, hint=exc.hint
            ) from None
        except RecursionError:
            raise IRError(
                "FJ-IR-LIMIT", f"{prim.name}: abstract evaluation recursed too deeply", where=where
            ) from None
        except Exception as exc:
            # A rule crashing on well-formed operands is a bug in the rule; the
            # caller still gets a typed error, and __cause__ keeps the original
            # for fuzz triage.
            raise IRError(
                "FJ-IR-TYPE-MISMATCH",
                f"{prim.name}: abstract_eval rule failed with {type(exc).__name__}: {str(exc)[:200]}",
                where=where,
                hint="this is a bug in the primitive's rule; please report it",
            ) from exc
        return out


class _NoSignature(Exception):
    pass


_SIGNATURES: dict[Any, inspect.Signature] = {}


def _signature(rule: Any) -> inspect.Signature:
    sig = _SIGNATURES.get(rule)
    if sig is None:
        try:
            sig = _SIGNATURES[rule] = inspect.signature(rule)
        except (TypeError, ValueError):  # pragma: no cover
            raise _NoSignature from None
    return sig


def _fmt(shape: tuple[int, ...], dtype: Any) -> str:
    try:
        return ShapedArray(shape, dtype).str_short()
    except Exception:
        return f"{dtype}{list(shape)}"
