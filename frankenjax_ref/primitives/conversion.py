"""``convert_element_type``, ``copy`` and ``stop_gradient``.

Conversions follow XLA on CPU, which NumPy's ``astype`` does not: float to
integer truncates toward zero and *saturates* (NaN becomes 0, out-of-range
values clamp to the integer type's range); complex to real keeps the real
part; anything to bool is ``x != 0`` (``real(x) != 0`` for complex).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, get_aval
from frankenjax_ref.core.params import BOOL, DTYPE, NONE_ONLY, Param
from frankenjax_ref.core.primitive import Primitive, abstract_eval_rules, impl_rules, lax_function
from frankenjax_ref.errors import PrimitiveError
from frankenjax_ref.interpreters.ad_util import Zero
from frankenjax_ref.interpreters.batching import defvectorized
from frankenjax_ref.interpreters.jvp import defjvp2, deflinear_jvp, jvp_rules
from frankenjax_ref.interpreters.transpose import transpose_rules
from frankenjax_ref.primitives._family import ANY, check_dtype

convert_element_type_p = Primitive(
    "convert_element_type",
    {"new_dtype": Param(DTYPE), "weak_type": Param(BOOL, False), "sharding": Param(NONE_ONLY, None)},
)


def _convert_abstract_eval(
    x: ShapedArray, *, new_dtype: np.dtype, weak_type: bool, sharding: None
) -> ShapedArray:
    check_dtype("convert_element_type", x, ANY)
    if new_dtype == dtypes.float0:
        raise PrimitiveError("FJ-PRIM-DTYPE", "convert_element_type cannot convert to float0")
    return ShapedArray(x.shape, new_dtype, weak_type)


def convert_array(x: Any, new_dtype: np.dtype) -> np.ndarray:
    """XLA's conversion semantics on a NumPy array."""
    x = np.asarray(x)
    old = x.dtype
    if old == new_dtype:
        return x.copy()
    with np.errstate(all="ignore"):
        if dtypes.is_complex(old) and not dtypes.is_complex(new_dtype):
            x = np.real(x)  # before the bool test too: complex -> bool is real(x) != 0, as XLA
            old = x.dtype
        if new_dtype == dtypes.bool_:
            return np.not_equal(x, 0)
        if dtypes.is_integer(new_dtype) and dtypes.is_inexact(old):
            info = np.iinfo(new_dtype)
            wide = np.trunc(x.astype(np.float64))
            wide = np.where(np.isnan(wide), 0.0, wide)
            out = np.empty(wide.shape, new_dtype)
            # compare in float64 against the exact bounds; values past them saturate
            too_big = wide >= float(info.max)
            too_small = wide <= float(info.min)
            middle = np.where(too_big | too_small, 0.0, wide)
            out[...] = middle.astype(new_dtype)
            out[too_big] = info.max
            out[too_small] = info.min
            return out
        return x.astype(new_dtype)


def _convert_impl(x: Any, *, new_dtype: np.dtype, weak_type: bool, sharding: None) -> np.ndarray:
    return convert_array(x, new_dtype)


abstract_eval_rules[convert_element_type_p] = _convert_abstract_eval
impl_rules[convert_element_type_p] = _convert_impl
defvectorized(convert_element_type_p)


def _convert_jvp(g: Any, ans: Any, x: Any, *, new_dtype: np.dtype, weak_type: bool, sharding: None) -> Any:
    tangent_dtype = dtypes.tangent_dtype(new_dtype)
    if tangent_dtype == dtypes.float0:
        return Zero.from_primal(ans)
    return convert_element_type_p.bind(g, new_dtype=tangent_dtype, weak_type=weak_type, sharding=None)


defjvp2(convert_element_type_p, _convert_jvp)


def _convert_transpose(ct: Any, x: Any, *, new_dtype: np.dtype, weak_type: bool, sharding: None) -> list[Any]:
    old = x.aval.dtype
    if dtypes.tangent_dtype(old) == dtypes.float0:
        return [Zero(x.aval.update(dtype=dtypes.float0, weak_type=False))]
    return [convert_element_type_p.bind(ct, new_dtype=old, weak_type=x.aval.weak_type, sharding=None)]


transpose_rules[convert_element_type_p] = _convert_transpose


@lax_function
def convert_element_type(x: Any, new_dtype: Any, weak_type: bool = False) -> Any:
    """``x`` as ``new_dtype`` (weakly typed if ``weak_type``); ``x`` itself when it already is (JAX's
    ``_convert_element_type`` binds nothing then)."""
    aval = get_aval(x)
    if (aval.dtype, aval.weak_type) == (
        dtypes.canonicalize(new_dtype),
        weak_type,
    ) and not dtypes.is_python_scalar(x):
        return x
    return convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type, sharding=None)


# --- copy ----------------------------------------------------------------------------

copy_p = Primitive("copy")
abstract_eval_rules[copy_p] = lambda x: x
impl_rules[copy_p] = lambda x: np.array(x, copy=True)
defvectorized(copy_p)
deflinear_jvp(copy_p)
transpose_rules[copy_p] = lambda ct, x: [copy_p.bind(ct)]


@lax_function
def copy(x: Any) -> Any:
    return copy_p.bind(x)


# --- stop_gradient ----------------------------------------------------------------------

stop_gradient_p = Primitive("stop_gradient")
abstract_eval_rules[stop_gradient_p] = lambda x: x
impl_rules[stop_gradient_p] = lambda x: np.asarray(x)
defvectorized(stop_gradient_p)


def _stop_gradient_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    (x,) = primals
    # bind again so that outer JVP traces are peeled off too
    return stop_gradient(x), Zero(
        get_aval(x).update(dtype=dtypes.tangent_dtype(get_aval(x).dtype), weak_type=False)
    )


jvp_rules[stop_gradient_p] = _stop_gradient_jvp


@lax_function
def stop_gradient(x: Any) -> Any:
    return stop_gradient_p.bind(x)
