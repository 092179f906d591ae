"""Cross-checks against JAX (the legacy oracle), through ``harness.oracle`` only.

When JAX cannot be imported the check is not made and the log says so
(``jax_available: false`` among the observations), so a replay on a
machine with a different JAX situation shows up as a difference rather than
passing silently.
"""

from __future__ import annotations

from typing import Any

from harness.e2e.model import ScenarioContext


def _jax_or_none() -> Any:
    from harness.oracle import OracleError, load_jax

    try:
        return load_jax()
    except OracleError:
        return None


def order_check(ctx: ScenarioContext) -> dict[str, Any]:
    """JAX runs vmap(grad(f)) with the same values and rejects grad(vmap(f)) on the same IR."""
    import numpy as np

    from frankenjax_ref.dispatch import parse_stack

    jax = _jax_or_none()
    ctx.observe("jax_available", jax is not None)
    if jax is None:
        return {"jax": "unavailable: check not made"}
    from harness.oracle import run_stack, to_jax

    fn = to_jax(ctx.state["closed"])
    xb = ctx.inputs["batch"]
    jax_out = run_stack(fn, parse_stack("vmap(grad)"), [xb])[0]
    ctx.expect(
        "jax_vmap_grad_matches_reference",
        np.asarray(jax_out),
        ctx.state.get("vmap_grad_output", jax_out),
        _tolerance(),
    )
    try:
        run_stack(fn, parse_stack("grad(vmap)"), [xb])
    except Exception as exc:  # JAX raises TypeError for grad of a non-scalar
        rejected, message = True, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
    else:
        rejected, message = False, "JAX ran grad(vmap(f))"
    ctx.expect("jax_rejects_grad_of_vmap", True, rejected)
    ctx.expect("jax_rejection_is_nonscalar_grad", True, "scalar" in message)
    return {"jax_version": jax.__version__, "jax_grad_vmap": message}


def _tolerance() -> Any:
    from harness.e2e.values import Tolerance

    return Tolerance("allclose", atol=1e-12, rtol=1e-12)
