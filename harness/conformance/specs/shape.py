"""Case specs of ``frankenjax_ref/primitives/shape.py``: shape and layout operations."""

from __future__ import annotations

from typing import Any

from harness.conformance.specs.model import Arg, Seed, Variant, by_dtype, spec


def _one(label: str, shape: tuple[int, ...], params: dict[str, Any], **kw: Any) -> Variant:
    """A variant of one operand of a fixed shape."""
    return Variant(label, (Arg(shape),), params, **kw)


_NOT_CATALOG: dict[str, Any] = {"catalog": False, "main": False}
_NOT_UNIT: dict[str, Any] = {"unit": False}


SPECS = [
    spec(
        "broadcast_in_dim",
        _one("row", (3,), {"shape": (2, 3), "broadcast_dimensions": (1,), "sharding": None}),
        _one(
            "size1", (2, 1), {"shape": (2, 4), "broadcast_dimensions": (0, 1), "sharding": None}, **_NOT_UNIT
        ),
        _one("scalar", (), {"shape": (2, 3), "broadcast_dimensions": (), "sharding": None}, **_NOT_CATALOG),
        _one(
            "size1-3d",
            (1, 3),
            {"shape": (2, 4, 3), "broadcast_dimensions": (0, 2), "sharding": None},
            **_NOT_CATALOG,
        ),
        seed=Seed("float32"),
    ),
    spec(
        "reshape",
        _one("3x2", (2, 3), {"new_sizes": (3, 2), "dimensions": None, "sharding": None}),
        _one("flat", (2, 3), {"new_sizes": (6,), "dimensions": None, "sharding": None}, **_NOT_UNIT),
        _one(
            "dimensions", (2, 3), {"new_sizes": (6,), "dimensions": (1, 0), "sharding": None}, **_NOT_CATALOG
        ),
        _one("empty", (0, 3), {"new_sizes": (3, 0), "dimensions": None, "sharding": None}, **_NOT_CATALOG),
        seed=Seed("float64"),
    ),
    spec(
        "transpose",
        _one("2d", (2, 3), {"permutation": (1, 0)}, empty=((0, 3),), **_NOT_UNIT),
        _one("3d", (2, 3, 4), {"permutation": (2, 0, 1)}),
        seed=Seed("int64", variant="2d"),
    ),
    spec(
        "squeeze",
        _one("dims=0", (1, 3), {"dimensions": (0,)}, empty=((1, 0),), **_NOT_UNIT),
        _one("", (1, 3, 1), {"dimensions": (0, 2)}, catalog=False),
        seed=Seed("float64"),
    ),
    # not a JAX primitive (JAX writes it with broadcast_in_dim or reshape): compared with lax.expand_dims
    spec(
        "expand_dims",
        _one("", (2, 3), {"dimensions": (0, 3)}),
        jax_fn=lambda ns, p: lambda x: ns.lax.expand_dims(x, p["dimensions"]),
        no_catalog="not a JAX primitive (JAX expresses it with broadcast_in_dim/reshape); no oracle exists",
        seed=Seed("float32", shapes=((3,),), params={"dimensions": (0,)}),
    ),
    spec(
        "concatenate",
        Variant("dim=1", (Arg((2, 3)), Arg((2, 2))), {"dimension": 1}, empty=((2, 0), (2, 2)), unit=False),
        Variant("", (Arg((2, 1)), Arg((2, 3)), Arg((2, 0))), {"dimension": 1}, catalog=False),
        _one("one", (3,), {"dimension": 0}, **_NOT_CATALOG),
        seed=Seed("float32", shapes=((2,), (3,)), params={"dimension": 0}),
    ),
    spec(
        "pad",
        Variant(
            "grow",
            (Arg((2, 3)), Arg(())),
            {"padding_config": ((1, 0, 0), (0, 2, 1))},
            empty=((0, 3), ()),
            unit=False,
        ),
        Variant("negative", (Arg((2, 3)), Arg(())), {"padding_config": ((-1, 1, 0), (1, -1, 1))}, unit=False),
        Variant("", (Arg((3, 4)), Arg(())), {"padding_config": ((1, 2, 0), (-1, 1, 2))}, catalog=False),
        Variant("empty", (Arg((2, 0)), Arg(())), {"padding_config": ((0, 0, 1), (1, 1, 3))}, **_NOT_CATALOG),
        seed=Seed("float32", shapes=((3,), ()), params={"padding_config": ((1, 2, 1),)}),
    ),
    spec(
        "slice",
        _one(
            "unit", (4, 5), {"start_indices": (1, 0), "limit_indices": (3, 5), "strides": None}, **_NOT_UNIT
        ),
        _one(
            "strided",
            (4, 5),
            {"start_indices": (0, 1), "limit_indices": (4, 5), "strides": (2, 2)},
            **_NOT_UNIT,
        ),
        _one("", (5, 6), {"start_indices": (1, 0), "limit_indices": (4, 6), "strides": None}, catalog=False),
        _one(
            "strided-5x6",
            (5, 6),
            {"start_indices": (1, 0), "limit_indices": (5, 5), "strides": (2, 3)},
            **_NOT_CATALOG,
        ),
        seed=Seed(
            "float64", shapes=((5,),), params={"start_indices": (1,), "limit_indices": (4,), "strides": (2,)}
        ),
    ),
    spec(
        "rev",
        _one("dims=0", (2, 3), {"dimensions": (0,)}, empty=((0, 3),), **_NOT_UNIT),
        _one("dims=0,1", (2, 3), {"dimensions": (0, 1)}),
        _one("none", (2, 3), {"dimensions": ()}, **_NOT_CATALOG),
        seed=Seed("float32", variant="dims=0", shapes=((3,),)),
    ),
    spec(
        "iota",
        Variant(
            "1d",
            (),
            by_dtype(lambda d: {"dtype": d, "shape": (5,), "dimension": 0, "sharding": None}),
            unit=False,
        ),
        Variant(
            "2d", (), by_dtype(lambda d: {"dtype": d, "shape": (2, 3), "dimension": 1, "sharding": None})
        ),
        Variant(
            "long",
            (),
            by_dtype(lambda d: {"dtype": d, "shape": (300,), "dimension": 0, "sharding": None}),
            **_NOT_CATALOG,
        ),
        differentiable=False,
        seed=Seed("int32", variant="2d"),
    ),
]
