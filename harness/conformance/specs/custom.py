"""Case specs of ``frankenjax_ref/primitives/custom.py``: custom_jvp_call, custom_vjp_call, custom_lin.

The function is the jit spec's body, ``x sin(x)`` (``x * x`` for integers); the custom rule is
``3 cos(x) t`` -- deliberately not the body's derivative, so a test can tell the custom rule from
differentiating the body. Each piece is written once against a lax namespace: traced by the
reference into the primitive's jaxpr params, and given to ``jax.custom_jvp`` / ``jax.custom_vjp``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray
from harness.conformance.specs.jit import body, trace
from harness.conformance.specs.model import Arg, PrimitiveSpec, Variant, spec


def _inexact(x: Any) -> bool:
    return dtypes.is_inexact(np.dtype(x.dtype))


def tangent(lax: Any, x: Any, t: Any) -> Any:
    """The custom jvp's tangent, ``3 cos(x) t`` (float0 zeros for integers)."""
    if not _inexact(x):
        return np.zeros(x.shape, dtypes.float0)
    return lax.mul(lax.mul(lax.cos(x), t), np.asarray(3, np.dtype(x.dtype)))


def residual(lax: Any, x: Any) -> Any:
    """The custom vjp's residual, ``cos(x)`` (``x`` for integers)."""
    return lax.cos(x) if _inexact(x) else x


def cotangent(lax: Any, r: Any, ct: Any) -> tuple[Any]:
    """The custom vjp's bwd, ``(3 cos(x) ct,)`` from the residual (float0 zeros for integers)."""
    if not _inexact(r):
        return (np.zeros(r.shape, dtypes.float0),)
    return (lax.mul(lax.mul(r, ct), np.asarray(3, np.dtype(r.dtype))),)


def custom_jvp_fn(ns: Any) -> Any:
    """The custom_jvp function, built with ``ns.api.custom_jvp`` (JAX's)."""
    f = ns.api.custom_jvp(body(ns.lax))
    f.defjvp(lambda primals, tangents: (body(ns.lax)(primals[0]), tangent(ns.lax, primals[0], tangents[0])))
    return f


def custom_vjp_fn(ns: Any) -> Any:
    """The custom_vjp function, built with ``ns.api.custom_vjp`` (JAX's)."""
    f = ns.api.custom_vjp(body(ns.lax))
    f.defvjp(lambda x: (body(ns.lax)(x), residual(ns.lax, x)), lambda r, ct: cotangent(ns.lax, r, ct))
    return f


def _custom_jvp_jaxprs(dtype: np.dtype, avals: Sequence[ShapedArray]) -> dict[str, Any]:
    import frankenjax_ref.lax as flax
    from frankenjax_ref.core.avals import tangent_aval

    (a,) = avals
    call = trace(body(flax), [a])
    rule = trace(lambda x, t: (body(flax)(x), tangent(flax, x, t)), [a, tangent_aval(a)])
    return {"call_jaxpr": call, "jvp_jaxpr": rule}


def _custom_vjp_jaxprs(a: ShapedArray) -> tuple[Any, Any, Any]:
    """call, fwd (residual then output: the reference's order) and bwd jaxprs at ``a``."""
    import frankenjax_ref.lax as flax
    from frankenjax_ref.core.avals import tangent_aval

    call = trace(body(flax), [a])
    fwd = trace(lambda x: (residual(flax, x), body(flax)(x)), [a])
    bwd = trace(lambda r, ct: cotangent(flax, r, ct), [fwd.out_avals[0], tangent_aval(call.out_avals[0])])
    return call, fwd, bwd


def _custom_vjp_call_jaxprs(dtype: np.dtype, avals: Sequence[ShapedArray]) -> dict[str, Any]:
    call, fwd, bwd = _custom_vjp_jaxprs(avals[0])
    return {"call_jaxpr": call, "fwd_jaxpr": fwd, "bwd_jaxpr": bwd}


def _custom_lin_jaxprs(dtype: np.dtype, avals: Sequence[ShapedArray]) -> dict[str, Any]:
    _, _, bwd = _custom_vjp_jaxprs(avals[0].update(weak_type=False))
    return {"bwd_jaxpr": bwd}


def _custom_call(name: str, jaxprs: Any, make: Any) -> PrimitiveSpec:
    """custom_jvp_call / custom_vjp_call: the function's body and rule jaxprs (``jaxprs``), compared with
    JAX's ``custom_jvp`` / ``custom_vjp`` function (``make(ns)``)."""
    return spec(
        name,
        Variant("", (Arg(),), {"num_consts": 0, "symbolic_zeros": False}, jaxprs, edge=None),
        tier="elementary",
        jax_fn=lambda ns, params: make(ns),
        no_catalog="higher-order: covered by the custom.* programs",
        seed=None,
    )


SPECS = [
    _custom_call("custom_jvp_call", _custom_jvp_jaxprs, custom_jvp_fn),
    _custom_call("custom_vjp_call", _custom_vjp_call_jaxprs, custom_vjp_fn),
    # custom_lin is what jvp of a custom_vjp function evaluates: JAX raises there, and so must the reference
    spec(
        "custom_lin",
        Variant(
            "",
            (Arg((2, 3)), Arg((2, 3))),
            {"num_res": 1},
            _custom_lin_jaxprs,
            dtypes=tuple(dtypes.name_of(d) for d in dtypes.INEXACT),
        ),
        jax_fn=lambda ns, params: lambda x, t: ns.api.jvp(custom_vjp_fn(ns), (x,), (t,))[1],
        jax_always_raises=True,
        reject_code="FJ-TRANSFORM-CUSTOM-VJP",
        no_catalog="internal to the reference's reverse mode of custom_vjp; never in a JAX program",
        seed=None,
    ),
]
