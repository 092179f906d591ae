"""Transform stacks as data, with the short slugs used in case ids.

A stack is stored as :func:`frankenjax_ref.dispatch.stack_to_json` writes it
(outermost first, every param explicit), so the reference parses it back with
``stack_from_json`` and applies it with the same code as JAX.
"""

from __future__ import annotations

from typing import Any

#: Transforms whose outputs are derivatives (compared with the ``composite`` tier).
DERIVATIVE = frozenset({"grad", "value_and_grad", "jvp", "vjp", "jacfwd", "jacrev", "hessian"})


def stack(*entries: str | tuple[str, dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """``stack("vmap", ("grad", {"argnums": (0, 1)}))`` as validated JSON entries."""
    from frankenjax_ref.dispatch import make_transform

    out = []
    for e in entries:
        name, params = (e, {}) if isinstance(e, str) else e
        out.append(make_transform(name, params).to_json())
    return tuple(out)


def is_derivative(entries: tuple[dict[str, Any], ...]) -> bool:
    return any(e["transform"] in DERIVATIVE for e in entries)


def signature(entries: tuple[dict[str, Any], ...]) -> str:
    text = "f"
    for t in reversed(entries):
        text = f"{t['transform']}({text})"
    return text
