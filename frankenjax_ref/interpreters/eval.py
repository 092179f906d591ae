"""Evaluating a jaxpr: bind each equation in order.

Because evaluation goes through ``bind``, the same function interprets a
program on NumPy values, stages it under ``jit``, differentiates it under
``grad`` and batches it under ``vmap``. This is how the harness applies the
reference's transforms to programs loaded from canonical JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import get_aval
from frankenjax_ref.core.ir import Atom, ClosedJaxpr, Jaxpr, Literal, Var
from frankenjax_ref.errors import IRError, PrimitiveError
from frankenjax_ref.interpreters.core import Tracer, bind_eqn_list


def literal_value(lit: Literal) -> Any:
    """A literal's value, weakly typed if its aval is: a weak float64/int64/complex128 literal
    (``x * 2.0``) reads back as the Python scalar it was, so re-evaluating a jaxpr under a transform
    (jvp or vmap of a jit) keeps JAX's weak types; other weak literals are rebuilt weak."""
    if not lit.aval.weak_type:
        return lit.value
    if lit.aval.dtype in (dtypes.float64, dtypes.int64, dtypes.complex128):
        return np.asarray(lit.value).item()
    from frankenjax_ref.primitives.conversion import convert_element_type

    return convert_element_type(lit.value, lit.aval.dtype, weak_type=True)


def eval_jaxpr_raw(jaxpr: Jaxpr, consts: Sequence[Any], args: Sequence[Any]) -> list[Any]:
    """Evaluate without checking arguments (the interpreters' inner loop)."""
    env: dict[Var, Any] = {}

    def read(x: Atom) -> Any:
        return literal_value(x) if isinstance(x, Literal) else env[x]

    for v, val in zip(jaxpr.constvars, consts, strict=True):
        env[v] = val
    for v, val in zip(jaxpr.invars, args, strict=True):
        env[v] = val
    for eqn in jaxpr.equations:
        outs = bind_eqn_list(eqn.primitive, [read(x) for x in eqn.inputs], eqn.all_params)
        for v, val in zip(eqn.outputs, outs, strict=True):
            env[v] = val
    return [read(x) for x in jaxpr.outvars]


def check_args(closed: ClosedJaxpr, args: Sequence[Any]) -> None:
    """Arity, shape and dtype of ``args`` against the program's invars."""
    invars = closed.jaxpr.invars
    if len(args) != len(invars):
        raise IRError("FJ-IR-ARITY", f"program takes {len(invars)} arguments, got {len(args)}")
    for i, (var, arg) in enumerate(zip(invars, args, strict=True)):
        try:
            aval = get_aval(arg)
        except PrimitiveError as exc:
            raise IRError("FJ-IR-TYPE-MISMATCH", exc.message, where=f"argument {i}") from None
        if aval.shape != var.aval.shape or aval.dtype != var.aval.dtype:
            raise IRError(
                "FJ-IR-TYPE-MISMATCH",
                f"argument {i} is {aval.str_short()}, the program expects {var.aval.str_short()}",
                where=f"argument {i}",
            )


def eval_jaxpr(closed: ClosedJaxpr, *args: Any) -> list[Any]:
    """Evaluate ``closed`` on ``args``; works under every transform.

    Outside transforms the results are NumPy arrays of the declared dtypes.
    """
    check_args(closed, args)
    outs = eval_jaxpr_raw(closed.jaxpr, closed.consts, args)
    return [_as_declared(o, v.aval.dtype) for o, v in zip(outs, closed.jaxpr.outvars, strict=True)]


def _as_declared(value: Any, dtype: np.dtype) -> Any:
    if isinstance(value, Tracer):
        return value
    arr = np.asarray(value)
    if arr.dtype != dtype:
        # Only a bug in an impl rule gets here: the type checker fixed every dtype.
        raise RuntimeError(f"reference bug: produced {arr.dtype}, program declares {dtype}")
    return arr
