"""``dot_general``: contraction with batch dimensions, and its rules (ported from JAX).

The result's dimensions are ordered: batch dims, then the lhs's free dims,
then the rhs's free dims. The result dtype follows XLA's "higher precision
type" choice between operands, upcast to ``preferred_element_type``. Booleans
contract to an OR of ANDs (or count, with a numeric preferred type).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, get_aval
from frankenjax_ref.core.params import DIMENSION_NUMBERS, NONE_ONLY, OPT_DTYPE, PRECISION, Param
from frankenjax_ref.core.primitive import Primitive, abstract_eval_rules, impl_rules, lax_function
from frankenjax_ref.errors import PrimitiveError
from frankenjax_ref.interpreters.batching import batch_rules
from frankenjax_ref.interpreters.jvp import defjvp
from frankenjax_ref.interpreters.transpose import is_undefined_primal, transpose_rules
from frankenjax_ref.primitives._family import ANY, check_dtype
from frankenjax_ref.primitives.conversion import convert_array, convert_element_type
from frankenjax_ref.primitives.shape import transpose

DimensionNumbers = tuple[tuple[tuple[int, ...], tuple[int, ...]], tuple[tuple[int, ...], tuple[int, ...]]]

dot_general_p = Primitive(
    "dot_general",
    {
        "dimension_numbers": Param(DIMENSION_NUMBERS),
        "precision": Param(PRECISION, None),
        "preferred_element_type": Param(OPT_DTYPE, None),
        "out_sharding": Param(NONE_ONLY, None),
    },
)


def _remaining(ndim: int, *removed: tuple[int, ...]) -> list[int]:
    gone = set(itertools.chain(*removed))
    return [i for i in range(ndim) if i not in gone]


def _check_dims(lhs: ShapedArray, rhs: ShapedArray, dn: DimensionNumbers) -> tuple[int, ...]:
    (lc, rc), (lb, rb) = dn

    def bad(msg: str) -> PrimitiveError:
        return PrimitiveError("FJ-PRIM-SHAPE", f"dot_general {msg} (lhs {lhs.shape}, rhs {rhs.shape}, {dn})")

    if len(lc) != len(rc) or len(lb) != len(rb):
        raise bad("requires equal numbers of contracting and batch dimensions on both sides")
    for side, ndim, dims in (("lhs", lhs.ndim, (*lc, *lb)), ("rhs", rhs.ndim, (*rc, *rb))):
        if any(d < 0 or d >= ndim for d in dims):
            raise bad(f"{side} dimension numbers out of range")
        if len(set(dims)) != len(dims):
            raise bad(f"{side} contracting and batch dimensions must be distinct")
    if any(lhs.shape[a] != rhs.shape[b] for a, b in zip(lb, rb, strict=True)):
        raise bad("requires batch dimensions of equal sizes")
    if any(lhs.shape[a] != rhs.shape[b] for a, b in zip(lc, rc, strict=True)):
        raise bad("requires contracting dimensions of equal sizes")
    batch = tuple(lhs.shape[d] for d in lb)
    lhs_free = tuple(lhs.shape[d] for d in _remaining(lhs.ndim, lc, lb))
    rhs_free = tuple(rhs.shape[d] for d in _remaining(rhs.ndim, rc, rb))
    return batch + lhs_free + rhs_free


def _type_properties(d: np.dtype) -> tuple[bool, int, int, int, bool]:
    c = dtypes.real_dtype(d)
    floating = dtypes.is_float(c)
    info = dtypes.finfo(c) if floating else None
    bits = info.bits if info is not None else (1 if c == dtypes.bool_ else np.iinfo(c).bits)
    return (
        dtypes.is_complex(d),
        info.maxexp if info is not None else -1,
        info.nmant if info is not None else -1,
        bits,
        not dtypes.is_unsigned(c),
    )


def dot_result_dtype(lhs: np.dtype, rhs: np.dtype, preferred: np.dtype | None) -> np.dtype:
    lp, rp = _type_properties(lhs), _type_properties(rhs)
    if lp > rp:
        result = lhs
    elif rp > lp:
        result = rhs
    elif lhs != rhs:
        raise PrimitiveError("FJ-PRIM-DTYPE", f"dot_general argument type error: {lhs}, {rhs}")
    else:
        result = lhs
    if preferred is None or preferred == result:
        return result
    if not dtypes.is_float(result) and _type_properties(preferred)[3] < _type_properties(result)[3]:
        raise PrimitiveError(
            "FJ-PRIM-DTYPE", f"preferred_element_type {preferred} must not be narrower than {result}"
        )
    return preferred


def _dot_general_abstract_eval(
    lhs: ShapedArray,
    rhs: ShapedArray,
    *,
    dimension_numbers: DimensionNumbers,
    precision: Any,
    preferred_element_type: np.dtype | None,
    out_sharding: None,
) -> ShapedArray:
    check_dtype("dot_general", lhs, ANY, what="lhs")
    check_dtype("dot_general", rhs, ANY, what="rhs")
    shape = _check_dims(lhs, rhs, dimension_numbers)
    dtype = dot_result_dtype(lhs.dtype, rhs.dtype, preferred_element_type)
    return ShapedArray(shape, dtype, lhs.weak_type and rhs.weak_type)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum_spec(lhs_ndim: int, rhs_ndim: int, dn: DimensionNumbers) -> str:
    (lc, rc), (lb, rb) = dn
    letters = iter(_LETTERS)
    lhs = [""] * lhs_ndim
    rhs = [""] * rhs_ndim
    for a, b in zip(lb, rb, strict=True):
        lhs[a] = rhs[b] = next(letters)
    for a, b in zip(lc, rc, strict=True):
        lhs[a] = rhs[b] = next(letters)
    lhs_free = [i for i in range(lhs_ndim) if not lhs[i]]
    rhs_free = [i for i in range(rhs_ndim) if not rhs[i]]
    for i in lhs_free:
        lhs[i] = next(letters)
    for i in rhs_free:
        rhs[i] = next(letters)
    out = [lhs[a] for a in lb] + [lhs[i] for i in lhs_free] + [rhs[i] for i in rhs_free]
    return f"{''.join(lhs)},{''.join(rhs)}->{''.join(out)}"


def _dot_general_impl(
    lhs: Any,
    rhs: Any,
    *,
    dimension_numbers: DimensionNumbers,
    precision: Any,
    preferred_element_type: np.dtype | None,
    out_sharding: None,
) -> np.ndarray:
    lhs, rhs = np.asarray(lhs), np.asarray(rhs)
    natural = dot_result_dtype(lhs.dtype, rhs.dtype, None)
    out_dtype = dot_result_dtype(lhs.dtype, rhs.dtype, preferred_element_type)
    # XLA contracts in the preferred type, except that a preferred type that cannot hold the
    # operands' values (integers or bool for floats, a real type for complex) only converts the
    # result: f32 [1.5, 2.5] . [2, 2] with preferred int64 is 8, not 6.
    lossy = dtypes.is_inexact(natural) and (
        not dtypes.is_inexact(out_dtype) or (dtypes.is_complex(natural) and not dtypes.is_complex(out_dtype))
    )
    acc = natural if lossy else out_dtype
    # 16-bit floats accumulate in float32; booleans count (an OR of ANDs once compared with 0)
    compute = _COMPUTE_DTYPE.get(acc, acc)
    a, b = convert_array(lhs, compute), convert_array(rhs, compute)
    with np.errstate(all="ignore"):
        if dimension_numbers[0][0]:
            out = np.einsum(
                einsum_spec(lhs.ndim, rhs.ndim, dimension_numbers), a, b, dtype=compute, optimize=False
            )
        else:
            out = _outer_product(a, b, dimension_numbers)
    return convert_array(convert_array(out, acc), out_dtype)


def _outer_product(lhs: np.ndarray, rhs: np.ndarray, dn: DimensionNumbers) -> np.ndarray:
    """``dot_general`` without contracting dimensions: a plain product, as XLA computes it.

    (An einsum would add each product to a zero accumulator and turn ``-0.0`` into ``+0.0``.)
    """
    (_, _), (lb, rb) = dn
    l_free = _remaining(lhs.ndim, lb)
    r_free = _remaining(rhs.ndim, rb)
    lt = np.transpose(lhs, (*lb, *l_free))
    rt = np.transpose(rhs, (*rb, *r_free))
    batch = lt.shape[: len(lb)]
    lt = lt.reshape(batch + lt.shape[len(lb) :] + (1,) * len(r_free))
    rt = rt.reshape(batch + (1,) * len(l_free) + rt.shape[len(rb) :])
    return lt * rt


_COMPUTE_DTYPE = {dtypes.bfloat16: dtypes.float32, dtypes.float16: dtypes.float32, dtypes.bool_: dtypes.int64}


abstract_eval_rules[dot_general_p] = _dot_general_abstract_eval
impl_rules[dot_general_p] = _dot_general_impl


# --- JVP and transpose (JAX's _dot_general_transpose_lhs/rhs) --------------------------------

defjvp(
    dot_general_p,
    lambda g, x, y, **params: dot_general_p.bind(g, y, **params),
    lambda g, x, y, **params: dot_general_p.bind(x, g, **params),
)


def _ranges_like(*xs: Any) -> list[list[int]]:
    out, start = [], 0
    for x in xs:
        out.append(list(range(start, start + len(x))))
        start += len(x)
    return out


def _transpose_lhs(
    g: Any,
    x_aval: ShapedArray,
    y: Any,
    dn: DimensionNumbers,
    precision: Any,
    preferred: Any,
    swap_ans: bool = False,
) -> Any:
    (x_contract, y_contract), (x_batch, y_batch) = dn
    y_ndim = get_aval(y).ndim if not is_undefined_primal(y) else y.aval.ndim
    x_kept = _remaining(x_aval.ndim, x_contract, x_batch)
    y_kept = _remaining(y_ndim, y_contract, y_batch)
    if swap_ans:
        ans_batch, ans_y, _ = _ranges_like(x_batch, y_kept, x_kept)
    else:
        ans_batch, _, ans_y = _ranges_like(x_batch, x_kept, y_kept)
    dims = ((tuple(ans_y), tuple(y_kept)), (tuple(ans_batch), tuple(y_batch)))
    x_contract_sorted_by_y = [x_contract[i] for i in np.argsort(y_contract)]
    unsorted_axes = list(x_batch) + x_kept + x_contract_sorted_by_y
    out_axes = tuple(int(i) for i in np.argsort(unsorted_axes))
    out = dot_general_p.bind(
        g, y, dimension_numbers=dims, precision=precision, preferred_element_type=preferred, out_sharding=None
    )
    x_bar = transpose(out, out_axes)
    if get_aval(x_bar).dtype != x_aval.dtype:
        x_bar = convert_element_type(x_bar, x_aval.dtype, x_aval.weak_type)
    return x_bar


def _dot_general_transpose(
    ct: Any,
    x: Any,
    y: Any,
    *,
    dimension_numbers: DimensionNumbers,
    precision: Any,
    preferred_element_type: Any,
    out_sharding: None,
) -> list[Any]:
    if is_undefined_primal(x) and is_undefined_primal(y):
        raise PrimitiveError("FJ-PRIM-PARAM", "dot_general is not linear in both operands at once")
    if is_undefined_primal(x):
        return [_transpose_lhs(ct, x.aval, y, dimension_numbers, precision, preferred_element_type), None]
    (x_contract, y_contract), (x_batch, y_batch) = dimension_numbers
    swapped = ((y_contract, x_contract), (y_batch, x_batch))
    return [None, _transpose_lhs(ct, y.aval, x, swapped, precision, preferred_element_type, swap_ans=True)]


transpose_rules[dot_general_p] = _dot_general_transpose


# --- batching (JAX's _dot_general_batch_dim_nums) -------------------------------------------------


def _bump(dims: tuple[int, ...], b: int) -> tuple[int, ...]:
    return tuple(d + (d >= b) for d in dims)


def batch_dimension_numbers(
    ndims: tuple[int, int], bdims: tuple[int | None, int | None], dn: DimensionNumbers
) -> tuple[DimensionNumbers, int]:
    lhs_ndim, rhs_ndim = ndims
    lbd, rbd = bdims
    (lc, rc), (lb, rb) = dn
    if lbd is not None and rbd is not None:
        lb, rb = (lbd, *_bump(lb, lbd)), (rbd, *_bump(rb, rbd))
        lc, rc = _bump(lc, lbd), _bump(rc, rbd)
        result = 0
    elif lbd is not None:
        lhs_tensor = [d for d in range(lhs_ndim) if d not in lb and d not in lc]
        result = len(lb) + sum(d < lbd for d in lhs_tensor)
        lb, lc = _bump(lb, lbd), _bump(lc, lbd)
    else:
        assert rbd is not None
        rhs_tensor = _remaining(rhs_ndim, rb, rc)
        result = lhs_ndim - len(lc) + sum(d < rbd for d in rhs_tensor)
        rb, rc = _bump(rb, rbd), _bump(rc, rbd)
    return ((lc, rc), (lb, rb)), result


def _dot_general_batch(size: int, vals: list[Any], dims: list[int | None], **params: Any) -> tuple[Any, int]:
    lhs, rhs = vals
    lbd, rbd = dims
    lhs_ndim = get_aval(lhs).ndim - (lbd is not None)
    rhs_ndim = get_aval(rhs).ndim - (rbd is not None)
    new_dn, out_dim = batch_dimension_numbers((lhs_ndim, rhs_ndim), (lbd, rbd), params["dimension_numbers"])
    return dot_general_p.bind(lhs, rhs, **{**params, "dimension_numbers": new_dn}), out_dim


batch_rules[dot_general_p] = _dot_general_batch


@lax_function
def dot_general(
    lhs: Any, rhs: Any, dimension_numbers: Any, precision: Any = None, preferred_element_type: Any = None
) -> Any:
    return dot_general_p.bind(
        lhs,
        rhs,
        dimension_numbers=dimension_numbers,
        precision=precision,
        preferred_element_type=preferred_element_type,
    )


@lax_function
def dot(lhs: Any, rhs: Any, precision: Any = None, preferred_element_type: Any = None) -> Any:
    """Vector/matrix dot products as ``dot_general`` (JAX's ``lax.dot``)."""
    lhs_ndim, rhs_ndim = get_aval(lhs).ndim, get_aval(rhs).ndim
    if not (1 <= lhs_ndim <= 2 and 1 <= rhs_ndim <= 2):
        raise PrimitiveError(
            "FJ-PRIM-SHAPE", f"dot requires rank 1 or 2 operands, got {lhs_ndim} and {rhs_ndim}"
        )
    dims = (((lhs_ndim - 1,), (0,)), ((), ()))
    return dot_general(lhs, rhs, dims, precision=precision, preferred_element_type=preferred_element_type)
