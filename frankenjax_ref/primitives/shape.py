"""Shape primitives: broadcast_in_dim, reshape, transpose, squeeze, expand_dims,
concatenate, slice, pad, rev and iota.

All but ``iota`` are linear, so each states its transpose; batching moves
the batch axis to the front and shifts the dimension params by one.

``expand_dims`` is the one primitive here that JAX does not have (JAX lowers
``lax.expand_dims`` to ``broadcast_in_dim``, and so does
:func:`expand_dims` below, so traced programs match JAX's); the primitive
exists so that hand-written canonical IR can use it.
"""

from __future__ import annotations

import builtins
import itertools
import math
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, get_aval
from frankenjax_ref.core.params import DTYPE, INT, INTS, NONE_ONLY, OPT_INTS, PADDING_CONFIG, Param
from frankenjax_ref.core.primitive import Primitive, abstract_eval_rules, impl_rules, lax_function
from frankenjax_ref.errors import PrimitiveError
from frankenjax_ref.interpreters.ad_util import zeros_like_aval
from frankenjax_ref.interpreters.batching import batch_rules, bdim_at_front
from frankenjax_ref.interpreters.core import bind_normalized
from frankenjax_ref.interpreters.jvp import defjvp_zero, deflinear_jvp
from frankenjax_ref.interpreters.transpose import is_undefined_primal, transpose_rules
from frankenjax_ref.primitives._family import NUM, check_dtype, const_like, scalar_like


def _bad_shape(message: str) -> PrimitiveError:
    return PrimitiveError("FJ-PRIM-SHAPE", message)


def _check_axes(name: str, axes: tuple[int, ...], ndim: int) -> None:
    if any(a < 0 or a >= ndim for a in axes):
        raise _bad_shape(f"{name}: axes {axes} out of range for rank {ndim}")
    if len(set(axes)) != len(axes):
        raise _bad_shape(f"{name}: repeated axes {axes}")


def _shaped(x: ShapedArray, shape: tuple[int, ...]) -> ShapedArray:
    return ShapedArray(shape, x.dtype, x.weak_type)


def _front_batcher(prim: Primitive, shift: Any) -> None:
    """Batch a one-operand shape primitive: batch axis to the front, params shifted."""

    def batch(size: int, vals: list[Any], dims: list[int | None], **params: Any) -> tuple[Any, int]:
        (x,), (d,) = vals, dims
        x = bdim_at_front(size, x, d)
        return bind_normalized(prim, [x], shift(size, get_aval(x), **params)), 0

    batch_rules[prim] = batch


# --- broadcast_in_dim ---------------------------------------------------------------------

broadcast_in_dim_p = Primitive(
    "broadcast_in_dim",
    {"shape": Param(INTS), "broadcast_dimensions": Param(INTS), "sharding": Param(NONE_ONLY, None)},
)


def _broadcast_in_dim_abstract_eval(
    x: ShapedArray, *, shape: tuple[int, ...], broadcast_dimensions: tuple[int, ...], sharding: None
) -> ShapedArray:
    if any(d < 0 for d in shape):
        raise _bad_shape(f"broadcast_in_dim: negative dimension in shape {shape}")
    if len(broadcast_dimensions) != x.ndim:
        raise _bad_shape(
            f"broadcast_in_dim: broadcast_dimensions {broadcast_dimensions} must have one entry per "
            f"operand dimension (operand rank {x.ndim})"
        )
    if any(b < 0 or b >= len(shape) for b in broadcast_dimensions):
        raise _bad_shape(
            f"broadcast_in_dim: broadcast_dimensions {broadcast_dimensions} out of range for {shape}"
        )
    if any(a >= b for a, b in itertools.pairwise(broadcast_dimensions)):
        raise _bad_shape(
            f"broadcast_in_dim: broadcast_dimensions {broadcast_dimensions} must be strictly increasing"
        )
    for i, b in enumerate(broadcast_dimensions):
        if x.shape[i] != 1 and x.shape[i] != shape[b]:
            raise _bad_shape(
                f"broadcast_in_dim: operand dimension {i} of size {x.shape[i]} cannot become {shape[b]}"
            )
    return _shaped(x, shape)


def _broadcast_in_dim_impl(
    x: Any, *, shape: tuple[int, ...], broadcast_dimensions: tuple[int, ...], sharding: None
) -> np.ndarray:
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for i, b in enumerate(broadcast_dimensions):
        expanded[b] = x.shape[i]
    return np.array(np.broadcast_to(x.reshape(expanded), shape))


