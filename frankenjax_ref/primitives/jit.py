"""``jit`` as a higher-order primitive whose param is a closed jaxpr (Autodidax's ``xla_call``).

Every transform handles it by transforming the *body* into a new jaxpr and
binding ``jit`` again, so staging survives any stack of transforms:
``jit(grad(f))`` and ``grad(jit(f))`` both stage and both differentiate.

JAX's ``jit`` equations also carry sharding, layout, donation and compiler
option params; the reference is single-device, so its ``jit`` keeps only
``name`` and the body (the oracle importer drops the rest; the exporter
fills JAX's defaults back in).
"""

from __future__ import annotations

from typing import Any

from frankenjax_ref.core.avals import ShapedArray
from frankenjax_ref.core.ir import ClosedJaxpr, Equation, Var
from frankenjax_ref.core.params import STR, Param
from frankenjax_ref.core.primitive import Primitive, abstract_eval_rules, impl_rules
from frankenjax_ref.errors import PrimitiveError
from frankenjax_ref.interpreters.ad_util import Zero, instantiate
from frankenjax_ref.interpreters.batching import batch_rules, vmap_jaxpr
from frankenjax_ref.interpreters.core import bind_normalized, full_raise
from frankenjax_ref.interpreters.eval import eval_jaxpr_raw
from frankenjax_ref.interpreters.jvp import jvp_jaxpr, jvp_rules
from frankenjax_ref.interpreters.partial_eval import (
    PartialEvalTrace,
    partial_eval_jaxpr,
    partial_eval_jaxpr_rules,
    partial_eval_rules,
)
from frankenjax_ref.interpreters.transpose import is_undefined_primal, transpose_jaxpr, transpose_rules

jit_p = Primitive("jit", {"name": Param(STR, "jit")}, multiple_results=True, sub_jaxprs=("jaxpr",))


def _jit_impl(*args: Any, jaxpr: ClosedJaxpr, name: str) -> list[Any]:
    return eval_jaxpr_raw(jaxpr.jaxpr, jaxpr.consts, args)


def _jit_abstract_eval(*avals: ShapedArray, jaxpr: ClosedJaxpr, name: str) -> list[ShapedArray]:
    in_avals = jaxpr.in_avals
    if len(avals) != len(in_avals):
        raise PrimitiveError("FJ-PRIM-PARAM", f"jit '{name}' takes {len(in_avals)} inputs, got {len(avals)}")
    for i, (given, expected) in enumerate(zip(avals, in_avals, strict=True)):
        # weak types may differ, as JAX's typematch allows
        if given.shape != expected.shape or given.dtype != expected.dtype:
            raise PrimitiveError(
                "FJ-PRIM-SHAPE",
                f"jit '{name}' input {i} is {given.str_short()} but its body expects {expected.str_short()}",
            )
    return jaxpr.out_avals


impl_rules[jit_p] = _jit_impl
abstract_eval_rules[jit_p] = _jit_abstract_eval


def jit_call(closed: ClosedJaxpr, args: list[Any], name: str) -> list[Any]:
    return bind_normalized(jit_p, args, {"name": name, "jaxpr": closed})


# --- JVP: differentiate the body ----------------------------------------------------------------


def _jit_jvp(
    primals: list[Any], tangents: list[Any], *, jaxpr: ClosedJaxpr, name: str
) -> tuple[list[Any], list[Any]]:
    nonzeros = [type(t) is not Zero for t in tangents]
    new_jaxpr, out_nonzeros = jvp_jaxpr(jaxpr, nonzeros, instantiate_out=False)
    outs = jit_call(new_jaxpr, [*primals, *(t for t in tangents if type(t) is not Zero)], f"jvp({name})")
    n = len(jaxpr.out_avals)
    primals_out, nz_tangents = outs[:n], iter(outs[n:])
    tangents_out = [
        next(nz_tangents) if nz else Zero.from_primal(p)
        for p, nz in zip(primals_out, out_nonzeros, strict=True)
    ]
    return primals_out, tangents_out


