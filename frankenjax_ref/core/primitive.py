"""Primitives and the two rule tables every primitive must fill.

A :class:`Primitive` is a name, its declared params and whether it returns
several results. What it *does* lives in tables keyed by primitive, as in
JAX: :data:`impl_rules` (NumPy) and :data:`abstract_eval_rules` here, and
the transform tables beside their interpreters (``jvp_rules``,
``transpose_rules``, ``batch_rules``). A missing entry is a missing rule,
reported as :class:`~frankenjax_ref.errors.RuleMissingError` naming both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from frankenjax_ref.core.avals import ShapedArray
from frankenjax_ref.core.params import Param, normalize_params
from frankenjax_ref.errors import RuleMissingError


class Primitive:
    """A named operation. Primitives are registered in :data:`PRIMITIVES` by name."""

    __slots__ = ("multiple_results", "name", "params", "sub_jaxprs")

    def __init__(
        self,
        name: str,
        params: dict[str, Param] | None = None,
        *,
        multiple_results: bool = False,
        sub_jaxprs: Sequence[str] = (),
    ):
        if name in PRIMITIVES:
            raise ValueError(f"primitive {name!r} registered twice")
        self.name = name
        self.params = dict(params or {})
        self.multiple_results = multiple_results
        self.sub_jaxprs = tuple(sub_jaxprs)
        PRIMITIVES[name] = self

    def __repr__(self) -> str:
        return self.name

    def normalize_params(self, params: dict[str, Any]) -> dict[str, Any]:
        plain = {k: v for k, v in params.items() if k not in self.sub_jaxprs}
        out = normalize_params(self.name, self.params, plain)
        for key in self.sub_jaxprs:
            if key not in params:
                from frankenjax_ref.errors import PrimitiveError

                raise PrimitiveError("FJ-PRIM-PARAM", f"{self.name}: missing sub-jaxpr {key!r}")
            out[key] = params[key]
        return out

    def bind(self, *args: Any, **params: Any) -> Any:
        """Apply the primitive under whatever transforms are active."""
        from frankenjax_ref.interpreters.core import bind

        return bind(self, *args, **params)


PRIMITIVES: dict[str, Primitive] = {}

ImplRule = Callable[..., Any]
AbstractEvalRule = Callable[..., ShapedArray | Sequence[ShapedArray]]

impl_rules: dict[Primitive, ImplRule] = {}
abstract_eval_rules: dict[Primitive, AbstractEvalRule] = {}


def rule(table: dict[Primitive, Any], prim: Primitive, table_name: str) -> Any:
    """Look up ``prim`` in ``table``; a miss is a typed error naming both."""
    found = table.get(prim)
    if found is None:
        raise RuleMissingError(prim.name, table_name)
    return found


def abstract_eval(prim: Primitive, avals: Sequence[ShapedArray], params: dict[str, Any]) -> list[ShapedArray]:
    """Output avals as a list, whether or not the primitive has multiple results."""
    out = rule(abstract_eval_rules, prim, "abstract_eval")(*avals, **params)
    return list(out) if prim.multiple_results else [out]


#: ``frankenjax_ref.lax``'s functions, by their lax name: each family module marks the wrapper written
#: beside its primitive's rules with :func:`lax_function`, so ``lax`` is derived from the registry.
LAX_FUNCTIONS: dict[str, Callable[..., Any]] = {}

_F = TypeVar("_F", bound=Callable[..., Any])


def lax_function(fn_or_name: Any = None) -> Any:
    """Export a wrapper as ``frankenjax_ref.lax.<name>`` (``@lax_function`` or ``@lax_function("max")``
    for a wrapper whose Python name avoids a builtin)."""

    def register(fn: _F, name: str) -> _F:
        if name in LAX_FUNCTIONS and LAX_FUNCTIONS[name] is not fn:
            raise ValueError(f"lax function {name!r} registered twice")
        LAX_FUNCTIONS[name] = fn
        return fn

    if callable(fn_or_name):
        return register(fn_or_name, fn_or_name.__name__)
    return lambda fn: register(fn, fn_or_name or fn.__name__)


def lookup(name: str) -> Primitive:
    """The registered primitive called ``name`` (primitive families are imported first)."""
    import frankenjax_ref.primitives  # noqa: F401  (registers every family)

    prim = PRIMITIVES.get(name)
    if prim is None:
        from frankenjax_ref.errors import IRError

        raise IRError("FJ-IR-UNKNOWN-PRIMITIVE", f"unknown primitive {name!r}")
    return prim