abstract_eval_rules[broadcast_in_dim_p] = _broadcast_in_dim_abstract_eval
impl_rules[broadcast_in_dim_p] = _broadcast_in_dim_impl
deflinear_jvp(broadcast_in_dim_p)


def _broadcast_in_dim_transpose(
    ct: Any, x: Any, *, shape: tuple[int, ...], broadcast_dimensions: tuple[int, ...], sharding: None
) -> list[Any]:
    from frankenjax_ref.primitives.reductions import reduce_sum

    unit_dims = [i for i, s in enumerate(x.aval.shape) if s == 1]
    kept = {b for i, b in enumerate(broadcast_dimensions) if i not in unit_dims}
    axes = tuple(i for i in range(len(shape)) if i not in kept)
    summed = reduce_sum(ct, axes) if axes else ct
    return [reshape(summed, x.aval.shape)]


transpose_rules[broadcast_in_dim_p] = _broadcast_in_dim_transpose
_front_batcher(
    broadcast_in_dim_p,
    lambda size, x, shape, broadcast_dimensions, sharding: {
        "shape": (size, *shape),
        "broadcast_dimensions": (0, *(b + 1 for b in broadcast_dimensions)),
        "sharding": None,
    },
)


@lax_function
def broadcast_in_dim(x: Any, shape: tuple[int, ...], broadcast_dimensions: tuple[int, ...]) -> Any:
    return broadcast_in_dim_p.bind(x, shape=tuple(shape), broadcast_dimensions=tuple(broadcast_dimensions))


@lax_function
def broadcast(x: Any, sizes: tuple[int, ...]) -> Any:
    """Prepend dimensions of ``sizes`` (JAX's ``lax.broadcast``)."""
    ndim = get_aval(x).ndim
    shape = (*sizes, *get_aval(x).shape)
    return broadcast_in_dim(x, shape, tuple(range(len(sizes), len(sizes) + ndim)))


@lax_function
def full(shape: tuple[int, ...], fill_value: Any, dtype: Any, weak_type: bool = False) -> Any:
    """``fill_value`` broadcast to ``shape``; ``weak_type`` makes the result weakly typed (JAX's
    ``full_like`` of a weak value, ``zeros_like`` of a weak aval), which shows once staged."""
    d = dtypes.canonicalize(dtype)
    value: Any = np.asarray(fill_value, dtype=d)
    if weak_type:
        from frankenjax_ref.primitives.conversion import convert_element_type

        value = convert_element_type(value, d, weak_type=True)
    return broadcast_in_dim(value, tuple(shape), ()) if shape else value


# --- reshape ----------------------------------------------------------------------------------

reshape_p = Primitive(
    "reshape",
    {"new_sizes": Param(INTS), "dimensions": Param(OPT_INTS, None), "sharding": Param(NONE_ONLY, None)},
)


def _reshape_abstract_eval(
    x: ShapedArray, *, new_sizes: tuple[int, ...], dimensions: tuple[int, ...] | None, sharding: None
) -> ShapedArray:
    if any(d < 0 for d in new_sizes):
        raise _bad_shape(f"reshape: negative dimension in new_sizes {new_sizes}")
    if math.prod(new_sizes) != x.size:
        raise _bad_shape(f"reshape: cannot reshape {x.shape} ({x.size} elements) to {new_sizes}")
    if dimensions is not None and sorted(dimensions) != list(range(x.ndim)):
        raise _bad_shape(f"reshape: dimensions {dimensions} is not a permutation of the operand's axes")
    return _shaped(x, new_sizes)


def _reshape_impl(
    x: Any, *, new_sizes: tuple[int, ...], dimensions: tuple[int, ...] | None, sharding: None
) -> np.ndarray:
    x = np.asarray(x)
    if dimensions is not None:
        x = np.transpose(x, dimensions)
    return np.array(x.reshape(new_sizes))


abstract_eval_rules[reshape_p] = _reshape_abstract_eval
impl_rules[reshape_p] = _reshape_impl
deflinear_jvp(reshape_p)


def _reshape_transpose(
    ct: Any, x: Any, *, new_sizes: tuple[int, ...], dimensions: tuple[int, ...] | None, sharding: None
) -> list[Any]:
    if dimensions is None:
        return [reshape(ct, x.aval.shape)]
    permuted = tuple(x.aval.shape[d] for d in dimensions)
    return [transpose(reshape(ct, permuted), tuple(np.argsort(dimensions)))]


transpose_rules[reshape_p] = _reshape_transpose


