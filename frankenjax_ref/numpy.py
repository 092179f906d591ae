"""A small ``jax.numpy``: NumPy-style promotion and broadcasting over reference primitives.

Binary functions promote their operands with JAX's lattice (Python scalars
are weak) and rank-promote lower-rank operands with ``broadcast_in_dim``, as
``jax.numpy`` does; lax's size-1 broadcasting does the rest. Reductions
follow ``jax.numpy``'s dtype rules (integer sums accumulate in the default
integer type, 16-bit float sums in float32).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from frankenjax_ref import lax
from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import get_aval
from frankenjax_ref.errors import PrimitiveError

float32, float64, int32, int64, bool_ = (
    dtypes.float32,
    dtypes.float64,
    dtypes.int32,
    dtypes.int64,
    dtypes.bool_,
)
bfloat16, float16, complex64, complex128 = (
    dtypes.bfloat16,
    dtypes.float16,
    dtypes.complex64,
    dtypes.complex128,
)
pi = np.pi
inf = np.inf
nan = np.nan


def _aval(x: Any) -> Any:
    return get_aval(x)


def asarray(x: Any, dtype: Any = None) -> Any:
    """Convert to an array (or tracer) of ``dtype``; NumPy values stay NumPy values."""
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if dtype is None:
        if dtypes.is_python_scalar(x):
            return np.asarray(x, dtype=dtypes.scalar_dtype(x))
        return x
    target = dtypes.canonicalize(dtype)
    aval = _aval(x)
    if aval.dtype == target and not aval.weak_type:
        return x
    if dtypes.is_python_scalar(x) or isinstance(x, (np.ndarray, np.generic)):
        return np.asarray(x, dtype=target) if target != dtypes.bfloat16 else np.asarray(x).astype(target)
    return lax.convert_element_type(x, target)


array = asarray


def result_type(*args: Any) -> np.dtype:
    return dtypes.result_type(*((a.dtype, a.weak_type) for a in map(_aval, args)))[0]


def promote_dtypes(*args: Any) -> list[Any]:
    """Convert every argument to the promoted dtype (JAX's ``promote_dtypes``)."""
    avals = [_aval(a) for a in args]
    if len({a.dtype for a in avals}) == 1 and len(args) > 0:
        return list(args)
    to_dtype, weak = dtypes.lattice_result_type(*((a.dtype, a.weak_type) for a in avals))
    out = []
    for x, a in zip(args, avals, strict=True):
        if a.dtype == to_dtype:
            out.append(x)
        elif not weak and (dtypes.is_python_scalar(x) or isinstance(x, (np.ndarray, np.generic))):
            out.append(np.asarray(x).astype(to_dtype))
        else:
            # a weak result must stay weak, even from a constant: ``weak_f32 + 2.0`` is a weak f32
            out.append(lax.convert_element_type(x, to_dtype, weak_type=weak))
    return out


def promote_shapes(*args: Any) -> list[Any]:
    """Rank-promote non-scalar operands by prepending size-1 dims (JAX's ``_promote_shapes``)."""
    ranks = [_aval(a).ndim for a in args]
    rank = builtins.max(ranks, default=0)
    out = []
    for x, r in zip(args, ranks, strict=True):
        if r == 0 or r == rank:
            out.append(x)
        else:
            shape = (1,) * (rank - r) + _aval(x).shape
            out.append(lax.broadcast_in_dim(x, shape, tuple(range(rank - r, rank))))
    return out


def _promote(*args: Any) -> list[Any]:
    return promote_shapes(*promote_dtypes(*args))


def _binary(op: Any) -> Any:
    def fn(x: Any, y: Any) -> Any:
        return op(*_promote(x, y))

    fn.__name__ = getattr(op, "__name__", "binary")
    return fn


def _bool_as(bool_op: Any, op: Any) -> Any:
    """``op``, or ``bool_op`` on booleans (``jnp.add`` is ``or`` on bools, ``jnp.multiply`` is ``and``)."""

    def fn(x: Any, y: Any) -> Any:
        return (bool_op if _aval(x).dtype == dtypes.bool_ else op)(x, y)

    fn.__name__ = getattr(op, "__name__", "binary")
    return fn


add = _binary(_bool_as(lax.bitwise_or, lax.add))
subtract = _binary(lax.sub)
multiply = _binary(_bool_as(lax.bitwise_and, lax.mul))
maximum = _binary(lax.max)
minimum = _binary(lax.min)
arctan2 = _binary(lax.atan2)
equal = _binary(lax.eq)
not_equal = _binary(lax.ne)
less = _binary(lax.lt)
less_equal = _binary(lax.le)
greater = _binary(lax.gt)
greater_equal = _binary(lax.ge)
bitwise_and = _binary(lax.bitwise_and)
bitwise_or = _binary(lax.bitwise_or)
bitwise_xor = _binary(lax.bitwise_xor)
logical_and = bitwise_and
logical_or = bitwise_or


def _to_inexact(x: Any) -> Any:
    """JAX's inexact promotion: small integers and bools to float32, 64-bit integers to float64."""
    d = _aval(x).dtype
    return x if dtypes.is_inexact(d) else asarray(x, dtypes.to_inexact(d))


def true_divide(x: Any, y: Any) -> Any:
    x, y = _promote(x, y)
    return lax.div(_to_inexact(x), _to_inexact(y))


divide = true_divide


def floor_divide(x: Any, y: Any) -> Any:
    x, y = _promote(x, y)
    if dtypes.is_integer(_aval(x).dtype):
        q = lax.div(x, y)
        r = lax.rem(x, y)
        zero = np.zeros((), _aval(x).dtype)
        fix = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zero)))
        return lax.select(fix, lax.sub(q, np.ones((), _aval(q).dtype)), q)
    return lax.floor(lax.div(x, y))


