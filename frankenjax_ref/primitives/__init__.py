"""Every primitive family, imported for its registrations.

Importing this package fills the rule tables. :func:`rule_coverage` lists,
mechanically from those tables, which rules each primitive has — the data
behind ``fjh primitives``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frankenjax_ref.core.primitive import PRIMITIVES, Primitive, abstract_eval_rules, impl_rules
from frankenjax_ref.interpreters.batching import batch_rules
from frankenjax_ref.interpreters.jvp import jvp_rules
from frankenjax_ref.interpreters.partial_eval import partial_eval_jaxpr_rules, partial_eval_rules
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


#: Every rule table, by the name ``fjh primitives`` and the errors use. ``partial_eval`` and
#: ``partial_eval_jaxpr`` are the custom partial-evaluation rules of higher-order primitives
#: (a first-order primitive needs none: partial evaluation stages it whole).
RULE_TABLES: dict[str, dict[Primitive, Any]] = {
    "impl": impl_rules,
    "abstract_eval": abstract_eval_rules,
    "jvp": jvp_rules,
    "transpose": transpose_rules,
    "batch": batch_rules,
    "partial_eval": partial_eval_rules,
    "partial_eval_jaxpr": partial_eval_jaxpr_rules,
}


@dataclass(frozen=True)
class RuleCoverage:
    primitive: str
    tables: dict[str, bool]

    def __getattr__(self, table: str) -> bool:
        tables = self.__dict__.get("tables", {})
        if table in tables:
            return bool(tables[table])
        raise AttributeError(table)


def rule_coverage() -> list[RuleCoverage]:
    """Which rule tables (:data:`RULE_TABLES`) have an entry for each registered primitive."""
    return [
        RuleCoverage(name, {table: prim in rules for table, rules in RULE_TABLES.items()})
        for name, prim in sorted(PRIMITIVES.items())
    ]


def family_of(name: str) -> str:
    """The family module a primitive is declared in (``ad_util`` for one only the interpreters declare)."""
    prim = PRIMITIVES[name]
    for family, module in FAMILIES.items():
        if any(value is prim for value in vars(module).values()):
            return family
    return "ad_util"
