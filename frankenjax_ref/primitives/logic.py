"""Comparisons, bitwise logic, ``select_n`` and ``clamp``.

None of these has a derivative with respect to a boolean or integer result,
so their JVPs are symbolic zeros; ``select_n`` and ``clamp`` route the
tangents of their value operands. ``select_n``'s predicate may be boolean or
any integer type; ``clamp`` accepts every dtype (XLA:CPU orders complex
operands of ``clamp`` by their real parts only; ties keep ``min``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, get_aval
from frankenjax_ref.core.primitive import Primitive, abstract_eval_rules, lax_function
from frankenjax_ref.errors import PrimitiveError
from frankenjax_ref.interpreters.ad_util import Zero, zeros_like_aval
from frankenjax_ref.interpreters.batching import batch_rules, bdim_at_front, broadcast_axis
from frankenjax_ref.interpreters.jvp import defjvp, defjvp_zero, jvp_rules
from frankenjax_ref.interpreters.transpose import is_undefined_primal, transpose_rules
from frankenjax_ref.primitives._family import (
    ANY,
    BOOL_OR_INT,
    ORDERED,
    binary_impl,
    check_dtype,
    def_impl,
    standard_naryop,
    standard_unop,
)
from frankenjax_ref.primitives.elementwise import broadcast_to_shape

_BOOL = lambda *_: dtypes.bool_  # noqa: E731


def _comparison(name: str, accepted: tuple[np.dtype, ...], fn: Any) -> Primitive:
    prim = standard_naryop(name, [accepted, accepted], out_dtype=_BOOL)
    def_impl(prim, binary_impl(fn))
    defjvp_zero(prim)
    return prim


eq_p = _comparison("eq", ANY, np.equal)


@lax_function
def eq(x: Any, y: Any) -> Any:
    return eq_p.bind(x, y)


ne_p = _comparison("ne", ANY, np.not_equal)


@lax_function
def ne(x: Any, y: Any) -> Any:
    return ne_p.bind(x, y)


lt_p = _comparison("lt", ORDERED, np.less)


@lax_function
def lt(x: Any, y: Any) -> Any:
    return lt_p.bind(x, y)


le_p = _comparison("le", ORDERED, np.less_equal)


@lax_function
def le(x: Any, y: Any) -> Any:
    return le_p.bind(x, y)


gt_p = _comparison("gt", ORDERED, np.greater)


@lax_function
def gt(x: Any, y: Any) -> Any:
    return gt_p.bind(x, y)


ge_p = _comparison("ge", ORDERED, np.greater_equal)


@lax_function
def ge(x: Any, y: Any) -> Any:
    return ge_p.bind(x, y)


# --- bitwise / logical (JAX's primitive names are 'and', 'or', 'not', 'xor') ---------

and_p = standard_naryop("and", [BOOL_OR_INT, BOOL_OR_INT])
def_impl(and_p, binary_impl(np.bitwise_and))
defjvp_zero(and_p)


@lax_function
def bitwise_and(x: Any, y: Any) -> Any:
    return and_p.bind(x, y)


or_p = standard_naryop("or", [BOOL_OR_INT, BOOL_OR_INT])
def_impl(or_p, binary_impl(np.bitwise_or))
defjvp_zero(or_p)


@lax_function
def bitwise_or(x: Any, y: Any) -> Any:
    return or_p.bind(x, y)


xor_p = standard_naryop("xor", [BOOL_OR_INT, BOOL_OR_INT])
def_impl(xor_p, binary_impl(np.bitwise_xor))
defjvp_zero(xor_p)


@lax_function
def bitwise_xor(x: Any, y: Any) -> Any:
    return xor_p.bind(x, y)


not_p = standard_unop("not", BOOL_OR_INT)
def_impl(not_p, lambda x: np.invert(np.asarray(x)))
defjvp_zero(not_p)


@lax_function
def bitwise_not(x: Any) -> Any:
    return not_p.bind(x)


# --- select_n ------------------------------------------------------------------------------

select_n_p = Primitive("select_n")


def _select_n_abstract_eval(which: ShapedArray, *cases: ShapedArray) -> ShapedArray:
    if not cases:
        raise PrimitiveError("FJ-PRIM-PARAM", "select_n must have at least one case")
    if any(c.shape != cases[0].shape for c in cases):
        raise PrimitiveError("FJ-PRIM-SHAPE", "select_n cases must have the same shapes")
    if any(c.dtype != cases[0].dtype for c in cases):
        raise PrimitiveError("FJ-PRIM-DTYPE", "select_n cases must have the same dtypes")
    if which.shape and which.shape != cases[0].shape:
        raise PrimitiveError("FJ-PRIM-SHAPE", "select_n which must be scalar or have the same shape as cases")
    check_dtype("select_n", which, BOOL_OR_INT, what="which")
    if which.dtype == dtypes.bool_ and len(cases) > 2:
        raise PrimitiveError("FJ-PRIM-PARAM", "select with boolean `which` cannot have > 2 cases")
    return ShapedArray(cases[0].shape, cases[0].dtype, all(c.weak_type for c in cases))


def _select_n_impl(which: Any, *cases: Any) -> np.ndarray:
    which = np.asarray(which)
    arrays = [np.asarray(c) for c in cases]
    if len(arrays) == 1:
        return arrays[0]
    index = which.astype(np.int64)
    out = np.choose(np.broadcast_to(np.clip(index, 0, len(arrays) - 1), arrays[0].shape), arrays)
    return np.asarray(out, dtype=arrays[0].dtype)


abstract_eval_rules[select_n_p] = _select_n_abstract_eval
def_impl(select_n_p, _select_n_impl)


def _select_n_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    which, *cases = primals
    case_tangents = tangents[1:]
    out = select_n(which, *cases)
    if all(type(t) is Zero for t in case_tangents):
        return out, Zero.from_primal(out)
    ts = [zeros_like_aval(t.aval) if type(t) is Zero else t for t in case_tangents]
    return out, select_n(which, *ts)


jvp_rules[select_n_p] = _select_n_jvp


def _select_n_transpose(ct: Any, which: Any, *cases: Any) -> list[Any]:
    if is_undefined_primal(which):
        raise PrimitiveError("FJ-PRIM-PARAM", "select_n is not linear in its predicate")
    zeros = zeros_like_aval(get_aval(ct))
    out: list[Any] = [None]
    for i, c in enumerate(cases):
        if is_undefined_primal(c):
            branches = [zeros] * len(cases)
            branches[i] = ct
            out.append(select_n(which, *branches))
        else:
            out.append(None)
    return out


transpose_rules[select_n_p] = _select_n_transpose


def _select_n_batch(size: int, vals: list[Any], dims: list[int | None]) -> tuple[Any, int]:
    """Move everything's batch axis to the front and broadcast a scalar ``which`` to the cases."""
    which, *cases = vals
    which_dim, *case_dims = dims
    cases = [bdim_at_front(size, c, d) for c, d in zip(cases, case_dims, strict=True)]
    full = get_aval(cases[0]).shape
    if which_dim is None:
        if get_aval(which).shape:
            which = broadcast_axis(which, size, 0)
    else:
        which = bdim_at_front(size, which, which_dim)
        if get_aval(which).shape != full:
            from frankenjax_ref.primitives.shape import broadcast_in_dim

            which = broadcast_in_dim(which, full, (0,))
    return select_n(which, *cases), 0