def remainder(x: Any, y: Any) -> Any:
    x, y = _promote(x, y)
    r = lax.rem(x, y)
    zero = np.zeros((), _aval(r).dtype)
    fix = lax.bitwise_and(lax.ne(r, zero), lax.ne(lax.lt(r, zero), lax.lt(y, zero)))
    return lax.select(fix, lax.add(r, y), r)


mod = remainder


def power(x: Any, y: Any) -> Any:
    if isinstance(y, int) and not isinstance(y, bool):
        return lax.integer_pow(asarray(x), y)
    x, y = _promote(x, y)
    return lax.pow(x, y)


def _unary(op: Any, inexact: bool = True) -> Any:
    def fn(x: Any) -> Any:
        x = asarray(x)
        return op(_to_inexact(x) if inexact else x)

    fn.__name__ = getattr(op, "__name__", "unary")
    return fn


sin, cos, tan = _unary(lax.sin), _unary(lax.cos), _unary(lax.tan)
arcsin, arccos, arctan = _unary(lax.asin), _unary(lax.acos), _unary(lax.atan)
sinh, cosh, tanh = _unary(lax.sinh), _unary(lax.cosh), _unary(lax.tanh)
arcsinh, arccosh, arctanh = _unary(lax.asinh), _unary(lax.acosh), _unary(lax.atanh)
exp, exp2, log, log1p, expm1 = (
    _unary(lax.exp),
    _unary(lax.exp2),
    _unary(lax.log),
    _unary(lax.log1p),
    _unary(lax.expm1),
)
sqrt, cbrt = _unary(lax.sqrt), _unary(lax.cbrt)
floor, ceil = _unary(lax.floor), _unary(lax.ceil)
negative = _unary(lax.neg, inexact=False)
sign = _unary(lax.sign, inexact=False)
square = _unary(lax.square, inexact=False)
invert = _unary(lax.bitwise_not, inexact=False)
logical_not = invert
isfinite = _unary(lax.is_finite)


def abs(x: Any) -> Any:
    x = asarray(x)
    d = _aval(x).dtype
    if dtypes.is_unsigned(d) or d == dtypes.bool_:
        return x
    return lax.abs(x)


absolute = abs


def round(x: Any) -> Any:
    return lax.round(_to_inexact(asarray(x)), "TO_NEAREST_EVEN")


def where(condition: Any, x: Any, y: Any) -> Any:
    condition = asarray(condition)
    if _aval(condition).dtype != dtypes.bool_:
        condition = lax.ne(condition, np.zeros((), _aval(condition).dtype))
    x, y = promote_dtypes(x, y)
    condition, x, y = promote_shapes(condition, x, y)
    shape = np.broadcast_shapes(*(_aval(v).shape for v in (condition, x, y)))
    condition, x, y = (broadcast_to(v, shape) for v in (condition, x, y))
    return lax.select_n(condition, y, x)


def clip(x: Any, a_min: Any = None, a_max: Any = None) -> Any:
    if a_min is not None:
        x = maximum(x, a_min)
    if a_max is not None:
        x = minimum(x, a_max)
    return x