def _reshape_shift(
    size: int, x: ShapedArray, new_sizes: tuple[int, ...], dimensions: Any, sharding: None
) -> dict[str, Any]:
    dims = None if dimensions is None else (0, *(d + 1 for d in dimensions))
    return {"new_sizes": (size, *new_sizes), "dimensions": dims, "sharding": None}


_front_batcher(reshape_p, _reshape_shift)


@lax_function
def reshape(x: Any, new_sizes: tuple[int, ...], dimensions: tuple[int, ...] | None = None) -> Any:
    new_sizes = tuple(new_sizes)
    if dimensions is None and get_aval(x).shape == new_sizes:
        return x
    return reshape_p.bind(x, new_sizes=new_sizes, dimensions=dimensions)


# --- transpose --------------------------------------------------------------------------------

transpose_p = Primitive("transpose", {"permutation": Param(INTS)})


def _transpose_abstract_eval(x: ShapedArray, *, permutation: tuple[int, ...]) -> ShapedArray:
    if sorted(permutation) != list(range(x.ndim)):
        raise _bad_shape(f"transpose: permutation {permutation} is not a permutation of rank {x.ndim}")
    return _shaped(x, tuple(x.shape[p] for p in permutation))


abstract_eval_rules[transpose_p] = _transpose_abstract_eval
impl_rules[transpose_p] = lambda x, *, permutation: np.ascontiguousarray(
    np.transpose(np.asarray(x), permutation)
)
deflinear_jvp(transpose_p)
transpose_rules[transpose_p] = lambda ct, x, *, permutation: [transpose(ct, tuple(np.argsort(permutation)))]
_front_batcher(transpose_p, lambda size, x, permutation: {"permutation": (0, *(p + 1 for p in permutation))})


@lax_function
def transpose(x: Any, permutation: tuple[int, ...]) -> Any:
    return transpose_p.bind(x, permutation=tuple(int(p) for p in permutation))


# --- squeeze / expand_dims ------------------------------------------------------------------

squeeze_p = Primitive("squeeze", {"dimensions": Param(INTS)})