batch_rules[select_n_p] = _select_n_batch


@lax_function
def select_n(which: Any, *cases: Any) -> Any:
    return select_n_p.bind(which, *cases)


@lax_function
def select(pred: Any, on_true: Any, on_false: Any) -> Any:
    """JAX's ``lax.select``: ``select_n(pred, on_false, on_true)``."""
    return select_n_p.bind(pred, on_false, on_true)


# --- clamp -----------------------------------------------------------------------------------

clamp_p = Primitive("clamp")


def _clamp_abstract_eval(lo: ShapedArray, x: ShapedArray, hi: ShapedArray) -> ShapedArray:
    for what, a in (("min", lo), ("operand", x), ("max", hi)):
        check_dtype("clamp", a, ANY, what=what)
    if lo.dtype != x.dtype or hi.dtype != x.dtype:
        raise PrimitiveError("FJ-PRIM-DTYPE", "clamp requires min, operand and max to have the same dtype")
    for what, a in (("min", lo), ("max", hi)):
        if a.shape and a.shape != x.shape:
            raise PrimitiveError(
                "FJ-PRIM-SHAPE",
                f"clamp {what} must be scalar or have the operand's shape {x.shape}, got {a.shape}",
            )
    return ShapedArray(x.shape, x.dtype, lo.weak_type and x.weak_type and hi.weak_type)


def _clamp_impl(lo: Any, x: Any, hi: Any) -> np.ndarray:
    from frankenjax_ref.primitives.elementwise import maximum_impl, minimum_impl

    lo, x, hi = np.asarray(lo), np.asarray(x), np.asarray(hi)
    if dtypes.is_complex(x.dtype):
        # XLA:CPU orders complex operands of clamp by their real parts only; ties keep lo, then the max
        low = np.where(lo.real >= x.real, lo, x)
        return np.asarray(np.where(low.real <= hi.real, low, hi), dtype=x.dtype)
    return minimum_impl(maximum_impl(lo, x), hi)


abstract_eval_rules[clamp_p] = _clamp_abstract_eval
def_impl(clamp_p, _clamp_impl)


def _clamp_tangent_mask(g: Any, mask: Any, x: Any) -> Any:
    shape = get_aval(x).shape
    return select(mask, broadcast_to_shape(g, shape), zeros_like_aval(get_aval(x)))


defjvp(
    clamp_p,
    lambda g, lo, x, hi: _clamp_tangent_mask(g, bitwise_and(gt(lo, x), lt(lo, hi)), x),
    lambda g, lo, x, hi: _clamp_tangent_mask(g, bitwise_and(gt(x, lo), lt(x, hi)), x),
    lambda g, lo, x, hi: _clamp_tangent_mask(g, lt(hi, x), x),
)


def _clamp_batch(size: int, vals: list[Any], dims: list[int | None]) -> tuple[Any, int]:
    """Broadcast every operand to the batched operand's full shape, batch axis first."""
    from frankenjax_ref.primitives.shape import broadcast_in_dim

    lo, x, hi = vals
    lo_d, x_d, hi_d = dims
    if lo_d is None and hi_d is None and not get_aval(lo).shape and not get_aval(hi).shape:
        return clamp(lo, bdim_at_front(size, x, x_d), hi), 0
    x_shape = tuple(s for i, s in enumerate(get_aval(x).shape) if x_d is None or i != x_d % get_aval(x).ndim)
    full = (size, *x_shape)

    def to_full(v: Any, d: int | None) -> Any:
        rank = get_aval(v).ndim
        if d is None:
            return broadcast_in_dim(v, full, tuple(range(1, rank + 1)))
        v = bdim_at_front(size, v, d)
        return v if rank - 1 == len(x_shape) else broadcast_in_dim(v, full, (0,))

    return clamp(to_full(lo, lo_d), to_full(x, x_d), to_full(hi, hi_d)), 0


batch_rules[clamp_p] = _clamp_batch


@lax_function
def clamp(lo: Any, x: Any, hi: Any) -> Any:
    return clamp_p.bind(lo, x, hi)
