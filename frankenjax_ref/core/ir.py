"""The IR: JAX's jaxpr, as plain immutable data.

* :class:`Var` — a binder with an aval; identity is the variable (names are
  given only when printing or serializing, so renaming never changes a
  program's fingerprint);
* :class:`Literal` — a typed scalar constant written inline;
* :class:`Equation` — ``outputs = primitive[params](inputs)``, where
  sub-programs (``jit``'s body) live in ``sub_jaxprs`` rather than params;
* :class:`Jaxpr` — constvars, invars, equations, outvars;
* :class:`ClosedJaxpr` — a jaxpr with the values of its constvars.

Sub-jaxprs are closed: they see only their own binders, exactly as in JAX.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from frankenjax_ref.core.avals import ShapedArray

if TYPE_CHECKING:
    from frankenjax_ref.core.primitive import Primitive


class Var:
    """A variable. Compared by identity; ``aval`` is its type."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    def __repr__(self) -> str:
        return f"Var(id={id(self) % 10007}, {self.aval.str_short()})"


class Literal:
    """An inline constant (JAX writes scalars inline: ``add a 2.0:f64[]``)."""

    __slots__ = ("aval", "value")

    def __init__(self, value: np.ndarray, aval: ShapedArray):
        self.value = value
        self.aval = aval

    def __repr__(self) -> str:
        return f"Literal({self.value!r}:{self.aval.str_short()})"


Atom = Var | Literal


@dataclass(frozen=True, eq=False)
class Equation:
    primitive: Primitive
    inputs: tuple[Atom, ...]
    outputs: tuple[Var, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    sub_jaxprs: Mapping[str, ClosedJaxpr] = field(default_factory=dict)

    @property
    def all_params(self) -> dict[str, Any]:
        """Params and sub-jaxprs together: what a rule receives as keywords."""
        return {**self.params, **self.sub_jaxprs}


@dataclass(frozen=True, eq=False)
class Jaxpr:
    constvars: tuple[Var, ...]
    invars: tuple[Var, ...]
    outvars: tuple[Atom, ...]
    equations: tuple[Equation, ...]

    @property
    def in_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.invars]

    @property
    def out_avals(self) -> list[ShapedArray]:
        return [v.aval for v in self.outvars]

    def walk(self) -> Iterator[Equation]:
        """Every equation, including those of nested sub-jaxprs (pre-order)."""
        for eqn in self.equations:
            yield eqn
            for sub in eqn.sub_jaxprs.values():
                yield from sub.jaxpr.walk()


@dataclass(frozen=True, eq=False)
class ClosedJaxpr:
    jaxpr: Jaxpr
    consts: tuple[Any, ...] = ()

    @property
    def in_avals(self) -> list[ShapedArray]:
        return self.jaxpr.in_avals

    @property
    def out_avals(self) -> list[ShapedArray]:
        return self.jaxpr.out_avals

    def __str__(self) -> str:
        from frankenjax_ref.core.pretty import pformat

        return pformat(self)

    def __repr__(self) -> str:
        return f"ClosedJaxpr(<{len(self.jaxpr.equations)} equations>)"


def split_params(params: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, ClosedJaxpr]]:
    """Separate sub-jaxprs (ClosedJaxpr values) from plain params."""
    plain = {k: v for k, v in params.items() if not isinstance(v, ClosedJaxpr)}
    subs = {k: v for k, v in params.items() if isinstance(v, ClosedJaxpr)}
    return plain, subs
