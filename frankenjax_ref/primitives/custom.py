"""``custom_jvp_call`` and ``custom_vjp_call``: functions with a user-defined derivative.

JAX keeps a ``jax.custom_jvp`` / ``jax.custom_vjp`` function in a jaxpr as a
call primitive carrying the primal body (``call_jaxpr``) and the rule as
Python callables (``jvp_jaxpr_fun``, ``fwd_jaxpr_thunk``, ``bwd``). Callables
are not data, so the canonical IR carries the rules as traced sub-jaxprs
instead (the oracle importer, ``harness.oracle.from_jax``, traces them):

``custom_jvp_call``  (sub-jaxprs ``call_jaxpr``, ``jvp_jaxpr``)
    ``jvp_jaxpr`` takes the non-const primals then one tangent per non-const
    primal (``float0`` for integer inputs) and returns the primal outputs then
    one tangent per output, every tangent instantiated. Under ``jvp`` the rule
    is evaluated instead of differentiating the body, as JAX does; every
    other transform sees the primal body.

``custom_vjp_call``  (sub-jaxprs ``call_jaxpr``, ``fwd_jaxpr``, ``bwd_jaxpr``)
    ``fwd_jaxpr`` maps the non-const primals to ``residuals + outputs`` (inputs
    JAX forwards as residuals are materialized); ``bwd_jaxpr`` maps
    ``residuals + output cotangents`` to one cotangent per non-const primal.
    Under ``jvp`` the forward pass runs and the tangent map is a
    ``custom_lin`` equation whose transpose evaluates ``bwd_jaxpr`` — so
    reverse mode (``grad``, ``vjp``, ``jacrev``) uses the custom rule, while
    evaluating ``custom_lin`` forward (plain ``jvp``, ``jacfwd``) raises
    FJ-TRANSFORM-CUSTOM-VJP exactly where JAX raises "can't apply
    forward-mode autodiff (jvp) to a custom_vjp function".

``num_consts`` leading inputs are closed-over constants of the body: the
rules neither receive nor differentiate them (as in JAX, where their
tangents are dropped). Batching batches every sub-jaxpr with all inputs
and outputs at axis 0, so the batched rule stays consistent with the
batched body.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, tangent_aval
from frankenjax_ref.core.ir import ClosedJaxpr
from frankenjax_ref.core.params import BOOL, INT, Param
from frankenjax_ref.core.primitive import Primitive, abstract_eval_rules, impl_rules
from frankenjax_ref.errors import PrimitiveError, TransformError, register_code
from frankenjax_ref.interpreters.ad_util import Zero, instantiate
from frankenjax_ref.interpreters.batching import batch_rules, batch_trace, bdim_at_front
from frankenjax_ref.interpreters.core import bind_normalized
from frankenjax_ref.interpreters.eval import eval_jaxpr_raw
from frankenjax_ref.interpreters.jvp import jvp_rules
from frankenjax_ref.interpreters.tracing import trace_to_jaxpr
from frankenjax_ref.interpreters.transpose import transpose_rules

register_code("FJ-TRANSFORM-CUSTOM-VJP", "TRANSFORM", "forward-mode autodiff (jvp) of a custom_vjp function")

_PARAMS = {"num_consts": Param(INT, 0), "symbolic_zeros": Param(BOOL, False)}

custom_jvp_call_p = Primitive(
    "custom_jvp_call", dict(_PARAMS), multiple_results=True, sub_jaxprs=("call_jaxpr", "jvp_jaxpr")
)
custom_vjp_call_p = Primitive(
    "custom_vjp_call",
    dict(_PARAMS),
    multiple_results=True,
    sub_jaxprs=("call_jaxpr", "fwd_jaxpr", "bwd_jaxpr"),
)
custom_lin_p = Primitive(
    "custom_lin", {"num_res": Param(INT)}, multiple_results=True, sub_jaxprs=("bwd_jaxpr",)
)


def _run(closed: ClosedJaxpr, args: Sequence[Any]) -> list[Any]:
    return eval_jaxpr_raw(closed.jaxpr, closed.consts, args)


def _check_inputs(
    name: str, avals: Sequence[ShapedArray], expected: Sequence[ShapedArray], what: str
) -> None:
    if len(avals) != len(expected):
        raise PrimitiveError(
            "FJ-PRIM-PARAM", f"{name}: {what} takes {len(expected)} inputs, got {len(avals)}"
        )
    for i, (given, want) in enumerate(zip(avals, expected, strict=True)):
        if given.shape != want.shape or given.dtype != want.dtype:
            raise PrimitiveError(
                "FJ-PRIM-SHAPE",
                f"{name}: input {i} is {given.str_short()} but {what} expects {want.str_short()}",
            )


def _same_types(name: str, got: Sequence[ShapedArray], want: Sequence[ShapedArray], what: str) -> None:
    if [(a.shape, a.dtype) for a in got] != [(a.shape, a.dtype) for a in want]:
        shown = ", ".join(a.str_short() for a in got)
        expected = ", ".join(a.str_short() for a in want)
        raise PrimitiveError("FJ-PRIM-PARAM", f"{name}: {what} is ({shown}), expected ({expected})")


def _tangents_of(avals: Sequence[ShapedArray]) -> list[ShapedArray]:
    return [tangent_aval(a) for a in avals]


def _as_tangent(value: Any, aval: ShapedArray) -> Any:
    """A float0 tangent (integer output) is a symbolic zero, as everywhere in the interpreters."""
    return Zero(tangent_aval(aval)) if tangent_aval(aval).dtype == dtypes.float0 else value


# --- custom_jvp_call -----------------------------------------------------------------------------


def _custom_jvp_abstract_eval(
    *avals: ShapedArray,
    call_jaxpr: ClosedJaxpr,
    jvp_jaxpr: ClosedJaxpr,
    num_consts: int,
    symbolic_zeros: bool,
) -> list[ShapedArray]:
    _check_inputs("custom_jvp_call", avals, call_jaxpr.in_avals, "call_jaxpr")
    primal_avals = list(call_jaxpr.in_avals[num_consts:])
    _same_types(
        "custom_jvp_call", jvp_jaxpr.in_avals, primal_avals + _tangents_of(primal_avals), "jvp_jaxpr's input"
    )
    outs = list(call_jaxpr.out_avals)
    _same_types("custom_jvp_call", jvp_jaxpr.out_avals, outs + _tangents_of(outs), "jvp_jaxpr's output")
    return outs


def _custom_jvp_impl(*args: Any, call_jaxpr: ClosedJaxpr, **_: Any) -> list[Any]:
    return _run(call_jaxpr, args)


def _custom_jvp_jvp(
    primals: list[Any],
    tangents: list[Any],
    *,
    call_jaxpr: ClosedJaxpr,
    jvp_jaxpr: ClosedJaxpr,
    num_consts: int,
    symbolic_zeros: bool,
) -> tuple[list[Any], list[Any]]:
    args = primals[num_consts:]
    tans = [instantiate(t) for t in tangents[num_consts:]]
    outs = _run(jvp_jaxpr, [*args, *tans])
    m = len(call_jaxpr.out_avals)
    primals_out = outs[:m]
    tangents_out = [_as_tangent(t, a) for t, a in zip(outs[m:], call_jaxpr.out_avals, strict=True)]
    return primals_out, tangents_out


def _vmap_all_at_front(closed: ClosedJaxpr, size: int) -> ClosedJaxpr:
    """``closed`` batched with every input and every output batched at axis 0."""
    in_avals = [a.update(shape=(size, *a.shape)) for a in closed.in_avals]

    def fun(*args: Any) -> list[Any]:
        vals, dims = batch_trace(lambda *xs: _run(closed, xs), size, args, [0] * len(args))
        return [bdim_at_front(size, v, d) for v, d in zip(vals, dims, strict=True)]

    return trace_to_jaxpr(fun, in_avals)


def _batch_bodies_at_front(prim: Primitive) -> Any:
    """Batch a custom-rule call: every operand, and every body, batched at axis 0."""

    def batch(
        size: int, vals: list[Any], dims: list[int | None], **params: Any
    ) -> tuple[list[Any], list[int]]:
        args = [bdim_at_front(size, v, d) for v, d in zip(vals, dims, strict=True)]
        batched = {k: _vmap_all_at_front(v, size) if k in prim.sub_jaxprs else v for k, v in params.items()}
        outs = bind_normalized(prim, args, batched)
        return outs, [0] * len(outs)

    return batch


impl_rules[custom_jvp_call_p] = _custom_jvp_impl
abstract_eval_rules[custom_jvp_call_p] = _custom_jvp_abstract_eval
jvp_rules[custom_jvp_call_p] = _custom_jvp_jvp
batch_rules[custom_jvp_call_p] = _batch_bodies_at_front(custom_jvp_call_p)


# --- custom_vjp_call ---------------------------------------------------------------------------------


def _num_res(call_jaxpr: ClosedJaxpr, fwd_jaxpr: ClosedJaxpr) -> int:
    return len(fwd_jaxpr.out_avals) - len(call_jaxpr.out_avals)


def _custom_vjp_abstract_eval(
    *avals: ShapedArray,
    call_jaxpr: ClosedJaxpr,
    fwd_jaxpr: ClosedJaxpr,
    bwd_jaxpr: ClosedJaxpr,
    num_consts: int,
    symbolic_zeros: bool,
) -> list[ShapedArray]:
    _check_inputs("custom_vjp_call", avals, call_jaxpr.in_avals, "call_jaxpr")
    primal_avals = list(call_jaxpr.in_avals[num_consts:])
    outs = list(call_jaxpr.out_avals)
    n_res = _num_res(call_jaxpr, fwd_jaxpr)
    if n_res < 0:
        raise PrimitiveError(
            "FJ-PRIM-PARAM", "custom_vjp_call: fwd_jaxpr returns fewer values than call_jaxpr"
        )
    _same_types("custom_vjp_call", fwd_jaxpr.in_avals, primal_avals, "fwd_jaxpr's input")
    res_avals = list(fwd_jaxpr.out_avals[:n_res])
    _same_types("custom_vjp_call", fwd_jaxpr.out_avals[n_res:], outs, "fwd_jaxpr's primal output")
    _same_types("custom_vjp_call", bwd_jaxpr.in_avals, res_avals + _tangents_of(outs), "bwd_jaxpr's input")
    _same_types("custom_vjp_call", bwd_jaxpr.out_avals, _tangents_of(primal_avals), "bwd_jaxpr's output")
    return outs


def _custom_vjp_impl(*args: Any, call_jaxpr: ClosedJaxpr, **_: Any) -> list[Any]:
    return _run(call_jaxpr, args)


def _custom_vjp_jvp(
    primals: list[Any],
    tangents: list[Any],
    *,
    call_jaxpr: ClosedJaxpr,
    fwd_jaxpr: ClosedJaxpr,
    bwd_jaxpr: ClosedJaxpr,
    num_consts: int,
    symbolic_zeros: bool,
) -> tuple[list[Any], list[Any]]:
    n_res = _num_res(call_jaxpr, fwd_jaxpr)
    res_and_outs = _run(fwd_jaxpr, primals[num_consts:])
    res, primals_out = res_and_outs[:n_res], res_and_outs[n_res:]
    tans = [instantiate(t) for t in tangents[num_consts:]]
    tangents_out = bind_normalized(custom_lin_p, [*res, *tans], {"num_res": n_res, "bwd_jaxpr": bwd_jaxpr})
    tangents_out = [_as_tangent(t, a) for t, a in zip(tangents_out, call_jaxpr.out_avals, strict=True)]
    return primals_out, tangents_out


impl_rules[custom_vjp_call_p] = _custom_vjp_impl
abstract_eval_rules[custom_vjp_call_p] = _custom_vjp_abstract_eval
jvp_rules[custom_vjp_call_p] = _custom_vjp_jvp
batch_rules[custom_vjp_call_p] = _batch_bodies_at_front(custom_vjp_call_p)


# --- custom_lin: the linear tangent map of a custom_vjp function ----------------------------------------


def _custom_lin_abstract_eval(*avals: ShapedArray, num_res: int, bwd_jaxpr: ClosedJaxpr) -> list[ShapedArray]:
    if num_res < 0 or num_res > len(bwd_jaxpr.in_avals):
        raise PrimitiveError("FJ-PRIM-PARAM", f"custom_lin: num_res={num_res} does not fit bwd_jaxpr")
    _same_types("custom_lin", avals[:num_res], bwd_jaxpr.in_avals[:num_res], "the residuals")
    _same_types("custom_lin", avals[num_res:], bwd_jaxpr.out_avals, "the tangent inputs")
    return list(bwd_jaxpr.in_avals[num_res:])


def _custom_lin_impl(*args: Any, num_res: int, bwd_jaxpr: ClosedJaxpr) -> list[Any]:
    raise TransformError(
        "FJ-TRANSFORM-CUSTOM-VJP",
        "can't apply forward-mode autodiff (jvp) to a custom_vjp function",
        hint="use reverse mode (grad, vjp, jacrev), or define the function with custom_jvp",
    )


def _custom_lin_transpose(cts: list[Any], *args: Any, num_res: int, bwd_jaxpr: ClosedJaxpr) -> list[Any]:
    res = list(args[:num_res])
    cts_in = _run(bwd_jaxpr, [*res, *(instantiate(c) for c in cts)])
    out: list[Any] = [None] * num_res
    for ct, aval in zip(cts_in, bwd_jaxpr.out_avals, strict=True):
        out.append(Zero(aval) if aval.dtype == dtypes.float0 else ct)
    return out


def _custom_lin_batch(
    size: int, vals: list[Any], dims: list[int | None], *, num_res: int, bwd_jaxpr: ClosedJaxpr
) -> tuple[list[Any], list[int | None]]:
    args = [bdim_at_front(size, v, d) for v, d in zip(vals, dims, strict=True)]
    outs = bind_normalized(
        custom_lin_p, args, {"num_res": num_res, "bwd_jaxpr": _vmap_all_at_front(bwd_jaxpr, size)}
    )
    return outs, [0] * len(outs)


impl_rules[custom_lin_p] = _custom_lin_impl
abstract_eval_rules[custom_lin_p] = _custom_lin_abstract_eval
transpose_rules[custom_lin_p] = _custom_lin_transpose
batch_rules[custom_lin_p] = _custom_lin_batch

__all__ = ["custom_jvp_call_p", "custom_lin_p", "custom_vjp_call_p"]