jvp_rules[jit_p] = _jit_jvp


# --- partial evaluation: split the body into known and unknown parts ------------------------------


def _jit_partial_eval(
    trace: PartialEvalTrace, tracers: list[Any], *, jaxpr: ClosedJaxpr, name: str
) -> list[Any]:
    in_unknowns = [not t.pval.is_known for t in tracers]
    known, unknown, out_unknowns, num_res = partial_eval_jaxpr(jaxpr, in_unknowns)
    known_vals = [t.pval.const for t, unk in zip(tracers, in_unknowns, strict=True) if not unk]
    outs_and_res = jit_call(known, known_vals, name)
    n_known_out = len(outs_and_res) - num_res
    known_outs, residuals = outs_and_res[:n_known_out], outs_and_res[n_known_out:]
    res_tracers = [trace.instantiate_const(full_raise(trace, r)) for r in residuals]
    unknown_tracers = [t for t, unk in zip(tracers, in_unknowns, strict=True) if unk]
    unknown_outs = trace.stage_equation(
        jit_p, [*res_tracers, *unknown_tracers], {"name": name, "jaxpr": unknown}, list(unknown.out_avals)
    )
    known_it, unknown_it = iter(known_outs), iter(unknown_outs)
    return [next(unknown_it) if unk else next(known_it) for unk in out_unknowns]


partial_eval_rules[jit_p] = _jit_partial_eval


def _jit_partial_eval_jaxpr(
    unks_in: list[bool], eqn: Equation
) -> tuple[Equation, Equation, list[bool], list[Var]]:
    body = eqn.sub_jaxprs["jaxpr"]
    known, unknown, out_unknowns, num_res = partial_eval_jaxpr(body, unks_in)
    residuals = [Var(a) for a in unknown.in_avals[:num_res]]
    ins_known = tuple(x for x, u in zip(eqn.inputs, unks_in, strict=True) if not u)
    ins_unknown = tuple(x for x, u in zip(eqn.inputs, unks_in, strict=True) if u)
    outs_known = tuple(v for v, u in zip(eqn.outputs, out_unknowns, strict=True) if not u)
    outs_unknown = tuple(v for v, u in zip(eqn.outputs, out_unknowns, strict=True) if u)
    eqn_known = Equation(jit_p, ins_known, outs_known + tuple(residuals), eqn.params, {"jaxpr": known})
    eqn_unknown = Equation(
        jit_p, tuple(residuals) + ins_unknown, outs_unknown, eqn.params, {"jaxpr": unknown}
    )
    return eqn_known, eqn_unknown, out_unknowns, residuals


partial_eval_jaxpr_rules[jit_p] = _jit_partial_eval_jaxpr


# --- transpose: transpose the body ---------------------------------------------------------------------


def _jit_transpose(cts: list[Any], *args: Any, jaxpr: ClosedJaxpr, name: str) -> list[Any]:
    linear = [is_undefined_primal(a) for a in args]
    transposed = transpose_jaxpr(jaxpr, linear)
    residuals = [a for a in args if not is_undefined_primal(a)]
    cts_in = iter(jit_call(transposed, [*residuals, *(instantiate(c) for c in cts)], f"transpose({name})"))
    return [next(cts_in) if lin else None for lin in linear]


transpose_rules[jit_p] = _jit_transpose


# --- batching: batch the body ---------------------------------------------------------------------------


def _jit_batch(
    size: int, vals: list[Any], dims: list[int | None], *, jaxpr: ClosedJaxpr, name: str
) -> tuple[list[Any], list[int | None]]:
    batched, out_dims = vmap_jaxpr(jaxpr, size, dims)
    return jit_call(batched, list(vals), f"vmap({name})"), out_dims


batch_rules[jit_p] = _jit_batch
