"""Reductions: reduce_sum/max/min/prod/and/or and argmax/argmin.

``reduce_max``/``reduce_min`` follow XLA: NaN propagates, ``-0.0 < +0.0``,
and an empty reduction yields the identity (``-inf`` for max of floats,
the integer type's minimum, ...); on complex numbers they are JAX's
lexicographic fold (see ``_complex_fold``). 16-bit float sums and products
accumulate in float32 and round once -- more accurate than XLA's CPU
backend, which accumulates in the 16-bit type in its own (vectorized) order,
so its partial sums round and can overflow (a documented divergence,
``tests/jax_helpers.py``). ``reduce_and``/``reduce_or`` and ``argmax``/``argmin``
strip weak types; ``argmax``/``argmin`` reject complex operands, which JAX
traces but cannot compile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, get_aval
from frankenjax_ref.core.params import DTYPE, INTS, NONE_ONLY, Param
from frankenjax_ref.core.primitive import Primitive, abstract_eval_rules, impl_rules, lax_function
from frankenjax_ref.errors import PrimitiveError
from frankenjax_ref.interpreters.batching import batch_rules
from frankenjax_ref.interpreters.core import bind_normalized
from frankenjax_ref.interpreters.jvp import defjvp2, defjvp_zero, deflinear_jvp, jvp_flat, jvp_rules
from frankenjax_ref.interpreters.transpose import transpose_rules
from frankenjax_ref.primitives._family import ANY, BOOL_OR_INT, INT, NUM, ORDERED, check_dtype, const_like
from frankenjax_ref.primitives.conversion import convert_element_type
from frankenjax_ref.primitives.elementwise import div, mul
from frankenjax_ref.primitives.logic import eq
from frankenjax_ref.primitives.shape import broadcast_in_dim, full, pad, reshape, slice, squeeze, transpose

_HALF = (dtypes.bfloat16, dtypes.float16)


def _check_axes(name: str, x: ShapedArray, axes: tuple[int, ...]) -> None:
    if any(a < 0 or a >= x.ndim for a in axes) or len(set(axes)) != len(axes):
        raise PrimitiveError("FJ-PRIM-SHAPE", f"{name}: invalid axes {axes} for operand of rank {x.ndim}")


def _reduced_shape(x: ShapedArray, axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(d for i, d in enumerate(x.shape) if i not in axes)


def _reducer(
    name: str, accepted: tuple[np.dtype, ...], params: dict[str, Param], keep_weak_type: bool = True
) -> Primitive:
    """A reduction over ``axes``; the logical ones (``keep_weak_type=False``) strip weak types, as in JAX."""
    prim = Primitive(name, params)

    def abstract_eval(x: ShapedArray, *, axes: tuple[int, ...], **_: Any) -> ShapedArray:
        check_dtype(name, x, accepted)
        _check_axes(name, x, axes)
        return ShapedArray(_reduced_shape(x, axes), x.dtype, x.weak_type and keep_weak_type)

    abstract_eval_rules[prim] = abstract_eval
    _def_reducer_batch(prim)
    return prim


def _def_reducer_batch(prim: Primitive) -> None:
    """Shift ``axes`` around the batch dimension (JAX's ``defreducer``)."""

    def batch(
        size: int, vals: list[Any], dims: list[int | None], *, axes: tuple[int, ...], **params: Any
    ) -> Any:
        (x,), (d,) = vals, dims
        assert d is not None
        new_axes = tuple(a + (a >= d) for a in axes)
        out_dim = d - sum(a < d for a in axes)
        return bind_normalized(prim, [x], {"axes": new_axes, **params}), out_dim

    batch_rules[prim] = batch


def _with_identity(
    fn: Callable[..., np.ndarray], identity: Callable[[np.dtype], Any]
) -> Callable[..., np.ndarray]:
    """A reduction impl that returns the identity for empty reductions."""

    def impl(x: Any, *, axes: tuple[int, ...], **_: Any) -> np.ndarray:
        x = np.asarray(x)
        out_shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        if any(x.shape[a] == 0 for a in axes):
            return np.full(out_shape, identity(x.dtype), dtype=x.dtype)
        if not axes:
            return x.copy()
        with np.errstate(all="ignore"):
            return np.asarray(fn(x, axes)).reshape(out_shape)

    return impl


def _accumulate(np_fn: Callable[..., Any]) -> Callable[[np.ndarray, tuple[int, ...]], np.ndarray]:
    def fn(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        if x.dtype in _HALF:
            return np.asarray(np_fn(x.astype(np.float32), axis=axes)).astype(x.dtype)
        return np.asarray(np_fn(x, axis=axes, dtype=x.dtype))

    return fn


def _lowest(d: np.dtype) -> Any:
    if d == dtypes.bool_:
        return False
    if dtypes.is_integer(d):
        return np.iinfo(d).min
    return -np.inf


def _highest(d: np.dtype) -> Any:
    if d == dtypes.bool_:
        return True
    if dtypes.is_integer(d):
        return np.iinfo(d).max
    return np.inf


def _signed_zero_fix(
    x: np.ndarray, axes: tuple[int, ...], res: np.ndarray, prefer_positive: bool
) -> np.ndarray:
    """Make a zero result +0.0 (max) or -0.0 (min) exactly when such a zero is present."""
    if not dtypes.is_float(x.dtype):
        return res
    wanted = (x == 0) & (np.signbit(x) != prefer_positive)
    has_wanted = np.any(wanted, axis=axes)
    zero = np.zeros((), x.dtype) if prefer_positive else -np.zeros((), x.dtype)
    return np.where((res == 0) & has_wanted, zero, res).astype(x.dtype)


def _complex_fold(x: np.ndarray, axes: tuple[int, ...], cmp: Any, init: complex) -> np.ndarray:
    """XLA's complex reduce_max/min: fold ``pick(acc, x_i)`` over the elements in row-major order,
    starting from ``init`` (``∓inf+0j``, which is not an identity for (∓inf, imag) values under the
    lexicographic order); a reduced extent of 1 is the element itself (XLA drops size-1 reductions)."""
    from frankenjax_ref.primitives.elementwise import complex_pick

    kept = [i for i in range(x.ndim) if i not in axes]
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    rows = np.transpose(x, (*kept, *axes)).reshape(*(x.shape[i] for i in kept), n)
    if rows.shape[-1] == 1:
        return rows[..., 0]
    acc = np.full(rows.shape[:-1], init, x.dtype)
    for k in range(rows.shape[-1]):
        acc = complex_pick(acc, rows[..., k], cmp)
    return acc


def _max_fn(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    if dtypes.is_complex(x.dtype):
        return _complex_fold(x, axes, np.greater, complex(-np.inf, 0))
    return _signed_zero_fix(x, axes, np.max(x, axis=axes), prefer_positive=True)


def _min_fn(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    if dtypes.is_complex(x.dtype):
        return _complex_fold(x, axes, np.less, complex(np.inf, 0))
    return _signed_zero_fix(x, axes, np.min(x, axis=axes), prefer_positive=False)


# --- reduce_sum -------------------------------------------------------------------------

reduce_sum_p = _reducer("reduce_sum", NUM, {"axes": Param(INTS), "out_sharding": Param(NONE_ONLY, None)})
impl_rules[reduce_sum_p] = _with_identity(_accumulate(np.sum), lambda d: 0)
deflinear_jvp(reduce_sum_p)


def _reduce_sum_transpose(ct: Any, x: Any, *, axes: tuple[int, ...], out_sharding: None) -> list[Any]:
    shape = x.aval.shape
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    return [broadcast_in_dim(ct, shape, kept)]


transpose_rules[reduce_sum_p] = _reduce_sum_transpose


@lax_function
def reduce_sum(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_sum_p.bind(x, axes=tuple(axes))


# --- reduce_max / reduce_min -----------------------------------------------------------------

reduce_max_p = _reducer("reduce_max", ANY, {"axes": Param(INTS)})
impl_rules[reduce_max_p] = _with_identity(_max_fn, _lowest)
reduce_min_p = _reducer("reduce_min", ANY, {"axes": Param(INTS)})
impl_rules[reduce_min_p] = _with_identity(_min_fn, _highest)


def _reduce_chooser_jvp(g: Any, ans: Any, x: Any, *, axes: tuple[int, ...]) -> Any:
    """Average the tangent over every position that attains the extreme (JAX's rule)."""
    shape = tuple(1 if i in axes else d for i, d in enumerate(get_aval(x).shape))
    g_dtype = get_aval(g).dtype
    location = convert_element_type(eq(x, reshape(ans, shape)), g_dtype)
    counts = reduce_sum(location, axes)
    return div(reduce_sum(mul(g, location), axes), counts)


defjvp2(reduce_max_p, _reduce_chooser_jvp)


@lax_function
def reduce_max(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_max_p.bind(x, axes=tuple(axes))


defjvp2(reduce_min_p, _reduce_chooser_jvp)


@lax_function
def reduce_min(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_min_p.bind(x, axes=tuple(axes))


# --- reduce_prod -------------------------------------------------------------------------------

reduce_prod_p = _reducer("reduce_prod", NUM, {"axes": Param(INTS)})
impl_rules[reduce_prod_p] = _with_identity(_accumulate(np.prod), lambda d: 1)


def _reduce_prod_jvp(primals: list[Any], tangents: list[Any], *, axes: tuple[int, ...]) -> tuple[Any, Any]:
    """JAX's rule: the product as a balanced tree of multiplications, differentiated.

    Unlike ``g * prod / x`` this is exact where the operand has zeros.
    """
    (x,), (t,) = primals, tangents
    from frankenjax_ref.interpreters.ad_util import instantiate

    shape = get_aval(x).shape
    non_axes = tuple(i for i in range(len(shape)) if i not in axes)
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    kept_shape = tuple(shape[i] for i in non_axes)
    one = const_like(x, 1)

    def to_rows(v: Any) -> Any:
        return reshape(transpose(v, (*axes, *non_axes)), (n, *kept_shape))

    def tree(v: Any) -> list[Any]:
        while get_aval(v).shape[0] > 1:
            size = get_aval(v).shape[0]
            n1 = (size + 1) // 2
            rest = get_aval(v).shape[1:]
            first = slice(v, (0,) * len(get_aval(v).shape), (n1, *rest))
            second = slice(v, (n1,) + (0,) * len(rest), (size, *rest))
            if size - n1 != n1:
                second = pad(second, one, ((0, 1, 0),) + ((0, 0, 0),) * len(rest))
            v = mul(first, second)
        if get_aval(v).shape[0] == 0:
            return [full(kept_shape, 1, get_aval(x).dtype)]
        return [squeeze(v, (0,))]

    (p,), (tan,) = jvp_flat(tree, [to_rows(x)], [to_rows(instantiate(t))])
    return p, tan


jvp_rules[reduce_prod_p] = _reduce_prod_jvp


@lax_function
def reduce_prod(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_prod_p.bind(x, axes=tuple(axes))


# --- reduce_and / reduce_or ------------------------------------------------------------------------


def _bitwise_reduce(ufunc: np.ufunc) -> Callable[[np.ndarray, tuple[int, ...]], np.ndarray]:
    return lambda x, axes: np.asarray(ufunc.reduce(x, axis=axes))


reduce_and_p = _reducer("reduce_and", BOOL_OR_INT, {"axes": Param(INTS)}, keep_weak_type=False)
impl_rules[reduce_and_p] = _with_identity(
    _bitwise_reduce(np.bitwise_and),
    lambda d: np.invert(np.zeros((), d)),  # all bits set (True for bool)
)
defjvp_zero(reduce_and_p)


@lax_function
def reduce_and(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_and_p.bind(x, axes=tuple(axes))


reduce_or_p = _reducer("reduce_or", BOOL_OR_INT, {"axes": Param(INTS)}, keep_weak_type=False)
impl_rules[reduce_or_p] = _with_identity(
    _bitwise_reduce(np.bitwise_or), lambda d: False if d == dtypes.bool_ else 0
)
defjvp_zero(reduce_or_p)


@lax_function
def reduce_or(x: Any, axes: tuple[int, ...]) -> Any:
    return reduce_or_p.bind(x, axes=tuple(axes))


# --- argmax / argmin -----------------------------------------------------------------------------


def _argminmax(name: str, np_fn: Callable[..., Any]) -> Primitive:
    prim = Primitive(name, {"axes": Param(INTS), "index_dtype": Param(DTYPE)})

    def abstract_eval(x: ShapedArray, *, axes: tuple[int, ...], index_dtype: np.dtype) -> ShapedArray:
        check_dtype(name, x, ORDERED)
        if len(axes) != 1:
            raise PrimitiveError("FJ-PRIM-PARAM", f"{name} takes exactly one axis, got {axes}")
        _check_axes(name, x, axes)
        if x.shape[axes[0]] < 1:
            raise PrimitiveError(
                "FJ-PRIM-SHAPE",
                f"{name} requires a non-empty reduced dimension, got shape {x.shape} axis {axes[0]}",
            )
        if index_dtype not in INT:
            raise PrimitiveError("FJ-PRIM-DTYPE", f"{name}: index_dtype must be an integer type")
        return ShapedArray(_reduced_shape(x, axes), index_dtype, False)

    def impl(x: Any, *, axes: tuple[int, ...], index_dtype: np.dtype) -> np.ndarray:
        x = np.asarray(x)
        return np.asarray(np_fn(x, axis=axes[0])).astype(index_dtype)

    abstract_eval_rules[prim] = abstract_eval
    impl_rules[prim] = impl
    defjvp_zero(prim)
    _def_reducer_batch(prim)
    return prim


argmax_p = _argminmax("argmax", np.argmax)


@lax_function
def argmax(x: Any, axis: int, index_dtype: Any) -> Any:
    return argmax_p.bind(x, axes=(axis,), index_dtype=index_dtype)


argmin_p = _argminmax("argmin", np.argmin)


@lax_function
def argmin(x: Any, axis: int, index_dtype: Any) -> Any:
    return argmin_p.bind(x, axes=(axis,), index_dtype=index_dtype)