def broadcast_to(x: Any, shape: Sequence[int]) -> Any:
    x = asarray(x)
    aval = _aval(x)
    shape = tuple(shape)
    if aval.shape == shape:
        return x
    lead = len(shape) - aval.ndim
    if lead < 0 or any(d not in (1, s) for d, s in zip(aval.shape, shape[lead:], strict=True)):
        raise PrimitiveError("FJ-PRIM-SHAPE", f"cannot broadcast {aval.shape} to {shape}")
    keep = tuple(i for i, d in enumerate(aval.shape) if d == shape[lead + i])
    squeezed = lax.reshape(x, tuple(aval.shape[i] for i in keep))
    return lax.broadcast_in_dim(squeezed, shape, tuple(lead + i for i in keep))


# --- creation ---------------------------------------------------------------------------------


def zeros(shape: Any, dtype: Any = float64) -> Any:
    return lax.full(tuple(np.atleast_1d(shape)) if shape != () else (), 0, dtype)


def ones(shape: Any, dtype: Any = float64) -> Any:
    return lax.full(tuple(np.atleast_1d(shape)) if shape != () else (), 1, dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Any:
    """``fill_value`` in ``x``'s shape; weakly typed when ``x`` is and no dtype is given (as JAX)."""
    a = _aval(x)
    return lax.full(a.shape, fill_value, dtype or a.dtype, weak_type=dtype is None and a.weak_type)


def zeros_like(x: Any, dtype: Any = None) -> Any:
    return full_like(x, 0, dtype)


def ones_like(x: Any, dtype: Any = None) -> Any:
    return full_like(x, 1, dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    weak = dtype is None and _aval(fill_value).weak_type
    dtype = dtype or _aval(fill_value).dtype
    return lax.full(tuple(np.atleast_1d(shape)) if shape != () else (), fill_value, dtype, weak_type=weak)


def arange(n: int, dtype: Any = int64) -> Any:
    return lax.iota(dtype, n)


# --- shapes ----------------------------------------------------------------------------------


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    out = tuple(a % ndim if ndim else a for a in axis)
    return out


def reshape(x: Any, shape: Any) -> Any:
    x = asarray(x)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    size = _aval(x).size
    if -1 in shape:
        known = int(np.prod([d for d in shape if d != -1]))
        shape = tuple(size // known if d == -1 else d for d in shape)
    return lax.reshape(x, shape)


def transpose(x: Any, axes: Any = None) -> Any:
    x = asarray(x)
    ndim = _aval(x).ndim
    perm = tuple(reversed(range(ndim))) if axes is None else tuple(a % ndim for a in axes)
    return lax.transpose(x, perm)


def expand_dims(x: Any, axis: Any) -> Any:
    return lax.expand_dims(asarray(x), (axis,) if isinstance(axis, int) else tuple(axis))


def squeeze(x: Any, axis: Any = None) -> Any:
    x = asarray(x)
    shape = _aval(x).shape
    dims = tuple(i for i, d in enumerate(shape) if d == 1) if axis is None else _axes(axis, len(shape))
    return lax.squeeze(x, dims)


def concatenate(xs: Sequence[Any], axis: int = 0) -> Any:
    xs = promote_dtypes(*xs)
    ndim = _aval(xs[0]).ndim
    return lax.concatenate(list(xs), axis % ndim)


def stack(xs: Sequence[Any], axis: int = 0) -> Any:
    return concatenate([expand_dims(x, axis) for x in xs], axis)


# --- reductions --------------------------------------------------------------------------------


def _reduction_input(x: Any, kind: str) -> tuple[Any, np.dtype | None]:
    """JAX's upcasts: ints/bools sum in int64/uint64, 16-bit floats in float32."""
    d = _aval(x).dtype
    if kind in ("sum", "prod"):
        if d == dtypes.bool_ or dtypes.is_signed_int(d):
            return asarray(x, int64), None
        if dtypes.is_unsigned(d):
            return asarray(x, dtypes.uint64), None
        if d in (dtypes.bfloat16, dtypes.float16):
            return asarray(x, float32), d
    return x, None


def _keep(out: Any, x_shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Any:
    if not keepdims:
        return out
    return lax.reshape(out, tuple(1 if i in axes else d for i, d in enumerate(x_shape)))


def _reduce(op: Any, kind: str) -> Any:
    def fn(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        x = asarray(x)
        shape = _aval(x).shape
        axes = _axes(axis, len(shape))
        y, back = _reduction_input(x, kind)
        out = op(y, axes)
        if back is not None:
            out = lax.convert_element_type(out, back)
        return _keep(out, shape, axes, keepdims)

    return fn


sum = _reduce(lax.reduce_sum, "sum")
prod = _reduce(lax.reduce_prod, "prod")
max = _reduce(lax.reduce_max, "max")
min = _reduce(lax.reduce_min, "min")
amax, amin = max, min


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    x = asarray(x)
    shape = _aval(x).shape
    axes = _axes(axis, len(shape))
    n = int(np.prod([shape[a] for a in axes], dtype=np.int64))
    x = _to_inexact(x)
    total = sum(x, axis=axes, keepdims=keepdims)
    return lax.div(total, np.asarray(n, dtype=_aval(total).dtype))


def argmax(x: Any, axis: int | None = None) -> Any:
    x = asarray(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return lax.argmax(x, axis % _aval(x).ndim, int64)


def argmin(x: Any, axis: int | None = None) -> Any:
    x = asarray(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    return lax.argmin(x, axis % _aval(x).ndim, int64)


def dot(a: Any, b: Any) -> Any:
    a, b = promote_dtypes(a, b)
    an, bn = _aval(a).ndim, _aval(b).ndim
    if an == 0 or bn == 0:
        return multiply(a, b)
    contract_b = 0 if bn == 1 else bn - 2
    return lax.dot_general(a, b, (((an - 1,), (contract_b,)), ((), ())))


def matmul(a: Any, b: Any) -> Any:
    a, b = promote_dtypes(a, b)
    an, bn = _aval(a).ndim, _aval(b).ndim
    if an <= 2 and bn <= 2:
        return dot(a, b)
    raise PrimitiveError(
        "FJ-PRIM-SHAPE", "matmul with batch dimensions is not supported; use lax.dot_general"
    )


def logsumexp(x: Any, axis: Any = None) -> Any:
    x = _to_inexact(asarray(x))
    m = lax.stop_gradient(max(x, axis=axis, keepdims=True))
    out = add(log(sum(exp(subtract(x, m)), axis=axis, keepdims=True)), m)
    shape = _aval(x).shape
    return lax.reshape(out, tuple(d for i, d in enumerate(shape) if i not in _axes(axis, len(shape))))


# --- indexing ------------------------------------------------------------------------------------


def getitem(x: Any, index: Any) -> Any:
    """Basic indexing: ints, slices (any step), ``None`` and ``...``."""
    x = asarray(x)
    shape = _aval(x).shape
    if not isinstance(index, tuple):
        index = (index,)
    if builtins.sum(i is Ellipsis for i in index) > 1:
        raise PrimitiveError("FJ-PRIM-PARAM", "an index can only have a single ellipsis")
    consumed = builtins.sum(1 for i in index if i is not None and i is not Ellipsis)
    if Ellipsis in index:
        k = index.index(Ellipsis)
        index = index[:k] + (builtins.slice(None),) * (len(shape) - consumed) + index[k + 1 :]
    index = index + (builtins.slice(None),) * (len(shape) - builtins.sum(1 for i in index if i is not None))
    starts, limits, strides, squeeze_dims, flips, new_axes = [], [], [], [], [], []
    dim = 0
    out_pos = 0
    for item in index:
        if item is None:
            new_axes.append(out_pos)
            out_pos += 1
            continue
        size = shape[dim]
        if isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            i = int(item) + (size if item < 0 else 0)
            if not 0 <= i < size:
                raise PrimitiveError(
                    "FJ-PRIM-SHAPE", f"index {item} out of bounds for axis {dim} of size {size}"
                )
            starts.append(i)
            limits.append(i + 1)
            strides.append(1)
            squeeze_dims.append(dim)
        elif isinstance(item, builtins.slice):
            start, stop, step = item.indices(size)
            if step < 0:
                flips.append(dim)
                # x[start:stop:step] == rev(x)[size-1-start : size-1-stop : -step]
                start, stop, step = size - 1 - start, size - 1 - stop, -step
            n = builtins.max(0, (stop - start + step - 1) // step)
            starts.append(start)
            limits.append(start + (n - 1) * step + 1 if n else start)
            strides.append(step)
            out_pos += 1
        else:
            raise PrimitiveError("FJ-PRIM-PARAM", f"unsupported index {item!r} (basic indexing only)")
        dim += 1
    if flips:
        x = lax.rev(x, tuple(flips))
    if starts and (
        starts != [0] * len(shape) or list(limits) != list(shape) or builtins.any(s != 1 for s in strides)
    ):
        x = lax.slice(
            x, tuple(starts), tuple(limits), None if builtins.all(s == 1 for s in strides) else tuple(strides)
        )
    if squeeze_dims:
        x = lax.squeeze(x, tuple(squeeze_dims))
    if new_axes:
        x = lax.expand_dims(x, tuple(new_axes))
    return x
