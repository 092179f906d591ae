"""Symbolic zeros and tangent addition, shared by JVP, transpose and batching.

A :class:`Zero` stands for an all-zero tangent or cotangent without
materializing it. It is what makes integer inputs work: their tangents are
``Zero`` of dtype ``float0`` and never meet arithmetic. ``add_any`` is JAX's
primitive for accumulating tangents and cotangents (it appears in JAX's
``grad`` jaxprs, so imported programs use it too).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, get_aval, tangent_aval
from frankenjax_ref.core.primitive import Primitive, abstract_eval_rules, impl_rules
from frankenjax_ref.errors import PrimitiveError


class Zero:
    """A symbolic zero of a given (tangent) aval."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Zero({self.aval.str_short()})"

    @staticmethod
    def from_primal(x: Any) -> Zero:
        return Zero(tangent_aval(get_aval(x)))


def is_zero(x: Any) -> bool:
    return type(x) is Zero


def zeros_like_aval(aval: ShapedArray) -> Any:
    """Materialize zeros of ``aval`` (staged when a trace is active)."""
    if aval.dtype == dtypes.float0:
        return np.zeros(aval.shape, dtypes.float0)
    from frankenjax_ref.primitives.shape import full

    return full(aval.shape, 0, aval.dtype, weak_type=aval.weak_type)


def instantiate(t: Any) -> Any:
    return zeros_like_aval(t.aval) if type(t) is Zero else t


add_any_p = Primitive("add_any")


def _add_any_impl(x: Any, y: Any) -> Any:
    if np.asarray(x).dtype == dtypes.float0:
        return np.zeros(np.broadcast_shapes(np.shape(x), np.shape(y)), dtypes.float0)
    return np.add(x, y)


def _add_any_abstract_eval(x: ShapedArray, y: ShapedArray) -> ShapedArray:
    if x.shape != y.shape or x.dtype != y.dtype:
        raise PrimitiveError(
            "FJ-PRIM-SHAPE", f"add_any requires equal types, got {x.str_short()} and {y.str_short()}"
        )
    return x  # JAX's add_jaxvals: the type of the first operand (weak type included)


impl_rules[add_any_p] = _add_any_impl
abstract_eval_rules[add_any_p] = _add_any_abstract_eval


def add_tangents(x: Any, y: Any) -> Any:
    """Sum two tangents, either of which may be a symbolic :class:`Zero`."""
    if type(x) is Zero:
        return y
    if type(y) is Zero:
        return x
    return add_any_p.bind(x, y)
