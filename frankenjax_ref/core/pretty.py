"""Printing a program the way ``jax.make_jaxpr`` does.

::

    { lambda a:f64[3]; b:f64[3] c:f64[]. let
        d:f64[3] = sin b
        e:f64[3] = mul d 2.0:f64[]
        f:f64[] = reduce_sum[axes=(0,) out_sharding=None] e
        g:f64[3] = jit[
          name=inner
          jaxpr={ lambda ; h:f64[3]. let i:f64[3] = integer_pow[y=3] h in (i,) }
        ] e
      in (f, g) }

The layout rules, fixed so that output is stable and testable:

* constvars come before ``;``, invars after it; binders print as
  ``name:aval`` with :meth:`ShapedArray.str_short` (``~`` marks weak types);
* names are JAX's (``a`` .. ``z``, ``ba`` ..), handed out in printing order
  from one counter shared by nested jaxprs, so every name on the page is
  unique (the serialized form, by contrast, restarts per scope);
* a jaxpr goes on one line (equations separated by ``; ``) when it has no
  multi-line part and that line fits in :data:`WIDTH` columns at its
  indentation; otherwise its equations go one per line, indented 4 past the
  enclosing block, and ``in`` 2 past it;
* params print as ``prim[k=v ...]`` sorted by name, each value with its
  ``ParamType.pretty``; an equation with sub-jaxprs prints its params one per
  line (plain params sorted by name, then the sub-jaxprs sorted by name);
* params that JAX's own printer hides are hidden here too (see
  :data:`_JAX_PP_RULES`): ``accuracy=None``, ``mul``'s ``out_dtype=None``,
  ``dot_general``'s ``None`` params, shapes and shardings implied by the
  binder's type;
* literals print as JAX prints them: the value as ``str(value.item())``,
  then ``:`` and the dtype with an empty shape (``2.0:f64[]``, ``True:bool[]``,
  ``(1+2j):c64[]``, ``nan:f32[]``); JAX shows no weak-type mark on literals,
  and neither does this printer.

Printing never fails, even on an ill-formed program (an unbound variable
simply gets a fresh name), because it is what one reaches for when debugging.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.ir import ClosedJaxpr, Equation, Jaxpr, Literal, Var

#: target line width for one-line jaxprs
WIDTH = 80


def var_name(index: int) -> str:
    """JAX's names: 0 -> ``a``, 25 -> ``z``, 26 -> ``ba``, 676 -> ``baa``."""
    s = ""
    while not s or index:
        index, digit = divmod(index, 26)
        s = chr(97 + digit) + s
    return s


def pformat(closed: ClosedJaxpr | Jaxpr) -> str:
    """The program as text, in the style of ``jax.make_jaxpr`` output."""
    jaxpr = closed.jaxpr if isinstance(closed, ClosedJaxpr) else closed
    return "\n".join(_Printer().jaxpr(jaxpr, 0, 0))


