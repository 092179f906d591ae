"""Forward-mode differentiation: the JVP interpreter and its rules table.

Each primitive's entry in :data:`jvp_rules` maps ``(primals, tangents,
**params)`` to ``(primals_out, tangents_out)``. Most rules are built by the
helpers below, which mirror ``jax/_src/interpreters/ad.py``:

* :func:`defjvp` — one partial rule per argument ``rule(g, *primals)``; the
  contributions of the non-zero tangents are summed;
* :func:`defjvp2` — the same, but each rule also sees the primal output;
* :func:`defjvp_zero` — the output does not depend differentiably on inputs;
* :func:`deflinear` — a linear primitive is its own JVP.

Rules are written with ``bind`` on other primitives, so the derivative of a
derivative is just another trace on top: higher-order AD comes for free.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from frankenjax_ref.core.avals import ShapedArray, get_aval, tangent_aval
from frankenjax_ref.core.ir import ClosedJaxpr
from frankenjax_ref.core.primitive import Primitive, rule
from frankenjax_ref.interpreters.ad_util import Zero, add_tangents, instantiate
from frankenjax_ref.interpreters.core import (
    Trace,
    Tracer,
    bind_eqn_list,
    bind_normalized,
    concrete_value,
    full_lower,
    full_raise,
    new_main,
)

JVPRule = Callable[..., tuple[Any, Any]]
jvp_rules: dict[Primitive, JVPRule] = {}


class JVPTracer(Tracer):
    __slots__ = ("_trace", "primal", "tangent")

    def __init__(self, trace: Trace, primal: Any, tangent: Any):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self) -> ShapedArray:
        return get_aval(self.primal)

    def full_lower(self) -> Any:
        # A zero tangent carries no information: drop out of this trace.
        if type(self.tangent) is Zero:
            return full_lower(self.primal)
        return self

    def to_concrete(self) -> Any:
        return concrete_value(self.primal)


class JVPTrace(Trace):
    def pure(self, val: Any) -> JVPTracer:
        return JVPTracer(self, val, Zero.from_primal(val))

    lift = pure

    def process_primitive(
        self, primitive: Primitive, tracers: list[Any], params: dict[str, Any]
    ) -> list[Any]:
        primals = [t.primal for t in tracers]
        tangents = [t.tangent for t in tracers]
        if all(type(t) is Zero for t in tangents):
            outs = bind_eqn_list(primitive, primals, params)
            return [JVPTracer(self, o, Zero.from_primal(o)) for o in outs]
        jvp = rule(jvp_rules, primitive, "jvp")
        primals_out, tangents_out = jvp(primals, tangents, **params)
        if not primitive.multiple_results:
            primals_out, tangents_out = [primals_out], [tangents_out]
        return [JVPTracer(self, p, t) for p, t in zip(primals_out, tangents_out, strict=True)]


def jvp_flat(
    f: Callable[..., Sequence[Any]], primals: Sequence[Any], tangents: Sequence[Any]
) -> tuple[list[Any], list[Any]]:
    """Push ``tangents`` forward through flat ``f``; tangents may be :class:`Zero`."""
    with new_main(JVPTrace) as main:
        trace = JVPTrace(main)
        tracers_in = [JVPTracer(trace, x, t) for x, t in zip(primals, tangents, strict=True)]
        outs = f(*tracers_in)
        tracers_out = [full_raise(trace, o) for o in outs]
        primals_out = [t.primal for t in tracers_out]
        tangents_out = [t.tangent for t in tracers_out]
    return primals_out, tangents_out


# --- rule helpers -------------------------------------------------------------


def _out_tangent_zero(primal_out: Any) -> Zero:
    return Zero(tangent_aval(get_aval(primal_out)))


def _standard_jvp(
    partials: Sequence[Callable[..., Any] | None],
    with_ans: bool,
    primitive: Primitive,
    primals: Sequence[Any],
    tangents: Sequence[Any],
    **params: Any,
) -> tuple[Any, Any]:
    """Sum the partial rules of the non-zero tangents (each also sees ``ans`` when ``with_ans``)."""
    primal_out = bind_normalized(primitive, primals, params)
    tangent_out: Any = _out_tangent_zero(primal_out)
    leading = (primal_out,) if with_ans else ()
    for partial_rule, t in zip(partials, tangents, strict=True):
        if partial_rule is not None and type(t) is not Zero:
            tangent_out = add_tangents(tangent_out, partial_rule(t, *leading, *primals, **params))
    return primal_out, tangent_out


def defjvp(primitive: Primitive, *partials: Callable[..., Any] | None) -> None:
    """Register ``tangent_out = sum_i partials[i](tangent_i, *primals, **params)``."""
    jvp_rules[primitive] = partial(_standard_jvp, partials, False, primitive)


def defjvp2(primitive: Primitive, *partials: Callable[..., Any] | None) -> None:
    """Like :func:`defjvp`, but each partial is ``rule(g, ans, *primals)``."""
    jvp_rules[primitive] = partial(_standard_jvp, partials, True, primitive)


def _zero_jvp(primitive: Primitive, primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> Any:
    outs = bind_eqn_list(primitive, primals, params)
    zeros = [_out_tangent_zero(o) for o in outs]
    return (outs, zeros) if primitive.multiple_results else (outs[0], zeros[0])


def defjvp_zero(primitive: Primitive) -> None:
    """The output's tangent is always zero (comparisons, floor, argmax, ...)."""
    jvp_rules[primitive] = partial(_zero_jvp, primitive)


