"""Running JAX under a transform stack, with the reference's own stack code.

:func:`run_stack` applies ``stack`` to a flat program with
:func:`frankenjax_ref.dispatch.apply_stack`, passing the ``jax`` module as
the namespace, so JAX and the reference see the same layering and the same
flat calling conventions (jvp: primals then tangents; vjp: primals then
cotangents). Outputs come back as NumPy arrays, bit-exact.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from harness.oracle._loader import load_jax


def as_jax_value(x: np.ndarray) -> Any:
    """A case input as JAX wants it: float0 arrays stay NumPy (JAX's tangent type), the rest jnp."""
    jax = load_jax()
    arr = np.asarray(x)
    if arr.dtype == jax.dtypes.float0 or arr.dtype.names == ("float0",):
        return np.zeros(arr.shape, jax.dtypes.float0)
    return jax.numpy.asarray(arr)


def flat_outputs(out: Any) -> list[Any]:
    """A program's result (array, tuple, list, nested) as a flat list, in order."""
    if isinstance(out, (tuple, list)):
        return [leaf for item in out for leaf in flat_outputs(item)]
    if isinstance(out, dict):
        return [leaf for k in sorted(out) for leaf in flat_outputs(out[k])]
    return [out]


def to_numpy(x: Any) -> np.ndarray:
    """A JAX output as a NumPy array with JAX's dtype (float0 included)."""
    from frankenjax_ref.core import dtypes

    jax = load_jax()
    arr = np.asarray(x)
    if arr.dtype == jax.dtypes.float0:
        return np.zeros(arr.shape, dtypes.float0)
    return arr


def run_stack(
    fn: Callable[..., Any], stack: Sequence[Any], args: Sequence[np.ndarray], n_in: int | None = None
) -> list[np.ndarray]:
    """``apply_stack(jax, stack, fn)`` on ``args``; ``n_in`` is the program's own arity.

    ``n_in`` defaults to ``len(args)``, right for every stack whose
    transformed function takes the program's arguments (not jvp/vjp).
    """
    from frankenjax_ref.dispatch import apply_stack

    jax = load_jax()
    n = len(args) if n_in is None else n_in
    transformed = apply_stack(jax, list(stack), lambda *a: flat_outputs(fn(*a)), n)
    outs = transformed(*(as_jax_value(a) for a in args))
    return [to_numpy(o) for o in outs]