def _squeeze_abstract_eval(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    _check_axes("squeeze", dimensions, x.ndim)
    if any(x.shape[d] != 1 for d in dimensions):
        raise _bad_shape(f"squeeze: dimensions {dimensions} of shape {x.shape} are not all of size 1")
    return _shaped(x, tuple(s for i, s in enumerate(x.shape) if i not in dimensions))


abstract_eval_rules[squeeze_p] = _squeeze_abstract_eval
impl_rules[squeeze_p] = lambda x, *, dimensions: np.array(np.squeeze(np.asarray(x), axis=dimensions))
deflinear_jvp(squeeze_p)
transpose_rules[squeeze_p] = lambda ct, x, *, dimensions: [reshape(ct, x.aval.shape)]
_front_batcher(squeeze_p, lambda size, x, dimensions: {"dimensions": tuple(d + 1 for d in dimensions)})


@lax_function
def squeeze(x: Any, dimensions: tuple[int, ...]) -> Any:
    ndim = get_aval(x).ndim
    return squeeze_p.bind(x, dimensions=tuple(sorted(d % ndim if ndim else d for d in dimensions)))


expand_dims_p = Primitive("expand_dims", {"dimensions": Param(INTS)})


def _expand_dims_abstract_eval(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    out_ndim = x.ndim + len(dimensions)
    _check_axes("expand_dims", dimensions, out_ndim)
    shape = list(x.shape)
    for d in sorted(dimensions):
        shape.insert(d, 1)
    return _shaped(x, tuple(shape))


abstract_eval_rules[expand_dims_p] = _expand_dims_abstract_eval
impl_rules[expand_dims_p] = lambda x, *, dimensions: np.array(
    np.expand_dims(np.asarray(x), tuple(dimensions))
)
deflinear_jvp(expand_dims_p)
transpose_rules[expand_dims_p] = lambda ct, x, *, dimensions: [reshape(ct, x.aval.shape)]
_front_batcher(expand_dims_p, lambda size, x, dimensions: {"dimensions": tuple(d + 1 for d in dimensions)})


@lax_function
def expand_dims(x: Any, dimensions: tuple[int, ...]) -> Any:
    """Insert size-1 axes, as ``broadcast_in_dim`` (what JAX's lax.expand_dims emits)."""
    aval = get_aval(x)
    out_ndim = aval.ndim + len(dimensions)
    dims = sorted(d % out_ndim for d in dimensions)
    shape = list(aval.shape)
    for d in dims:
        shape.insert(d, 1)
    kept = tuple(i for i in range(out_ndim) if i not in dims)
    return broadcast_in_dim(x, tuple(shape), kept)


# --- concatenate ------------------------------------------------------------------------------

concatenate_p = Primitive("concatenate", {"dimension": Param(INT)})


def _concatenate_abstract_eval(*xs: ShapedArray, dimension: int) -> ShapedArray:
    if not xs:
        raise PrimitiveError("FJ-PRIM-PARAM", "concatenate needs at least one operand")
    ndim = xs[0].ndim
    if not 0 <= dimension < ndim:
        raise _bad_shape(f"concatenate: dimension {dimension} out of range for rank {ndim}")
    if any(x.dtype != xs[0].dtype for x in xs):
        raise PrimitiveError("FJ-PRIM-DTYPE", "concatenate operands must have the same dtype")
    for x in xs:
        if x.ndim != ndim or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape, strict=True)) if i != dimension
        ):
            raise _bad_shape(
                f"concatenate: shapes {[x.shape for x in xs]} differ outside dimension {dimension}"
            )
    shape = list(xs[0].shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(tuple(shape), xs[0].dtype, all(x.weak_type for x in xs))


abstract_eval_rules[concatenate_p] = _concatenate_abstract_eval
impl_rules[concatenate_p] = lambda *xs, dimension: np.concatenate([np.asarray(x) for x in xs], axis=dimension)
deflinear_jvp(concatenate_p)


def _concatenate_transpose(ct: Any, *xs: Any, dimension: int) -> list[Any]:
    out: list[Any] = []
    start = 0
    ct_shape = get_aval(ct).shape
    for x in xs:
        size = (x.aval if is_undefined_primal(x) else get_aval(x)).shape[dimension]
        if is_undefined_primal(x):
            starts = [0] * len(ct_shape)
            limits = list(ct_shape)
            starts[dimension], limits[dimension] = start, start + size
            out.append(slice(ct, tuple(starts), tuple(limits)))
        else:
            out.append(None)
        start += size
    return out


transpose_rules[concatenate_p] = _concatenate_transpose


def _concatenate_batch(
    size: int, vals: list[Any], dims: list[int | None], *, dimension: int
) -> tuple[Any, int]:
    xs = [bdim_at_front(size, v, d) for v, d in zip(vals, dims, strict=True)]
    return concatenate_p.bind(*xs, dimension=dimension + 1), 0


batch_rules[concatenate_p] = _concatenate_batch


@lax_function
def concatenate(xs: list[Any], dimension: int) -> Any:
    return concatenate_p.bind(*xs, dimension=dimension)


# --- slice --------------------------------------------------------------------------------------

slice_p = Primitive(
    "slice", {"start_indices": Param(INTS), "limit_indices": Param(INTS), "strides": Param(OPT_INTS, None)}
)


def _slice_abstract_eval(
    x: ShapedArray,
    *,
    start_indices: tuple[int, ...],
    limit_indices: tuple[int, ...],
    strides: tuple[int, ...] | None,
) -> ShapedArray:
    steps = strides if strides is not None else (1,) * x.ndim
    if not len(start_indices) == len(limit_indices) == len(steps) == x.ndim:
        raise _bad_shape(f"slice: start/limit/strides must each have {x.ndim} entries")
    shape = []
    for d, (s, l, st) in enumerate(zip(start_indices, limit_indices, steps, strict=True)):
        if not 0 <= s <= l <= x.shape[d]:
            raise _bad_shape(f"slice: indices [{s}:{l}] invalid for dimension {d} of size {x.shape[d]}")
        if st < 1:
            raise _bad_shape(f"slice: strides must be positive, got {st}")
        shape.append(0 if l == s else (l - s - 1) // st + 1)
    return _shaped(x, tuple(shape))


def _slice_impl(
    x: Any, *, start_indices: tuple[int, ...], limit_indices: tuple[int, ...], strides: tuple[int, ...] | None
) -> np.ndarray:
    steps = strides if strides is not None else (1,) * len(start_indices)
    index = tuple(
        builtins.slice(s, l, st) for s, l, st in zip(start_indices, limit_indices, steps, strict=True)
    )
    return np.array(np.asarray(x)[index])


abstract_eval_rules[slice_p] = _slice_abstract_eval
impl_rules[slice_p] = _slice_impl
deflinear_jvp(slice_p)


def _slice_transpose(
    ct: Any,
    x: Any,
    *,
    start_indices: tuple[int, ...],
    limit_indices: tuple[int, ...],
    strides: tuple[int, ...] | None,
) -> list[Any]:
    shape = x.aval.shape
    ct_shape = get_aval(ct).shape
    if strides is None or all(s == 1 for s in strides):
        config = tuple((s, d - l, 0) for s, l, d in zip(start_indices, limit_indices, shape, strict=True))
    else:
        real_limits = [
            s + (0 if n == 0 else 1 + (n - 1) * st)
            for s, n, st in zip(start_indices, ct_shape, strides, strict=True)
        ]
        config = tuple(
            (s, d - rl, st - 1)
            for s, rl, d, st in zip(start_indices, real_limits, shape, strides, strict=True)
        )
    return [pad(ct, const_like(ct, 0), config)]  # JAX: lax._const(out_ct, 0)


transpose_rules[slice_p] = _slice_transpose
_front_batcher(
    slice_p,
    lambda size, x, start_indices, limit_indices, strides: {
        "start_indices": (0, *start_indices),
        "limit_indices": (size, *limit_indices),
        "strides": None if strides is None else (1, *strides),
    },
)


@lax_function
def slice(x: Any, start_indices: tuple[int, ...], limit_indices: tuple[int, ...], strides: Any = None) -> Any:
    return slice_p.bind(
        x,
        start_indices=tuple(start_indices),
        limit_indices=tuple(limit_indices),
        strides=None if strides is None else tuple(strides),
    )


# --- pad ------------------------------------------------------------------------------------------

pad_p = Primitive("pad", {"padding_config": Param(PADDING_CONFIG)})


def _pad_abstract_eval(
    x: ShapedArray, padding_value: ShapedArray, *, padding_config: tuple[tuple[int, int, int], ...]
) -> ShapedArray:
    if padding_value.shape:
        raise _bad_shape("pad: padding_value must be a scalar")
    if padding_value.dtype != x.dtype:
        raise PrimitiveError("FJ-PRIM-DTYPE", "pad: operand and padding_value must have the same dtype")
    if len(padding_config) != x.ndim:
        raise _bad_shape(f"pad: padding_config has {len(padding_config)} entries for rank {x.ndim}")
    shape = []
    for d, (lo, hi, interior) in zip(x.shape, padding_config, strict=True):
        if interior < 0:
            raise _bad_shape(f"pad: interior padding must be non-negative, got {interior}")
        size = lo + hi + d + max(d - 1, 0) * interior
        if size < 0:
            raise _bad_shape(f"pad: padding_config {padding_config} gives a negative dimension")
        shape.append(size)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type and padding_value.weak_type)


def _pad_impl(x: Any, padding_value: Any, *, padding_config: tuple[tuple[int, int, int], ...]) -> np.ndarray:
    x = np.asarray(x)
    value = np.asarray(padding_value, dtype=x.dtype)
    # interior padding first
    inner_shape = tuple(d + max(d - 1, 0) * i for d, (_, _, i) in zip(x.shape, padding_config, strict=True))
    inner = np.full(inner_shape, value, dtype=x.dtype)
    inner[tuple(builtins.slice(None, None, i + 1) for _, _, i in padding_config)] = x
    # then edges: positive pads add, negative pads crop
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi, _ in padding_config]
    out = (
        np.pad(inner, widths, mode="constant", constant_values=value)
        if any(any(w) for w in widths)
        else inner
    )
    crop = tuple(
        builtins.slice(max(-lo, 0), out.shape[k] - max(-hi, 0))
        for k, (lo, hi, _) in enumerate(padding_config)
    )
    return np.array(out[crop])


