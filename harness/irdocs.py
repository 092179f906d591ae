"""Builders for hand-written ``frankenjax.ir.v1`` documents (seed corpora, near misses, tests).

Writing IR JSON by hand is how the fuzz seeds and the negative tests reach
documents no tracer would produce; these three helpers keep that JSON short.
"""

from __future__ import annotations

from typing import Any


def binder(name: str, dtype: str, shape: list[int], weak: bool = False) -> dict[str, Any]:
    """A binder: ``{"name", "aval": {"dtype", "shape", "weak_type"}}``."""
    return {"name": name, "aval": {"dtype": dtype, "shape": shape, "weak_type": weak}}


def lit(dtype: str, value: Any, weak: bool = False) -> dict[str, Any]:
    """A scalar literal atom."""
    return {"lit": {"dtype": dtype, "shape": [], "data": [value]}, "weak_type": weak}


def eqn(
    prim: str,
    inputs: list[Any],
    outputs: list[Any],
    params: dict[str, Any] | None = None,
    sub_jaxprs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An equation; ``params`` and ``sub_jaxprs`` default to empty (both are required keys)."""
    return {
        "primitive": prim,
        "inputs": inputs,
        "outputs": outputs,
        "params": params if params is not None else {},
        "sub_jaxprs": sub_jaxprs if sub_jaxprs is not None else {},
    }
