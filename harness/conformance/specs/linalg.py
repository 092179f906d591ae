"""Case specs of ``frankenjax_ref/primitives/linalg.py``: dot_general."""

from __future__ import annotations

from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from harness.conformance.specs.model import Arg, Ints, Seed, Variant, spec
from harness.conformance.specs.reductions import abs_scale

_INTEGERS = tuple(dtypes.name_of(d) for d in (dtypes.bool_, *dtypes.INTEGER))
_INEXACT = tuple(dtypes.name_of(d) for d in dtypes.INEXACT)


def _dot(
    label: str,
    shapes: tuple[tuple[int, ...], ...],
    contract: tuple[tuple[int, ...], tuple[int, ...]],
    batch: tuple[tuple[int, ...], tuple[int, ...]] = ((), ()),
    *,
    precision: Any = None,
    preferred: str | None = None,
    args: tuple[Arg, ...] | None = None,
    **kw: Any,
) -> Variant:
    params = {
        "dimension_numbers": (contract, batch),
        "precision": precision,
        "preferred_element_type": None if preferred is None else np.dtype(preferred),
        "out_sharding": None,
    }
    return Variant(label, args or tuple(Arg(s) for s in shapes), params, **kw)


_UNIT: dict[str, Any] = {"catalog": False, "main": False}
_CATALOG: dict[str, Any] = {"unit": False}
# integer-valued floats: the float sum is exact, so converting it to int64 is what is compared
_SMALL_INTS = Ints(-40, 41)

SPECS = [
    spec(
        "dot_general",
        _dot("vec", ((3,), (3,)), ((0,), (0,)), empty=((0,), (0,)), **_CATALOG),
        _dot("matmul", ((2, 3), (3, 4)), ((1,), (0,)), empty=((2, 0), (0, 4))),
        _dot("batched", ((2, 2, 3), (2, 3, 4)), ((2,), (1,)), ((0,), (0,)), **_CATALOG),
        _dot("highest", ((2, 3), (3,)), ((1,), (0,)), precision=("HIGHEST", "HIGHEST"), **_CATALOG),
        _dot("batch", ((2, 3, 4), (2, 4, 5)), ((2,), (1,)), ((0,), (0,)), **_UNIT),
        _dot("vector", ((5,), (5,)), ((0,), (0,)), **_UNIT),
        _dot("outer", ((2,), (3,)), ((), ()), **_UNIT),
        _dot("contract-first", ((3, 2), (3, 4)), ((0,), (0,)), **_UNIT),
        _dot("empty-contraction", ((2, 0), (0, 3)), ((1,), (0,)), **_UNIT),
        _dot("preferred-f64", ((2, 3), (3, 4)), ((1,), (0,)), preferred="float64", **_UNIT),
        # an integer preferred type: XLA contracts integers in it, but floats in their own type and then
        # converts (int-valued float operands, so that the float sum is exact and the conversion decides)
        _dot("preferred-i64", ((2, 3), (3, 4)), ((1,), (0,)), preferred="int64", dtypes=_INTEGERS, **_UNIT),
        _dot(
            "preferred-i64-floats",
            (),
            ((1,), (0,)),
            preferred="int64",
            args=(Arg((2, 3), domain=_SMALL_INTS), Arg((3, 4), domain=_SMALL_INTS)),
            dtypes=_INEXACT,
            **_UNIT,
        ),
        _dot("rhs-f64", (), ((1,), (0,)), args=(Arg((2, 3)), Arg((3,), "float64")), **_UNIT),
        tier="accumulate",
        scale=abs_scale("dot_general"),
        linear_in=((0,), (1,)),
        seed=Seed("float32", variant="matmul"),
    ),
]
