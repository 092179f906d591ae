"""Case specs of ``frankenjax_ref/primitives/logic.py``: comparisons, bitwise ops, select_n, clamp."""

from __future__ import annotations

from harness.conformance.catalog.inputs import COMPLEXES
from harness.conformance.catalog.model import ExpectedError
from harness.conformance.specs.model import Arg, Ints, PrimitiveSpec, Seed, Variant, binary, spec, unary


def complex_order(d: str) -> ExpectedError | None:
    """JAX traces some ordering-based primitives on complex values, then rejects the comparison inside."""
    return ExpectedError("TypeError", ("FJ-PRIM-DTYPE",)) if d in COMPLEXES else None


def _clamp_scalar_bounds(d: str) -> ExpectedError | None:
    """JAX's clamp JVP selects a scalar bound's tangent against the operand's zeros: a shape error."""
    return complex_order(d) or ExpectedError("TypeError", ("FJ-PRIM-SHAPE",))


_BOUND = Arg(domain="small", smooth=(-2.0, 2.0))


def _comparison(name: str, seed: str) -> PrimitiveSpec:
    return spec(name, binary(), differentiable=False, seed=Seed(seed))


SPECS = [
    _comparison("eq", "complex64"),
    _comparison("ne", "bool"),
    _comparison("lt", "int8"),
    _comparison("le", "uint16"),
    _comparison("gt", "float16"),
    _comparison("ge", "uint64"),
    spec("and", binary(), differentiable=False, seed=Seed("bool")),
    spec("or", binary(), differentiable=False, seed=Seed("int32")),
    spec("xor", binary(), differentiable=False, seed=Seed("uint8")),
    spec("not", unary(), differentiable=False, seed=Seed("bool")),
    spec(
        "select_n",
        Variant("pred=bool", (Arg(dtype="bool"), Arg(), Arg()), edge=None),
        Variant(
            "pred=int32", (Arg(dtype="int32", domain=Ints(0, 3)), Arg(), Arg(), Arg()), edge=None, main=False
        ),
        Variant("scalar-bool", (Arg((), "bool"), Arg(), Arg()), catalog=False, main=False),
        Variant(
            "int8-2",
            (Arg(dtype="int8", domain=Ints(0, 2)), Arg(), Arg()),
            edge=None,
            catalog=False,
            main=False,
        ),
        Variant(
            "one-case", (Arg(dtype="int32", domain=Ints(0, 1)), Arg()), edge=None, catalog=False, main=False
        ),
        linear_in=((1, 2),),
        seed=Seed("float32"),
    ),
    spec(
        "clamp",
        Variant("", (_BOUND, Arg(), _BOUND)),
        Variant(
            "scalar_bounds",
            (Arg((), domain="small", smooth=(-2.0, 2.0)), Arg(), Arg((), domain="small", smooth=(-2.0, 2.0))),
            main=False,
            may_raise=_clamp_scalar_bounds,
        ),
        Variant("mixed", (Arg(), Arg(), Arg(())), catalog=False, main=False),
        may_raise=complex_order,
        seed=Seed("float64", variant="scalar_bounds"),
    ),
]
