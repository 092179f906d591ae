"""The legacy oracle: real JAX, and the only package of the project that imports it.

* :func:`from_jax` — a ``jax.make_jaxpr`` result as a canonical
  :class:`~frankenjax_ref.core.ir.ClosedJaxpr` (see :mod:`harness.oracle.convert`
  for every conversion rule: literals, consts, weak types, nested ``jit``,
  ``pjit``, ``custom_jvp_call`` / ``custom_vjp_call``, dropped params);
* :func:`to_jax` — canonical IR back to a JAX callable binding lax primitives;
* :func:`run_stack` — JAX running a flat program under a transform stack
  (the same :func:`frankenjax_ref.dispatch.apply_stack` code the reference
  uses, with the ``jax`` namespace);
* :func:`load_jax` / :func:`jax_available` / :func:`init_worker` — importing
  JAX once per process with ``jax_enable_x64`` on.

Nothing here imports ``jax`` at module import time: ``fjh --help`` and the
analytical fallback work without it. Setting ``FJH_SIMULATE_NO_JAX=1``
makes :func:`load_jax` behave exactly as if JAX were not installed (the
tests of the fallback path use it rather than uninstalling JAX).
"""

from __future__ import annotations

from typing import Any

from harness.oracle._loader import (
    NO_JAX_ENV,
    OracleError,
    init_worker,
    jax_available,
    jax_versions,
    load_jax,
)

__all__ = [
    "NO_JAX_ENV",
    "OracleError",
    "from_jax",
    "init_worker",
    "jax_available",
    "jax_versions",
    "load_jax",
    "run_stack",
    "to_jax",
]


def from_jax(closed_jaxpr: Any, *, check: bool = True) -> Any:
    """See :func:`harness.oracle.convert.from_jax`."""
    from harness.oracle.convert import from_jax as impl

    return impl(closed_jaxpr, check=check)


def to_jax(closed: Any) -> Any:
    """See :func:`harness.oracle.convert.to_jax`."""
    from harness.oracle.convert import to_jax as impl

    return impl(closed)


def run_stack(fn: Any, stack: Any, args: Any, n_in: int | None = None) -> Any:
    """See :func:`harness.oracle.run.run_stack`."""
    from harness.oracle.run import run_stack as impl

    return impl(fn, stack, args, n_in)