class _Printer:
    def __init__(self) -> None:
        self.names: dict[int, str] = {}
        self.keep: list[Any] = []  # keeps printed vars alive so ids stay unique

    def name(self, var: Any) -> str:
        key = id(var)
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = var_name(len(self.names))
            self.keep.append(var)
        return name

    def binder(self, var: Any) -> str:
        return f"{self.name(var)}:{_aval(var)}"

    def atom(self, x: Any) -> str:
        if isinstance(x, Literal):
            return literal(x)
        if isinstance(x, Var):
            return self.name(x)
        return f"<{type(x).__name__}>"

    def jaxpr(self, jaxpr: Jaxpr, column: int, indent: int) -> list[str]:
        """Lines of ``jaxpr``: the first starts at ``column``, the others are
        relative to the enclosing block's ``indent``."""
        consts = " ".join(self.binder(v) for v in jaxpr.constvars)
        invars = " ".join(self.binder(v) for v in jaxpr.invars)
        head = f"{{ lambda {consts}; {invars}. let"
        eqns = [self.equation(e, indent + 4) for e in jaxpr.equations]
        outs = [self.atom(x) for x in jaxpr.outvars]
        tail = f"in ({outs[0]},)" if len(outs) == 1 else f"in ({', '.join(outs)})"
        if all(len(e) == 1 for e in eqns):
            line = f"{head} {'; '.join(e[0] for e in eqns)} {tail} }}"
            if column + len(line) <= WIDTH:
                return [line]
        lines = [head]
        for e in eqns:
            lines.extend(" " * 4 + ln for ln in e)
        lines.append(f"  {tail} }}")
        return lines

    def equation(self, eqn: Equation, indent: int) -> list[str]:
        """Lines of one equation, relative to column ``indent``."""
        outs = " ".join(self.binder(v) for v in eqn.outputs)
        lhs = f"{outs} = " if outs else ""
        name = getattr(eqn.primitive, "name", str(eqn.primitive))
        args = " ".join(self.atom(x) for x in eqn.inputs)
        specs = getattr(eqn.primitive, "params", {})
        plain = [f"{k}={text}" for k, text in sorted(_shown_params(name, specs, eqn.params).items())]
        if not eqn.sub_jaxprs:
            params = f"[{' '.join(plain)}]" if plain else ""
            return [f"{lhs}{name}{params}{' ' + args if args else ''}"]
        lines = [f"{lhs}{name}["]
        lines.extend("  " + p for p in plain)
        for key, sub in sorted(eqn.sub_jaxprs.items()):
            body = self.jaxpr(sub.jaxpr, indent + 2 + len(key) + 1, indent + 2)
            lines.append(f"  {key}={body[0]}")
            lines.extend("  " + ln for ln in body[1:])
        lines.append(f"]{' ' + args if args else ''}")
        return lines


def _aval(var: Any) -> str:
    aval = getattr(var, "aval", None)
    try:
        return aval.str_short()  # type: ignore[union-attr]
    except Exception:
        return "?"


def _hide_trivial(params: dict[str, Any]) -> None:
    if params.get("accuracy", 0) is None:
        del params["accuracy"]


def _mul_rule(params: dict[str, Any]) -> None:
    if params.get("out_dtype", 0) is None:
        del params["out_dtype"]


def _convert_rule(params: dict[str, Any]) -> None:
    params.pop("sharding", None)


def _dot_general_rule(params: dict[str, Any]) -> None:
    for key in [k for k, v in params.items() if v is None]:
        del params[key]
    params.pop("out_sharding", None)
    try:
        (lc, rc), (lb, rb) = params["dimension_numbers"]
        params["dimension_numbers"] = _Verbatim(str(((list(lc), list(rc)), (list(lb), list(rb)))))
    except (KeyError, TypeError, ValueError):
        pass


def _broadcast_in_dim_rule(params: dict[str, Any]) -> None:
    if not params.get("broadcast_dimensions", 0):
        params.pop("broadcast_dimensions", None)
    params.pop("shape", None)
    params.pop("sharding", None)


#: JAX's ``core.pp_eqn_rules`` that drop params from the printed form
_JAX_PP_RULES = {
    "mul": _mul_rule,
    "convert_element_type": _convert_rule,
    "dot_general": _dot_general_rule,
    "broadcast_in_dim": _broadcast_in_dim_rule,
}


class _Verbatim(str):
    """A param already rendered."""


def _shown_params(prim: str, specs: dict[str, Any], params: Any) -> dict[str, str]:
    shown = dict(params)
    _hide_trivial(shown)
    rule = _JAX_PP_RULES.get(prim)
    if rule is not None:
        rule(shown)
    return {k: v if isinstance(v, _Verbatim) else _param(specs, k, v) for k, v in shown.items()}


def _param(specs: dict[str, Any], key: str, value: Any) -> str:
    spec = specs.get(key)
    try:
        if spec is not None:
            return str(spec.type.pretty(value))
    except Exception:
        pass
    return str(value)


def literal(lit: Literal) -> str:
    """``2.0:f64[]`` — JAX's literal form."""
    value = np.asarray(lit.value)
    dtype = getattr(lit.aval, "dtype", value.dtype)
    try:
        short = dtypes.short_name(dtype)
    except Exception:
        short = str(dtype)
    if value.dtype == dtypes.float0:
        text = "0"
    elif value.shape == ():
        text = str(value.item())
    else:
        text = "[...]"
    return f"{text}:{short}[]"
