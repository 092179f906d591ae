"""Named programs the scenarios trace (the code is here; logs name a program and its arguments).

A log cannot hold Python code, so a scenario that traces a program records
the program's *name* and arguments; a replay traces the same named program
again and must reproduce the same canonical IR (its fingerprint is among the
logged outputs). Each program is written against ``frankenjax_ref.numpy``
and ``frankenjax_ref.lax`` the way a JAX user writes against ``jax.numpy``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.e2e.model import E2EError


def _square(x: Any) -> Any:
    return x * x


def _sin_x_times_x(x: Any) -> Any:
    import frankenjax_ref.numpy as fnp

    return fnp.sum(fnp.sin(x) * x)


def _mlp_loss(w: Any, b: Any, x: Any) -> Any:
    import frankenjax_ref.numpy as fnp

    hidden = fnp.tanh(fnp.dot(x, w) + b)
    return fnp.sum(hidden * hidden)


def _rank2_features(m: Any) -> Any:
    import frankenjax_ref.numpy as fnp

    return fnp.sum(fnp.sin(m) * m + fnp.exp(-m * m), axis=0)


def _rank2_energy(m: Any) -> Any:
    import frankenjax_ref.numpy as fnp

    return fnp.sum(fnp.tanh(m) * m)


def _softmax_xent(logits: Any, onehot: Any) -> Any:
    import frankenjax_ref.numpy as fnp

    shifted = logits - fnp.max(logits)
    logz = fnp.log(fnp.sum(fnp.exp(shifted)))
    return -fnp.sum(onehot * (shifted - logz))


PROGRAMS: dict[str, Callable[..., Any]] = {
    "square": _square,
    "sin_x_times_x": _sin_x_times_x,
    "mlp_loss": _mlp_loss,
    "rank2_features": _rank2_features,
    "rank2_energy": _rank2_energy,
    "softmax_xent": _softmax_xent,
}


def program(name: str) -> Callable[..., Any]:
    try:
        return PROGRAMS[name]
    except KeyError:
        raise E2EError("FJ-E2E-LOG", f"unknown program {name!r}", hint=f"known: {sorted(PROGRAMS)}") from None


def trace(name: str, args: list[Any]) -> Any:
    """``make_jaxpr`` of the named program at ``args``."""
    import frankenjax_ref as fj

    return fj.make_jaxpr(program(name))(*args)


def chain_program(n: int) -> Callable[[Any], Any]:
    """A chain of ``n`` equations: (sin, mul by a constant, add x) repeated, then reduce_sum.

    ``n - 1`` elementwise equations plus the final reduction; the same
    shape as ``scripts/bench_transforms.py``'s chain, so figures compare.
    """
    import numpy as np

    from frankenjax_ref import lax

    body = n - 1
    scale = np.float64(1.0001)

    def f(x: Any) -> Any:
        y = x
        for _ in range(body // 3):
            y = lax.sin(y)
            y = lax.mul(y, scale)
            y = lax.add(y, x)
        for _ in range(body - 3 * (body // 3)):
            y = lax.sin(y)
        return lax.reduce_sum(y, (0,))

    return f


def chain_reference(n: int, x: Any) -> tuple[Any, Any]:
    """NumPy, eager: the chain's value and its derivative by the chain rule (independent of the reference)."""
    import numpy as np

    body = n - 1
    y, dy = x.copy(), np.ones_like(x)
    for _ in range(body // 3):
        dy = np.cos(y) * dy * 1.0001 + 1.0
        y = np.sin(y) * 1.0001 + x
    for _ in range(body - 3 * (body // 3)):
        dy = np.cos(y) * dy
        y = np.sin(y)
    return np.sum(y), dy
