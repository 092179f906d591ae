"""FrankenJAX reference: JAX's transform semantics over a canonical IR, run with NumPy.

The public API is loaded lazily (PEP 562) so that importing a light
submodule such as :mod:`frankenjax_ref.errors` does not pull in NumPy.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    **{
        name: "frankenjax_ref.api"
        for name in (
            "jit",
            "grad",
            "value_and_grad",
            "vmap",
            "jvp",
            "vjp",
            "linearize",
            "jacfwd",
            "jacrev",
            "hessian",
            "make_jaxpr",
        )
    },
    "eval_jaxpr": "frankenjax_ref.interpreters.eval",
    "ClosedJaxpr": "frankenjax_ref.core.ir",
    "Jaxpr": "frankenjax_ref.core.ir",
    "ShapedArray": "frankenjax_ref.core.avals",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'frankenjax_ref' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
