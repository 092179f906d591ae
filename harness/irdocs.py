"""Builders for hand-written ``frankenjax.ir.v1`` documents (seed corpora, near misses, tests).

Writing IR JSON by hand is how the fuzz seeds and the negative tests reach
documents no tracer would produce; these helpers keep that JSON short, and
:func:`base_doc` is the one small valid document both start from.
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


def base_doc() -> dict[str, Any]:
    """A small valid document written by hand: a const, a weak literal, a jit and a literal outvar."""
    inner = {
        "jaxpr": {
            "constvars": [],
            "invars": [binder("x", "float64", [3])],
            "equations": [eqn("sin", [{"var": "x"}], [binder("y", "float64", [3])], {"accuracy": None})],
            "outvars": [{"var": "y"}],
        },
        "consts": [],
    }
    return {
        "schema": "frankenjax.ir.v1",
        "jaxpr": {
            "constvars": [binder("c", "float64", [3])],
            "invars": [binder("a", "float64", [3]), binder("b", "float64", [], True)],
            "equations": [
                eqn(
                    "mul",
                    [{"var": "a"}, lit("float64", 2.0, True)],
                    [binder("d", "float64", [3])],
                    {"out_dtype": None},
                ),
                eqn("add", [{"var": "d"}, {"var": "c"}], [binder("e", "float64", [3])]),
                eqn(
                    "jit", [{"var": "e"}], [binder("f", "float64", [3])], {"name": "inner"}, {"jaxpr": inner}
                ),
            ],
            "outvars": [{"var": "f"}, {"var": "b"}, lit("int32", 7)],
        },
        "consts": [{"dtype": "float64", "shape": [3], "data": [1.0, "nan", -0.0]}],
    }