def _linear_jvp(primitive: Primitive, primals: Sequence[Any], tangents: Sequence[Any], **params: Any) -> Any:
    primal_out = bind_normalized(primitive, primals, params)
    tangent_out = bind_normalized(primitive, [instantiate(t) for t in tangents], params)
    return primal_out, tangent_out


def deflinear_jvp(primitive: Primitive) -> None:
    """A primitive linear in all its inputs is its own JVP."""
    jvp_rules[primitive] = partial(_linear_jvp, primitive)


def jvp_jaxpr(
    closed: ClosedJaxpr, nonzeros: Sequence[bool], instantiate_out: bool | Sequence[bool]
) -> tuple[ClosedJaxpr, list[bool]]:
    """The JVP of a closed jaxpr as another closed jaxpr (used by ``jit``'s rule).

    Inputs are ``primals + tangents for the nonzero positions``; outputs are
    ``primals_out + nonzero tangents_out``. Returns which output tangents are
    nonzero.
    """
    from frankenjax_ref.interpreters.eval import eval_jaxpr_raw
    from frankenjax_ref.interpreters.tracing import trace_to_jaxpr

    in_avals = closed.in_avals
    n = len(in_avals)
    tangent_avals = [tangent_aval(a) for a, nz in zip(in_avals, nonzeros, strict=True) if nz]
    if isinstance(instantiate_out, bool):
        instantiate_out = [instantiate_out] * len(closed.out_avals)
    out_nonzeros: list[bool] = []

    def fun(*args: Any) -> list[Any]:
        primals, nz_tangents = list(args[:n]), iter(args[n:])
        tangents = [
            next(nz_tangents) if nz else Zero(tangent_aval(a))
            for a, nz in zip(in_avals, nonzeros, strict=True)
        ]
        primals_out, tangents_out = jvp_flat(
            lambda *xs: eval_jaxpr_raw(closed.jaxpr, closed.consts, xs), primals, tangents
        )
        tangents_out = [
            instantiate(t) if inst else t for t, inst in zip(tangents_out, instantiate_out, strict=True)
        ]
        out_nonzeros[:] = [type(t) is not Zero for t in tangents_out]
        return primals_out + [t for t in tangents_out if type(t) is not Zero]

    jaxpr = trace_to_jaxpr(fun, [*in_avals, *tangent_avals])
    return jaxpr, out_nonzeros
