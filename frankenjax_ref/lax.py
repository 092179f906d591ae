"""``frankenjax_ref.lax``: JAX's ``jax.lax`` names and signatures, binding reference primitives.

No type promotion happens here, exactly as in ``jax.lax``: binary operations
require operands of one dtype (a Python scalar counts as a weakly typed
int64/float64/complex128). Use :mod:`frankenjax_ref.numpy` for NumPy-style
promotion and broadcasting.

Nothing is listed by hand: every family module marks the wrapper it writes
beside a primitive's rules with :func:`~frankenjax_ref.core.primitive.lax_function`,
and this module exports exactly those (so adding a primitive never touches it).
The lookup is lazy (a module ``__getattr__``), which also keeps the family
modules free to use each other's wrappers without import cycles.
"""

from __future__ import annotations

from typing import Any

from frankenjax_ref.core.primitive import LAX_FUNCTIONS


def _registered() -> dict[str, Any]:
    import frankenjax_ref.primitives  # noqa: F401  (registers every family and its lax functions)
    from frankenjax_ref.primitives.jit import jit_p

    return {**LAX_FUNCTIONS, "jit_p": jit_p}


def __getattr__(name: str) -> Any:
    """``lax.<name>``: the registered lax function of that name (``__all__``: all of their names)."""
    if name == "__all__":
        return sorted(_registered())
    found = _registered().get(name)
    if found is None:
        raise AttributeError(f"module 'frankenjax_ref.lax' has no attribute {name!r}")
    globals()[name] = found  # later lookups are plain attribute reads
    return found


def __dir__() -> list[str]:
    return sorted({*globals(), *_registered()})
