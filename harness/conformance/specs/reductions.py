"""Case specs of ``frankenjax_ref/primitives/reductions.py``: reduce_* and argmax/argmin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from harness.conformance.specs.logic import complex_order
from harness.conformance.specs.model import Arg, PrimitiveSpec, Seed, Variant, spec


def abs_scale(name: str) -> Callable[..., Any]:
    """The magnitude of an accumulation: the same primitive on |inputs|, in float64 (a
    ``preferred_element_type`` is dropped: the magnitude is computed in float64 whatever it is)."""

    def scale(*xs: Any, **params: Any) -> Any:
        from frankenjax_ref.core.primitive import PRIMITIVES, impl_rules

        widened = [np.abs(np.asarray(x)).astype(np.float64) for x in xs]
        with np.errstate(all="ignore"):
            p = {k: v for k, v in params.items() if k != "preferred_element_type"}
            pet = {"preferred_element_type": None} if "preferred_element_type" in params else {}
            return np.asarray(impl_rules[PRIMITIVES[name]](*widened, **{**p, **pet}))

    return scale


def _reduction(
    name: str, seed: Seed, tier: str = "exact", extra: dict[str, Any] | None = None, **fields: Any
) -> PrimitiveSpec:
    """Over axis 1 and over both axes of a matrix in the catalog; in the unit tests, every ordered
    pair of edge values along axis 1 (main), one axis, all, none, and empty operands and results."""
    ex = extra or {}

    def v(label: str, shape: tuple[int, ...], axes: tuple[int, ...], **kw: Any) -> Variant:
        return Variant(label, (Arg(shape),), {"axes": axes, **ex}, **kw)

    unit: dict[str, Any] = {"catalog": False, "main": False}
    return spec(
        name,
        v("axes=1", (2, 3), (1,), empty=((0, 3),), unit=False),
        v("axes=0,1", (2, 3), (0, 1), empty=((0, 3),), unit=False),
        v("edge-pairs", (4, 2), (1,), edge="pairs", catalog=False),
        v("axis0", (3, 4), (0,), **unit),
        v("all", (3, 4), (0, 1), **unit),
        v("none", (3, 4), (), **unit),
        v("empty", (0, 3), (0,), **unit),
        v("empty-out", (2, 0), (0,), **unit),
        tier=tier,
        scale=abs_scale(name) if tier in ("accumulate", "reduction") else None,
        seed=seed,
        **fields,
    )


def _argminmax(name: str, seed: Seed) -> PrimitiveSpec:
    """Along each axis of a matrix, with both index dtypes (catalog); edge pairs, and a uint8 index
    dtype (unit tests)."""

    def v(label: str, shape: tuple[int, ...], axis: int, index: str, **kw: Any) -> Variant:
        return Variant(label, (Arg(shape),), {"axes": (axis,), "index_dtype": np.dtype(index)}, **kw)

    return spec(
        name,
        v("axes=1", (2, 3), 1, "int32", unit=False),
        v("axes=0", (2, 3), 0, "int64", unit=False),
        v("edge-pairs", (4, 2), 1, "int64", edge="pairs", catalog=False),
        v("axis0-i32", (3, 4), 0, "int32", catalog=False, main=False),
        v("axis0-u8", (5,), 0, "uint8", catalog=False, main=False),
        differentiable=False,
        may_raise=complex_order,
        seed=seed,
    )


SPECS = [
    _reduction("reduce_sum", Seed("float64"), "reduction", {"out_sharding": None}),
    _reduction("reduce_prod", Seed("complex64", variant="axis0", shapes=((3,),)), "reduction"),
    _reduction("reduce_max", Seed("int32", variant="axis0", shapes=((3,),))),
    _reduction("reduce_min", Seed("float16", variant="axes=0,1", shapes=((2, 2),))),
    _reduction("reduce_and", Seed("bool", variant="axis0", shapes=((3,),)), differentiable=False),
    _reduction("reduce_or", Seed("bool", variant="axes=1", shapes=((2, 2),)), differentiable=False),
    _argminmax("argmax", Seed("float32")),
    _argminmax("argmin", Seed("int64", variant="axes=0", shapes=((3,),))),
]
