"""Partial evaluation: split a computation into what is known now and what is not.

``linearize`` runs the JVP of a function with known primals and *unknown*
tangents under a :class:`PartialEvalTrace`. Every primitive whose inputs are
all known is computed right away (by ``bind`` at the outer level, so it may
itself be staged or differentiated); every primitive touching an unknown is
recorded. What is recorded is a linear function of the tangents: the
linearized program, whose transpose is the VJP.

:func:`partial_eval_jaxpr` does the same split on a jaxpr (needed for
``jit``, whose body must be split rather than run).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from frankenjax_ref.core.avals import ShapedArray, get_aval, tangent_aval
from frankenjax_ref.core.ir import Atom, ClosedJaxpr, Equation, Jaxpr, Var, split_params
from frankenjax_ref.core.primitive import Primitive, abstract_eval
from frankenjax_ref.interpreters.ad_util import Zero, instantiate
from frankenjax_ref.interpreters.core import (
    Trace,
    Tracer,
    bind_eqn_list,
    concrete_value,
    full_lower,
    full_raise,
    new_main,
)
from frankenjax_ref.interpreters.jvp import jvp_flat


class PartialVal(NamedTuple):
    aval: ShapedArray
    const: Any | None

    @classmethod
    def known(cls, val: Any) -> PartialVal:
        return PartialVal(get_aval(val), val)

    @classmethod
    def unknown(cls, aval: ShapedArray) -> PartialVal:
        return PartialVal(aval, None)

    @property
    def is_known(self) -> bool:
        return self.const is not None


class LambdaBindingRecipe(NamedTuple):
    pass


class ConstRecipe(NamedTuple):
    val: Any


class JaxprEqnRecipe(NamedTuple):
    prim: Primitive
    tracers_in: list[PartialEvalTracer]
    params: dict[str, Any]
    avals_out: list[ShapedArray]
    tracers_out: list[PartialEvalTracer]


class _Released(NamedTuple):
    """The recipe of a tracer whose equation is already in a built jaxpr."""


_RELEASED = _Released()


class PartialEvalTracer(Tracer):
    __slots__ = ("_trace", "pval", "recipe")

    def __init__(self, trace: Trace, pval: PartialVal, recipe: Any):
        self._trace = trace
        self.pval = pval
        self.recipe = recipe

    @property
    def aval(self) -> ShapedArray:
        return self.pval.aval

    def full_lower(self) -> Any:
        if self.pval.is_known:
            return full_lower(self.pval.const)
        return self

    def to_concrete(self) -> Any:
        if self.pval.is_known:
            return concrete_value(self.pval.const)
        return super().to_concrete()


PartialEvalRule = Callable[..., list[Any]]
partial_eval_rules: dict[Primitive, PartialEvalRule] = {}


class PartialEvalTrace(Trace):
    def new_arg(self, pval: PartialVal) -> PartialEvalTracer:
        return PartialEvalTracer(self, pval, LambdaBindingRecipe())

    def lift(self, val: Any) -> PartialEvalTracer:
        return PartialEvalTracer(self, PartialVal.known(val), None)

    pure = lift

    def instantiate_const(self, tracer: PartialEvalTracer) -> PartialEvalTracer:
        if not tracer.pval.is_known:
            return tracer
        return PartialEvalTracer(self, PartialVal.unknown(tracer.aval), ConstRecipe(tracer.pval.const))

    def process_primitive(
        self, primitive: Primitive, tracers: list[Any], params: dict[str, Any]
    ) -> list[Any]:
        if all(t.pval.is_known for t in tracers):
            return bind_eqn_list(primitive, [full_lower(t) for t in tracers], params)
        custom = partial_eval_rules.get(primitive)
        if custom is not None:
            return custom(self, tracers, **params)
        tracers_in = [self.instantiate_const(t) for t in tracers]
        avals_out = abstract_eval(primitive, [t.aval for t in tracers_in], params)
        tracers_out = [PartialEvalTracer(self, PartialVal.unknown(a), None) for a in avals_out]
        recipe = JaxprEqnRecipe(primitive, tracers_in, params, avals_out, tracers_out)
        for t in tracers_out:
            t.recipe = recipe
        return tracers_out

    def stage_equation(
        self,
        primitive: Primitive,
        tracers_in: list[PartialEvalTracer],
        params: dict[str, Any],
        avals_out: list[ShapedArray],
    ) -> list[PartialEvalTracer]:
        """Record an equation on unknown tracers (for custom rules)."""
        tracers_out = [PartialEvalTracer(self, PartialVal.unknown(a), None) for a in avals_out]
        recipe = JaxprEqnRecipe(primitive, tracers_in, params, avals_out, tracers_out)
        for t in tracers_out:
            t.recipe = recipe
        return tracers_out


def _toposort(out_nodes: list[PartialEvalTracer]) -> list[PartialEvalTracer]:
    """Tracers in dependency order (iterative, so deep programs do not recurse)."""

    def parents(t: PartialEvalTracer) -> list[PartialEvalTracer]:
        return list(t.recipe.tracers_in) if isinstance(t.recipe, JaxprEqnRecipe) else []

    order: list[PartialEvalTracer] = []
    state: dict[int, int] = {}  # 1 = visiting, 2 = done
    for root in out_nodes:
        stack: list[tuple[PartialEvalTracer, bool]] = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            key = id(node)
            if expanded:
                if state.get(key) != 2:
                    state[key] = 2
                    order.append(node)
                continue
            if state.get(key):
                continue
            state[key] = 1
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(parents(node)) if not state.get(id(p)))
    return order


def tracers_to_jaxpr(
    tracers_in: list[PartialEvalTracer], tracers_out: list[PartialEvalTracer]
) -> tuple[Jaxpr, list[Any]]:
    """The recorded (unknown) computation as a jaxpr over ``tracers_in``.

    Known values it needs become constvars; their values (possibly tracers of
    outer transforms) are returned alongside.
    """
    tracer_to_var: dict[int, Var] = {id(t): Var(t.aval) for t in tracers_in}
    constid_to_var: dict[int, Var] = {}
    constvar_to_val: dict[Var, Any] = {}
    processed: set[int] = set()
    eqns: list[Equation] = []
    in_ids = {id(t) for t in tracers_in}
    order = _toposort(tracers_out)
    for t in order:
        recipe = t.recipe
        if isinstance(recipe, LambdaBindingRecipe):
            assert id(t) in in_ids, "an unknown input of the partial evaluation was not declared"
        elif isinstance(recipe, ConstRecipe):
            var = constid_to_var.get(id(recipe.val))
            if var is None:
                var = constid_to_var[id(recipe.val)] = Var(t.aval)
                constvar_to_val[var] = recipe.val
            tracer_to_var[id(t)] = var
        elif isinstance(recipe, JaxprEqnRecipe):
            if id(recipe) not in processed:
                processed.add(id(recipe))
                inputs = tuple(tracer_to_var[id(x)] for x in recipe.tracers_in)
                outputs = []
                for out_t in recipe.tracers_out:
                    var = tracer_to_var[id(out_t)] = Var(out_t.aval)
                    outputs.append(var)
                plain, subs = split_params(recipe.params)
                eqns.append(Equation(recipe.prim, inputs, tuple(outputs), plain, subs))
        else:  # pragma: no cover - every tracer has a recipe
            raise TypeError(f"unexpected recipe {recipe!r}")
    # The recorded tracers form long chains and cycles (recipe -> outputs ->
    # recipe); break them now that the jaxpr is built, so they are freed by
    # reference counting in linear time instead of by deep, repeated GC passes.
    for t in order:
        if isinstance(t.recipe, JaxprEqnRecipe):
            t.recipe = _RELEASED
    constvars = tuple(constvar_to_val)
    jaxpr = Jaxpr(
        constvars,
        tuple(tracer_to_var[id(t)] for t in tracers_in),
        tuple(tracer_to_var[id(t)] for t in tracers_out),
        tuple(eqns),
    )
    return jaxpr, [constvar_to_val[v] for v in constvars]


def partial_eval_flat(
    f: Callable[..., Sequence[Any]],
    pvals_in: Sequence[PartialVal],
    instantiate_out: Callable[[int], Sequence[bool]],
) -> tuple[Jaxpr, list[PartialVal], list[Any]]:
    """Run ``f`` on partially known inputs.

    Returns the jaxpr of the unknown part (inputs: the unknown inputs; outputs:
    the unknown outputs), every output's partial value, and the jaxpr's consts.
    ``instantiate_out(n_outputs)`` says which outputs must be unknown even when
    they turned out to be constants (so they are outputs of the jaxpr).
    """
    with new_main(PartialEvalTrace) as main:
        trace = PartialEvalTrace(main)
        tracers_in = [trace.new_arg(p) for p in pvals_in]
        outs = f(*tracers_in)
        tracers_out = [full_raise(trace, o) for o in outs]
        inst = instantiate_out(len(tracers_out))
        tracers_out = [trace.instantiate_const(t) if i else t for t, i in zip(tracers_out, inst, strict=True)]
        pvals_out = [t.pval for t in tracers_out]
        unk_in = [t for t in tracers_in if not t.pval.is_known]
        unk_out = [t for t in tracers_out if not t.pval.is_known]
        jaxpr, consts = tracers_to_jaxpr(unk_in, unk_out)
    return jaxpr, pvals_out, consts


class Linearized(NamedTuple):
    """A linearization: primal outputs and the linear program of the tangents.

    ``jaxpr`` takes one tangent per *differentiable* (inexact) primal input,
    listed in ``diff_positions``; integer and boolean inputs have float0
    tangents and are not inputs of the linear program.
    """

    primals_out: list[Any]
    jaxpr: Jaxpr
    consts: list[Any]
    diff_positions: list[int]
    in_avals: list[ShapedArray]


def linearize_flat(f: Callable[..., Sequence[Any]], primals: Sequence[Any]) -> Linearized:
    from frankenjax_ref.core import dtypes

    in_avals = [get_aval(x) for x in primals]
    diff = [i for i, a in enumerate(in_avals) if dtypes.is_inexact(a.dtype)]
    n = len(primals)
    pvals_in = [PartialVal.known(x) for x in primals] + [
        PartialVal.unknown(tangent_aval(in_avals[i])) for i in diff
    ]

    def f_jvp(*args: Any) -> list[Any]:
        tangents: list[Any] = [Zero(tangent_aval(a)) for a in in_avals]
        for i, t in zip(diff, args[n:], strict=True):
            tangents[i] = t
        primals_out, tangents_out = jvp_flat(f, list(args[:n]), tangents)
        return [*primals_out, *(instantiate(t) for t in tangents_out)]

    # primal outputs stay known; tangent outputs are always outputs of the linear program
    jaxpr, pvals_out, consts = partial_eval_flat(
        f_jvp, pvals_in, lambda n_out: [i >= n_out // 2 for i in range(n_out)]
    )
    primal_pvals = pvals_out[: len(pvals_out) // 2]
    if not all(p.is_known for p in primal_pvals):  # pragma: no cover - JVP keeps primals known
        raise RuntimeError("reference bug: a primal output of linearize is unknown")
    return Linearized([p.const for p in primal_pvals], jaxpr, consts, diff, in_avals)


# --- jaxpr-level partial evaluation (for jit) ---------------------------------

PartialEvalJaxprRule = Callable[[list[bool], Equation], tuple[Equation, Equation, list[bool], list[Var]]]
partial_eval_jaxpr_rules: dict[Primitive, PartialEvalJaxprRule] = {}


def partial_eval_jaxpr(
    closed: ClosedJaxpr, in_unknowns: Sequence[bool], instantiate_out: Sequence[bool] | None = None
) -> tuple[ClosedJaxpr, ClosedJaxpr, list[bool], int]:
    """Split ``closed`` into a known part and an unknown part.

    * known: ``known inputs -> known outputs + residuals``
    * unknown: ``residuals + unknown inputs -> unknown outputs``

    Returns both, which outputs are unknown, and the number of residuals.
    """
    jaxpr = closed.jaxpr
    unknown: dict[Var, bool] = {}
    residuals: dict[Var, None] = {}  # ordered set: deterministic programs

    def read(x: Atom) -> bool:
        return isinstance(x, Var) and unknown[x]

    def new_res(x: Atom) -> Atom:
        if isinstance(x, Var):
            residuals[x] = None
        return x

    for v in jaxpr.constvars:
        unknown[v] = False
    for v, unk in zip(jaxpr.invars, in_unknowns, strict=True):
        unknown[v] = unk
    eqns_known: list[Equation] = []
    eqns_unknown: list[Equation] = []
    for eqn in jaxpr.equations:
        unks_in = [read(x) for x in eqn.inputs]
        if not any(unks_in):
            eqns_known.append(eqn)
            for v in eqn.outputs:
                unknown[v] = False
            continue
        custom = partial_eval_jaxpr_rules.get(eqn.primitive)
        if custom is not None:
            eqn1, eqn2, unks_out, res = custom(unks_in, eqn)
            eqns_known.append(eqn1)
            eqns_unknown.append(eqn2)
            for r in res:
                residuals[r] = None
            for v, unk in zip(eqn.outputs, unks_out, strict=True):
                unknown[v] = unk
        else:
            inputs = tuple(x if unk else new_res(x) for unk, x in zip(unks_in, eqn.inputs, strict=True))
            eqns_unknown.append(Equation(eqn.primitive, inputs, eqn.outputs, eqn.params, eqn.sub_jaxprs))
            for v in eqn.outputs:
                unknown[v] = True
    out_unknowns = [read(x) for x in jaxpr.outvars]
    if instantiate_out is not None:
        for x, unk, inst in zip(jaxpr.outvars, out_unknowns, instantiate_out, strict=True):
            if inst and not unk:
                new_res(x)
        out_unknowns = [u or i for u, i in zip(out_unknowns, instantiate_out, strict=True)]
    res_vars = list(residuals)
    ins_known = tuple(v for v, u in zip(jaxpr.invars, in_unknowns, strict=True) if not u)
    ins_unknown = tuple(v for v, u in zip(jaxpr.invars, in_unknowns, strict=True) if u)
    outs_known = tuple(x for x, u in zip(jaxpr.outvars, out_unknowns, strict=True) if not u)
    outs_unknown = tuple(x for x, u in zip(jaxpr.outvars, out_unknowns, strict=True) if u)
    known = ClosedJaxpr(
        Jaxpr(jaxpr.constvars, ins_known, outs_known + tuple(res_vars), tuple(eqns_known)), closed.consts
    )
    unknown_part = ClosedJaxpr(
        Jaxpr((), tuple(res_vars) + ins_unknown, outs_unknown, tuple(eqns_unknown)), ()
    )
    return known, unknown_part, out_unknowns, len(res_vars)
