"""Transposing linear programs: from a linearized JVP to the VJP.

A linear program's inputs are marked :class:`UndefPrimal` (their values are
what we solve for); everything else is a known residual. Walking the
equations backwards, each linear primitive's entry in
:data:`transpose_rules` maps output cotangents to input cotangents:
``rule(ct, *invals, **params) -> [ct_in or None per input]``, where
``invals`` holds residual values and ``UndefPrimal`` placeholders.

Cotangents are accumulated with ``add_any`` and may be symbolic zeros.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from frankenjax_ref.core.avals import ShapedArray, tangent_aval
from frankenjax_ref.core.ir import Atom, ClosedJaxpr, Jaxpr, Literal, Var
from frankenjax_ref.core.primitive import Primitive, rule
from frankenjax_ref.interpreters.ad_util import Zero, add_tangents, instantiate
from frankenjax_ref.interpreters.core import bind_eqn_list

TransposeRule = Callable[..., Sequence[Any]]
transpose_rules: dict[Primitive, TransposeRule] = {}


class UndefPrimal:
    """A linear input of a program being transposed: only its aval is known."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"UndefPrimal({self.aval.str_short()})"


def is_undefined_primal(x: Any) -> bool:
    return type(x) is UndefPrimal


def backward_pass(
    jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any], cts_out: Sequence[Any]
) -> list[Any]:
    """Cotangents of the :class:`UndefPrimal` entries of ``args``.

    Equations that do not depend on a linear input are evaluated forward first
    (their outputs are residuals); the linear ones are transposed in reverse.
    """
    primal_env: dict[Var, Any] = {}
    linear_vars: set[Var] = set()
    for v, val in zip(jaxpr.constvars, consts, strict=True):
        primal_env[v] = val
    for v, val in zip(jaxpr.invars, args, strict=True):
        if is_undefined_primal(val):
            linear_vars.add(v)
        else:
            primal_env[v] = val

    def read_primal(x: Atom) -> Any:
        if isinstance(x, Literal):
            from frankenjax_ref.interpreters.eval import literal_value

            return literal_value(x)
        return UndefPrimal(x.aval) if x in linear_vars else primal_env[x]

    linear_eqns = []
    for eqn in jaxpr.equations:
        if any(isinstance(x, Var) and x in linear_vars for x in eqn.inputs):
            linear_eqns.append(eqn)
            linear_vars.update(eqn.outputs)
        else:
            outs = bind_eqn_list(eqn.primitive, [read_primal(x) for x in eqn.inputs], eqn.all_params)
            for v, val in zip(eqn.outputs, outs, strict=True):
                primal_env[v] = val

    ct_env: dict[Var, Any] = {}

    def write_cotangent(x: Atom, ct: Any) -> None:
        if isinstance(x, Var) and x in linear_vars and ct is not None:
            ct_env[x] = add_tangents(ct_env[x], ct) if x in ct_env else ct

    def read_cotangent(v: Var) -> Any:
        ct = ct_env.pop(v, None)
        return Zero(tangent_aval(v.aval)) if ct is None else ct

    for x, ct in zip(jaxpr.outvars, cts_out, strict=True):
        write_cotangent(x, ct)
    for eqn in reversed(linear_eqns):
        cts = [read_cotangent(v) for v in eqn.outputs]
        if all(type(c) is Zero for c in cts):
            continue
        invals = [read_primal(x) for x in eqn.inputs]
        transpose = rule(transpose_rules, eqn.primitive, "transpose")
        ct_arg = cts if eqn.primitive.multiple_results else cts[0]
        cts_in = transpose(ct_arg, *invals, **eqn.all_params)
        for x, ct in zip(eqn.inputs, cts_in, strict=True):
            write_cotangent(x, ct)
    return [read_cotangent(v) for v, a in zip(jaxpr.invars, args, strict=True) if is_undefined_primal(a)]


def transpose_jaxpr(closed: ClosedJaxpr, linear: Sequence[bool]) -> ClosedJaxpr:
    """The transpose of ``closed`` in its ``linear`` inputs, as a closed jaxpr.

    The result takes ``residuals (the non-linear inputs) + cotangents of every
    output`` and returns (instantiated) cotangents of the linear inputs.
    """
    from frankenjax_ref.interpreters.tracing import trace_to_jaxpr

    in_avals = closed.in_avals
    res_avals = [a for a, lin in zip(in_avals, linear, strict=True) if not lin]
    ct_avals = [tangent_aval(a) for a in closed.out_avals]
    n_res = len(res_avals)

    def fun(*args: Any) -> list[Any]:
        residuals, cts = iter(args[:n_res]), list(args[n_res:])
        invals = [UndefPrimal(a) if lin else next(residuals) for a, lin in zip(in_avals, linear, strict=True)]
        cts_in = backward_pass(closed.jaxpr, closed.consts, invals, cts)
        return [instantiate(ct) for ct in cts_in]

    return trace_to_jaxpr(fun, [*res_avals, *ct_avals])
