"""Helpers shared by primitive families (JAX's ``standard_unop``/``naryop``).

A family helper declares a primitive and fills the rules every member of the
family shares: the abstract evaluation (dtype check, lax broadcasting, the
"all inputs weak" weak-type rule) and the batching rule. The member then adds
only what is its own: the NumPy impl and the JVP, right below its declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, get_aval
from frankenjax_ref.core.params import Param
from frankenjax_ref.core.primitive import Primitive, abstract_eval_rules, impl_rules
from frankenjax_ref.errors import PrimitiveError
from frankenjax_ref.interpreters.batching import defbroadcasting, defvectorized

BOOL = (dtypes.bool_,)
SIGNED = dtypes.SIGNED
INT = dtypes.INTEGER
FLOAT = dtypes.FLOATING
COMPLEX = dtypes.COMPLEX
NUM = INT + FLOAT + COMPLEX
ANY = BOOL + NUM
BOOL_OR_INT = BOOL + INT
ORDERED = BOOL + INT + FLOAT
INEXACT = FLOAT + COMPLEX

_HALF = (dtypes.bfloat16, dtypes.float16)


def check_dtype(name: str, aval: ShapedArray, accepted: Sequence[np.dtype], what: str = "operand") -> None:
    if aval.dtype not in accepted:
        names = ", ".join(dtypes.short_name(d) for d in accepted)
        raise PrimitiveError(
            "FJ-PRIM-DTYPE",
            f"{name} does not accept {what} dtype {dtypes.name_of(aval.dtype)} (accepts {names})",
        )


def broadcasting_shape(name: str, avals: Sequence[ShapedArray]) -> tuple[int, ...]:
    """Lax's elementwise shape rule: equal ranks with size-1 broadcasting; rank-0 operands fit any."""
    shapes = [a.shape for a in avals if a.shape]
    if not shapes:
        return ()
    if len({len(s) for s in shapes}) != 1:
        raise PrimitiveError(
            "FJ-PRIM-SHAPE",
            f"{name}: arrays must have the same number of dimensions, got {', '.join(map(str, shapes))}",
        )
    out = []
    for dims in zip(*shapes, strict=True):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise PrimitiveError(
                "FJ-PRIM-SHAPE", f"{name}: incompatible shapes {', '.join(map(str, shapes))}"
            )
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def all_weak(avals: Sequence[ShapedArray]) -> bool:
    return all(a.weak_type for a in avals)


def standard_unop(
    name: str,
    accepted: Sequence[np.dtype],
    *,
    params: dict[str, Param] | None = None,
    out_dtype: Callable[[np.dtype], np.dtype] | None = None,
) -> Primitive:
    """A unary elementwise primitive: same shape, dtype from ``out_dtype`` (default: same)."""
    prim = Primitive(name, params)

    def abstract_eval(x: ShapedArray, **_: Any) -> ShapedArray:
        check_dtype(name, x, accepted)
        return ShapedArray(x.shape, out_dtype(x.dtype) if out_dtype else x.dtype, x.weak_type)

    abstract_eval_rules[prim] = abstract_eval
    defvectorized(prim)
    return prim


def standard_naryop(
    name: str,
    accepted: Sequence[Sequence[np.dtype]],
    *,
    params: dict[str, Param] | None = None,
    out_dtype: Callable[..., np.dtype] | None = None,
    require_same_dtypes: bool = True,
) -> Primitive:
    """An n-ary elementwise primitive with lax broadcasting."""
    prim = Primitive(name, params)

    def abstract_eval(*avals: ShapedArray, **_: Any) -> ShapedArray:
        if len(avals) != len(accepted):
            raise PrimitiveError("FJ-PRIM-PARAM", f"{name} takes {len(accepted)} operands, got {len(avals)}")
        for i, (aval, ok) in enumerate(zip(avals, accepted, strict=True)):
            check_dtype(name, aval, ok, what=f"operand {i}")
        if require_same_dtypes and len({a.dtype for a in avals}) > 1:
            got = ", ".join(dtypes.name_of(a.dtype) for a in avals)
            raise PrimitiveError(
                "FJ-PRIM-DTYPE", f"{name} requires arguments to have the same dtypes, got {got}"
            )
        shape = broadcasting_shape(name, avals)
        dtype = out_dtype(*(a.dtype for a in avals)) if out_dtype else avals[0].dtype
        return ShapedArray(shape, dtype, all_weak(avals))

    abstract_eval_rules[prim] = abstract_eval
    defbroadcasting(prim)
    return prim


# --- NumPy impls -----------------------------------------------------------------


def _widen(x: np.ndarray) -> np.ndarray:
    """Compute 16-bit floats in float32, as XLA's CPU backend does."""
    return x.astype(np.float32) if x.dtype in _HALF else x


def unary_impl(fn: Callable[[np.ndarray], Any]) -> Callable[..., np.ndarray]:
    """An impl applying ``fn`` elementwise, computing 16-bit floats in float32."""

    def impl(x: Any, **_: Any) -> np.ndarray:
        x = np.asarray(x)
        with np.errstate(all="ignore"):  # overflow to inf when rounding back to 16 bits is the answer
            out = np.asarray(fn(_widen(x)))
            return out.astype(x.dtype, copy=False) if out.dtype != x.dtype and x.dtype in _HALF else out

    return impl


def binary_impl(fn: Callable[[np.ndarray, np.ndarray], Any]) -> Callable[..., np.ndarray]:
    """An impl of a same-dtype binary op, computing 16-bit floats in float32."""

    def impl(x: Any, y: Any, **_: Any) -> np.ndarray:
        x, y = np.asarray(x), np.asarray(y)
        with np.errstate(all="ignore"):
            out = np.asarray(fn(_widen(x), _widen(y)))
            return out.astype(x.dtype, copy=False) if x.dtype in _HALF and out.dtype != np.bool_ else out

    return impl


def def_impl(prim: Primitive, impl: Callable[..., Any]) -> None:
    impl_rules[prim] = impl


_PYTHON_SCALAR_OF = {dtypes.int64: int, dtypes.float64: float, dtypes.complex128: complex}


def scalar_like(x: Any, value: Any) -> Any:
    """``value`` as a scalar of ``x``'s dtype *and weak type* (JAX's ``full_like(x, value, shape=())``,
    its ``_one``/``_zero``): rules that use it keep a weak operand's tangents weak."""
    aval = get_aval(x)
    if not aval.weak_type:
        return np.asarray(value, dtype=aval.dtype)
    scalar_type = _PYTHON_SCALAR_OF.get(aval.dtype)
    if scalar_type is not None:
        return scalar_type(value)
    from frankenjax_ref.primitives.conversion import convert_element_type

    return convert_element_type(np.asarray(value, dtype=aval.dtype), aval.dtype, weak_type=True)


def const_like(x: Any, value: Any) -> Any:
    """A constant with the dtype of ``x`` (JAX's ``_const``): a Python scalar -- weakly typed, so it
    does not make a result strong -- when ``x`` is a weakly typed scalar of its kind's default dtype,
    else a strong 0-d NumPy constant."""
    aval = get_aval(x)
    scalar_type = _PYTHON_SCALAR_OF.get(aval.dtype)
    if aval.weak_type and not aval.shape and scalar_type is not None:
        return scalar_type(value)
    return np.asarray(value, dtype=aval.dtype)