abstract_eval_rules[pad_p] = _pad_abstract_eval
impl_rules[pad_p] = _pad_impl
deflinear_jvp(pad_p)


def _pad_transpose(
    ct: Any, x: Any, padding_value: Any, *, padding_config: tuple[tuple[int, int, int], ...]
) -> list[Any]:
    from frankenjax_ref.primitives.elementwise import sub
    from frankenjax_ref.primitives.reductions import reduce_sum

    ct_aval = get_aval(ct)
    unpad = tuple((-lo, -hi, 0) for lo, hi, _ in padding_config)
    unpadded = pad(ct, np.zeros((), ct_aval.dtype), unpad)  # JAX: np.array(0., t.dtype)
    t_operand = slice(
        unpadded,
        (0,) * ct_aval.ndim,
        get_aval(unpadded).shape,
        tuple(i + 1 for _, _, i in padding_config),
    )
    all_axes = tuple(range(ct_aval.ndim))
    t_value = (
        sub(reduce_sum(ct, all_axes), reduce_sum(t_operand, all_axes))
        if is_undefined_primal(padding_value)
        else None
    )
    return [t_operand if is_undefined_primal(x) else None, t_value]


transpose_rules[pad_p] = _pad_transpose


def _pad_batch(
    size: int, vals: list[Any], dims: list[int | None], *, padding_config: tuple[tuple[int, int, int], ...]
) -> tuple[Any, int]:
    from frankenjax_ref.primitives.logic import select

    x, value = vals
    x_d, value_d = dims
    x = bdim_at_front(size, x, x_d)
    config = ((0, 0, 0), *padding_config)
    if value_d is None:
        return pad(x, value, config), 0
    value = bdim_at_front(size, value, value_d)
    x_aval = get_aval(x)
    padded = pad(x, scalar_like(x, 0), config)
    mask = pad(full(x_aval.shape, True, dtypes.bool_), np.asarray(False), config)
    values = broadcast_in_dim(value, get_aval(padded).shape, (0,))
    return select(mask, padded, values), 0


