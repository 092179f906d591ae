"""The catalog's data: what a case is before capture.

A :class:`CaseSpec` is plain data (picklable, JSON-able through
:meth:`CaseSpec.to_json`): the program to trace (by name, with the program's
own arguments), the avals it is traced at, the transform stack, the stack's
input arrays, and the comparison policy. Workers rebuild the program from
its name, so nothing callable crosses a process boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Operand:
    """One program input at trace time: shape and dtype name (strong type)."""

    shape: tuple[int, ...]
    dtype: str

    def to_json(self) -> dict[str, Any]:
        return {"shape": list(self.shape), "dtype": self.dtype}


@dataclass(frozen=True)
class ExpectedError:
    """A case where JAX raises: its exception type, and the reference codes that count as agreeing."""

    jax_exception: str
    codes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"jax_exception": self.jax_exception, "codes": list(self.codes)}


@dataclass(frozen=True)
class CaseSpec:
    """One case of the catalog, ready to capture."""

    case_id: str
    family: str
    program: str
    program_args: dict[str, Any]
    operands: tuple[Operand, ...]
    stack: tuple[dict[str, Any], ...]
    inputs: tuple[np.ndarray, ...] = field(compare=False)
    input_set: str
    tier: str
    comparator: str = "allclose"
    primitive: str | None = None
    #: JAX may raise this while running the stack (a rule JAX lacks, jvp of a custom_vjp)
    may_raise: ExpectedError | None = None
    #: the dtype-sweep group: JAX may reject the dtype while tracing (TypeError); the group's
    #: ``normal.eager`` case then becomes the group's one rejection case
    sweep_group: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def stack_signature(self) -> str:
        text = "f"
        for t in reversed(self.stack):
            text = f"{t['transform']}({text})"
        return text

    def to_json(self) -> dict[str, Any]:
        from frankenjax_ref.ir import encode_array

        return {
            "case_id": self.case_id,
            "family": self.family,
            "program": self.program,
            "program_args": self.program_args,
            "operands": [o.to_json() for o in self.operands],
            "stack": list(self.stack),
            "inputs": [encode_array(x) for x in self.inputs],
            "input_set": self.input_set,
            "tier": self.tier,
            "comparator": self.comparator,
            "primitive": self.primitive,
            "may_raise": self.may_raise.to_json() if self.may_raise else None,
            "sweep_group": self.sweep_group,
            "tags": list(self.tags),
        }


@dataclass(frozen=True)
class Uncovered:
    """A registered primitive the catalog has no case for, and why."""

    primitive: str
    reason: str


@dataclass(frozen=True)
class Catalog:
    cases: tuple[CaseSpec, ...]
    uncovered: tuple[Uncovered, ...]

    def families(self) -> list[str]:
        return sorted({c.family for c in self.cases})

    def by_id(self) -> dict[str, CaseSpec]:
        return {c.case_id: c for c in self.cases}
