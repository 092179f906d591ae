"""Every primitive family, imported for its registrations.

Importing this package fills the rule tables. :func:`rule_coverage` lists,
mechanically from those tables, which rules each primitive has — the data
behind ``fjh primitives``.
"""

from __future__ import annotations

from dataclasses import dataclass

from frankenjax_ref.core.primitive import PRIMITIVES, abstract_eval_rules, impl_rules
from frankenjax_ref.interpreters.batching import batch_rules
from frankenjax_ref.interpreters.jvp import jvp_rules
from frankenjax_ref.interpreters.transpose import transpose_rules
from frankenjax_ref.primitives import (
    conversion,
    custom,
    elementwise,
    jit,
    linalg,
    logic,
    reductions,
    shape,
)

FAMILIES = {
    "elementwise": elementwise,
    "logic": logic,
    "conversion": conversion,
    "shape": shape,
    "reductions": reductions,
    "linalg": linalg,
    "jit": jit,
    "custom": custom,  # custom_jvp_call, custom_vjp_call, custom_lin
}


@dataclass(frozen=True)
class RuleCoverage:
    primitive: str
    impl: bool
    abstract_eval: bool
    jvp: bool
    transpose: bool
    batch: bool


def rule_coverage() -> list[RuleCoverage]:
    """Which rule tables have an entry for each registered primitive."""
    return [
        RuleCoverage(
            name,
            prim in impl_rules,
            prim in abstract_eval_rules,
            prim in jvp_rules,
            prim in transpose_rules,
            prim in batch_rules,
        )
        for name, prim in sorted(PRIMITIVES.items())
    ]


def family_of(name: str) -> str:
    """The family module a primitive is declared in (``ad_util`` for one only the interpreters declare)."""
    prim = PRIMITIVES[name]
    for family, module in FAMILIES.items():
        if any(value is prim for value in vars(module).values()):
            return family
    return "ad_util"
