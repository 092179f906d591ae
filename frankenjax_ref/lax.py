"""``frankenjax_ref.lax``: JAX's ``jax.lax`` names and signatures, binding reference primitives.

No type promotion happens here, exactly as in ``jax.lax``: binary operations
require operands of one dtype (a Python scalar counts as a weakly typed
int64/float64/complex128). Use :mod:`frankenjax_ref.numpy` for NumPy-style
promotion and broadcasting.
"""

from __future__ import annotations

from typing import Any

from frankenjax_ref.primitives.conversion import convert_element_type, copy, stop_gradient
from frankenjax_ref.primitives.elementwise import (
    abs,
    acos,
    acosh,
    add,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cbrt,
    ceil,
    conj,
    cos,
    cosh,
    div,
    exp,
    exp2,
    expm1,
    floor,
    imag,
    integer_pow,
    is_finite,
    log,
    log1p,
    logistic,
    mul,
    neg,
    nextafter,
    real,
    rem,
    round,
    rsqrt,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    sub,
    tan,
    tanh,
)
from frankenjax_ref.primitives.elementwise import (
    complex_ as complex,
)
from frankenjax_ref.primitives.elementwise import (
    max_ as max,
)
from frankenjax_ref.primitives.elementwise import (
    min_ as min,
)
from frankenjax_ref.primitives.elementwise import (
    pow_ as pow,
)
from frankenjax_ref.primitives.jit import jit_p
from frankenjax_ref.primitives.linalg import dot_general
from frankenjax_ref.primitives.logic import (
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    clamp,
    eq,
    ge,
    gt,
    le,
    lt,
    ne,
    select,
    select_n,
)
from frankenjax_ref.primitives.reductions import (
    argmax,
    argmin,
    reduce_and,
    reduce_max,
    reduce_min,
    reduce_or,
    reduce_prod,
    reduce_sum,
)
from frankenjax_ref.primitives.shape import (
    broadcast,
    broadcast_in_dim,
    broadcasted_iota,
    concatenate,
    expand_dims,
    full,
    iota,
    pad,
    reshape,
    rev,
    slice,
    squeeze,
    transpose,
    zeros_like,
)


def dot(lhs: Any, rhs: Any, precision: Any = None, preferred_element_type: Any = None) -> Any:
    """Vector/matrix dot products as ``dot_general`` (JAX's ``lax.dot``)."""
    from frankenjax_ref.core.avals import get_aval

    lhs_ndim, rhs_ndim = get_aval(lhs).ndim, get_aval(rhs).ndim
    if not (1 <= lhs_ndim <= 2 and 1 <= rhs_ndim <= 2):
        from frankenjax_ref.errors import PrimitiveError

        raise PrimitiveError(
            "FJ-PRIM-SHAPE", f"dot requires rank 1 or 2 operands, got {lhs_ndim} and {rhs_ndim}"
        )
    dims = (((lhs_ndim - 1,), (0,)), ((), ()))
    return dot_general(lhs, rhs, dims, precision=precision, preferred_element_type=preferred_element_type)


def reciprocal(x: Any) -> Any:
    return integer_pow(x, -1)


__all__ = [
    "abs",
    "acos",
    "acosh",
    "add",
    "argmax",
    "argmin",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "broadcast",
    "broadcast_in_dim",
    "broadcasted_iota",
    "cbrt",
    "ceil",
    "clamp",
    "complex",
    "concatenate",
    "conj",
    "convert_element_type",
    "copy",
    "cos",
    "cosh",
    "div",
    "dot",
    "dot_general",
    "eq",
    "exp",
    "exp2",
    "expand_dims",
    "expm1",
    "floor",
    "full",
    "ge",
    "gt",
    "imag",
    "integer_pow",
    "iota",
    "is_finite",
    "jit_p",
    "le",
    "log",
    "log1p",
    "logistic",
    "lt",
    "max",
    "min",
    "mul",
    "ne",
    "neg",
    "nextafter",
    "pad",
    "pow",
    "real",
    "reciprocal",
    "reduce_and",
    "reduce_max",
    "reduce_min",
    "reduce_or",
    "reduce_prod",
    "reduce_sum",
    "rem",
    "reshape",
    "rev",
    "round",
    "rsqrt",
    "select",
    "select_n",
    "sign",
    "sin",
    "sinh",
    "slice",
    "sqrt",
    "square",
    "squeeze",
    "stop_gradient",
    "sub",
    "tan",
    "tanh",
    "transpose",
    "zeros_like",
]
