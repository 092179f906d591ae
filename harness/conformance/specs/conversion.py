"""Case specs of ``frankenjax_ref/primitives/conversion.py``: convert_element_type, copy, stop_gradient."""

from __future__ import annotations

from frankenjax_ref.core import dtypes
from harness.conformance.catalog.inputs import CANDIDATE_DTYPES
from harness.conformance.specs.model import Seed, Variant, spec, unary


def _convert_to(target: str, *, weak: bool = False, label: str | None = None) -> Variant:
    return unary(
        label or f"to={target}",
        params={"new_dtype": dtypes.from_name(target), "weak_type": weak, "sharding": None},
        differentiable=dtypes.is_inexact(dtypes.from_name(target)),
        catalog=label is None and target in CANDIDATE_DTYPES,
    )


SPECS = [
    spec(
        "convert_element_type",
        *(_convert_to(dtypes.name_of(d)) for d in dtypes.ALL),
        _convert_to("float32", weak=True, label="weak-f32"),
        seed=Seed("float32", variant="to=int32"),
    ),
    spec("copy", unary(), seed=Seed("float64")),
    spec("stop_gradient", unary(), seed=Seed("float32")),
]
