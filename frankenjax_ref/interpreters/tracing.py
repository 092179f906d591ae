"""Staging Python functions into jaxprs (``make_jaxpr`` and ``jit``'s tracer).

A :class:`JaxprTrace` records every primitive applied to its tracers as an
equation. Values from outside the trace (NumPy arrays, Python scalars, or
tracers of outer transforms) become constants: scalars are inlined as
literals, arrays become constvars of the resulting :class:`ClosedJaxpr`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, get_aval
from frankenjax_ref.core.ir import Atom, ClosedJaxpr, Equation, Jaxpr, Literal, Var, split_params
from frankenjax_ref.core.primitive import Primitive, abstract_eval
from frankenjax_ref.interpreters.core import (
    MainTrace,
    Trace,
    Tracer,
    full_raise,
    new_dynamic,
    new_main,
)


class JaxprTracer(Tracer):
    __slots__ = ("_aval", "_trace")

    def __init__(self, trace: Trace, aval: ShapedArray):
        self._trace = trace
        self._aval = aval

    @property
    def aval(self) -> ShapedArray:
        return self._aval


class JaxprBuilder:
    """Collects equations, binders and constants while a function is traced."""

    def __init__(self) -> None:
        self.equations: list[Equation] = []
        self.tracer_to_var: dict[int, Var] = {}
        self.const_tracers: dict[int, JaxprTracer] = {}
        self.constvals: dict[Var, Any] = {}
        self.tracers: list[JaxprTracer] = []  # keeps tracers alive so ids stay unique

    def new_tracer(self, trace: Trace, aval: ShapedArray) -> JaxprTracer:
        tracer = JaxprTracer(trace, aval)
        self.tracers.append(tracer)
        return tracer

    def add_var(self, tracer: JaxprTracer) -> Var:
        assert id(tracer) not in self.tracer_to_var
        var = self.tracer_to_var[id(tracer)] = Var(tracer.aval)
        return var

    def getvar(self, tracer: JaxprTracer) -> Var:
        return self.tracer_to_var[id(tracer)]

    def add_const(self, tracer: JaxprTracer, val: Any) -> Var:
        var = self.add_var(tracer)
        self.const_tracers[id(val)] = tracer
        self.constvals[var] = val
        return var

    def build(self, in_tracers: Sequence[JaxprTracer], out_tracers: Sequence[JaxprTracer]) -> ClosedJaxpr:
        invars = tuple(self.getvar(t) for t in in_tracers)
        outvars = tuple(self.getvar(t) for t in out_tracers)
        constvars = tuple(self.constvals)
        jaxpr = Jaxpr(constvars, invars, outvars, tuple(self.equations))
        return inline_literals(jaxpr, [self.constvals[v] for v in constvars])


def _is_scalar_literal(val: Any) -> bool:
    return np.ndim(val) == 0 and not isinstance(val, Tracer)


def inline_literals(jaxpr: Jaxpr, consts: Sequence[Any]) -> ClosedJaxpr:
    """Turn scalar constants into inline literals, as JAX's tracer does."""
    literals: dict[Var, Literal] = {}
    constvars: list[Var] = []
    kept: list[Any] = []
    for var, val in zip(jaxpr.constvars, consts, strict=True):
        if _is_scalar_literal(val) and var.aval.dtype != dtypes.float0:
            literals[var] = Literal(np.asarray(val, dtype=var.aval.dtype), var.aval)
        else:
            constvars.append(var)
            kept.append(val)

    def lit(x: Atom) -> Atom:
        return literals.get(x, x) if isinstance(x, Var) else x

    eqns = tuple(
        Equation(e.primitive, tuple(lit(x) for x in e.inputs), e.outputs, e.params, e.sub_jaxprs)
        for e in jaxpr.equations
    )
    outvars = tuple(lit(x) for x in jaxpr.outvars)
    return ClosedJaxpr(Jaxpr(tuple(constvars), jaxpr.invars, outvars, eqns), tuple(kept))


class JaxprTrace(Trace):
    @property
    def builder(self) -> JaxprBuilder:
        return self.main.global_data

    def new_arg(self, aval: ShapedArray) -> JaxprTracer:
        tracer = self.builder.new_tracer(self, aval)
        self.builder.add_var(tracer)
        return tracer

    def get_or_make_const_tracer(self, val: Any) -> JaxprTracer:
        tracer = self.builder.const_tracers.get(id(val))
        if tracer is None:
            tracer = self.builder.new_tracer(self, get_aval(val))
            self.builder.add_const(tracer, val)
        return tracer

    pure = lift = get_or_make_const_tracer

    def process_primitive(
        self, primitive: Primitive, tracers: list[Any], params: dict[str, Any]
    ) -> list[Any]:
        avals_in = [t.aval for t in tracers]
        avals_out = abstract_eval(primitive, avals_in, params)
        out_tracers = [self.builder.new_tracer(self, a) for a in avals_out]
        inputs = tuple(self.builder.getvar(t) for t in tracers)
        outvars = tuple(self.builder.add_var(t) for t in out_tracers)
        plain, subs = split_params(params)
        self.builder.equations.append(Equation(primitive, inputs, outvars, plain, subs))
        return out_tracers


def trace_to_jaxpr(f: Callable[..., Sequence[Any]], in_avals: Sequence[ShapedArray]) -> ClosedJaxpr:
    """Stage ``f`` (flat list in, flat list out) into a closed jaxpr.

    Constants that are tracers of outer transforms stay in ``consts``; callers
    that bind the result (``jit``) hoist them into explicit inputs.
    """
    builder = JaxprBuilder()
    with new_main(JaxprTrace, builder) as main:
        trace = JaxprTrace(main)
        with new_dynamic(main):
            tracers_in = [trace.new_arg(a) for a in in_avals]
            outs = f(*tracers_in)
            tracers_out = [full_raise(trace, out) for out in outs]
        return builder.build(tracers_in, tracers_out)


def hoist_tracer_consts(closed: ClosedJaxpr) -> tuple[ClosedJaxpr, list[Any]]:
    """Move consts that are tracers into leading invars; keep concrete consts closed.

    Returns the new closed jaxpr and the hoisted values, which the caller
    passes as the first arguments when binding it.
    """
    jaxpr = closed.jaxpr
    hoisted_vars, hoisted_vals, kept_vars, kept_vals = [], [], [], []
    for var, val in zip(jaxpr.constvars, closed.consts, strict=True):
        if isinstance(val, Tracer):
            hoisted_vars.append(var)
            hoisted_vals.append(val)
        else:
            kept_vars.append(var)
            kept_vals.append(val)
    if not hoisted_vars:
        return closed, []
    new = Jaxpr(tuple(kept_vars), tuple(hoisted_vars) + jaxpr.invars, jaxpr.outvars, jaxpr.equations)
    return ClosedJaxpr(new, tuple(kept_vals)), hoisted_vals


def main_of(tracer: Tracer) -> MainTrace:
    return tracer._trace.main
