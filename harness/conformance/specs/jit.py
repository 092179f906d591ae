"""Case spec of ``frankenjax_ref/primitives/jit.py``: ``jit``, a primitive whose param is a jaxpr.

The body, ``x sin(x)`` (``x * x`` for integers), is written once against a lax namespace: traced by
the reference into the ``jaxpr`` param, and jitted by JAX for the comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray
from harness.conformance.specs.model import Arg, Variant, spec


def body(lax: Any) -> Callable[[Any], Any]:
    """``x sin(x)`` for inexact ``x``, ``x * x`` otherwise, written with ``lax``'s functions."""
    return lambda x: lax.mul(lax.sin(x) if dtypes.is_inexact(np.dtype(x.dtype)) else x, x)


def trace(fn: Callable[..., Any], avals: Sequence[ShapedArray]) -> Any:
    """The reference's ``make_jaxpr`` of ``fn`` at exactly ``avals`` (weak types included)."""
    import types

    import frankenjax_ref as fj

    return fj.make_jaxpr(fn)(*(types.SimpleNamespace(aval=a) for a in avals))


def _jit_jaxprs(dtype: np.dtype, avals: Sequence[ShapedArray]) -> dict[str, Any]:
    import frankenjax_ref.lax as flax

    return {"jaxpr": trace(body(flax), avals)}


SPECS = [
    spec(
        "jit",
        Variant("", (Arg(),), {"name": "body"}, _jit_jaxprs, edge=None),
        tier="elementary",
        jax_fn=lambda ns, params: lambda x: ns.api.jit(body(ns.lax))(x),
        no_catalog="higher-order: covered by programs with nested jit (comp.nested_jit, jnp helpers)",
        seed=None,
    ),
]