batch_rules[pad_p] = _pad_batch


@lax_function
def pad(x: Any, padding_value: Any, padding_config: Any) -> Any:
    return pad_p.bind(
        x, padding_value, padding_config=tuple(tuple(int(v) for v in c) for c in padding_config)
    )


# --- rev ----------------------------------------------------------------------------------------------

rev_p = Primitive("rev", {"dimensions": Param(INTS)})


def _rev_abstract_eval(x: ShapedArray, *, dimensions: tuple[int, ...]) -> ShapedArray:
    _check_axes("rev", dimensions, x.ndim)
    return x


abstract_eval_rules[rev_p] = _rev_abstract_eval
impl_rules[rev_p] = lambda x, *, dimensions: (
    np.array(np.flip(np.asarray(x), dimensions)) if dimensions else np.array(x)
)
deflinear_jvp(rev_p)
transpose_rules[rev_p] = lambda ct, x, *, dimensions: [rev(ct, dimensions)]
_front_batcher(rev_p, lambda size, x, dimensions: {"dimensions": tuple(d + 1 for d in dimensions)})


@lax_function
def rev(x: Any, dimensions: tuple[int, ...]) -> Any:
    return rev_p.bind(x, dimensions=tuple(dimensions))


# --- iota ----------------------------------------------------------------------------------------------

iota_p = Primitive(
    "iota",
    {
        "dtype": Param(DTYPE),
        "shape": Param(INTS),
        "dimension": Param(INT),
        "sharding": Param(NONE_ONLY, None),
    },
)


def _iota_abstract_eval(
    *, dtype: np.dtype, shape: tuple[int, ...], dimension: int, sharding: None
) -> ShapedArray:
    check_dtype("iota", ShapedArray((), dtype), NUM, what="result")
    if any(d < 0 for d in shape):
        raise _bad_shape(f"iota: negative dimension in shape {shape}")
    if not 0 <= dimension < len(shape):
        raise _bad_shape(
            f"iota dimension must be between 0 and len(shape), got dimension={dimension} for shape={shape}"
        )
    return ShapedArray(tuple(shape), dtype, False)


def _iota_impl(*, dtype: np.dtype, shape: tuple[int, ...], dimension: int, sharding: None) -> np.ndarray:
    line = np.arange(shape[dimension]).astype(dtype)
    view = [1] * len(shape)
    view[dimension] = shape[dimension]
    return np.array(np.broadcast_to(line.reshape(view), shape))


abstract_eval_rules[iota_p] = _iota_abstract_eval
impl_rules[iota_p] = _iota_impl
# iota takes no operands, so no transform ever sees it with a tracer input;
# its JVP is zero and its (never batched) batch rule just re-binds it.
defjvp_zero(iota_p)
batch_rules[iota_p] = lambda size, vals, dims, **params: (bind_normalized(iota_p, [], params), None)


@lax_function
def iota(dtype: Any, size: int) -> Any:
    return iota_p.bind(dtype=dtype, shape=(size,), dimension=0)


@lax_function
def broadcasted_iota(dtype: Any, shape: tuple[int, ...], dimension: int) -> Any:
    return iota_p.bind(dtype=dtype, shape=tuple(shape), dimension=dimension)


@lax_function
def zeros_like(x: Any) -> Any:
    return zeros_like_aval(get_aval(x))
