"""JAX as the namespace catalog programs are written against (:mod:`harness.conformance.catalog.programs`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from harness.oracle._loader import OracleError, load_jax


@functools.cache
def jax_namespace() -> Any:
    """``jnp``, ``lax``, ``nn``, ``api`` (the ``jax`` module) and ``bind`` for JAX."""
    jax = load_jax()
    import jax.numpy as jnp

    from harness.oracle.convert import JAX_DEFAULT_PARAMS, NOT_JAX_PRIMITIVES, _jax_param, jax_primitives

    def bind(name: str, params: dict[str, Any]) -> Callable[..., Any]:
        from frankenjax_ref.core.primitive import lookup

        jprim = jax_primitives().get(name)
        if jprim is None or name in NOT_JAX_PRIMITIVES:
            raise OracleError("FJ-ORACLE-UNSUPPORTED", f"'{name}' is not a JAX primitive")
        prim = lookup(name)
        jparams = {k: _jax_param(jax, prim, k, v) for k, v in params.items()}
        jparams.update({k: v for k, v in JAX_DEFAULT_PARAMS.get(name, {}).items() if k not in jparams})

        def apply(*xs: Any) -> Any:
            out = jprim.bind(*(jnp.asarray(x) if not hasattr(x, "aval") else x for x in xs), **jparams)
            return list(out) if jprim.multiple_results else out

        return apply

    return SimpleNamespace(name="jax", jnp=jnp, lax=jax.lax, nn=jax.nn, api=jax, bind=bind)
