"""Case specs of ``frankenjax_ref/primitives/elementwise.py``: arithmetic and math (and ``add_any``,
whose transform rules live there).

Seeds spread their dtypes over the primitives so that every dtype appears in the fuzz corpus.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from harness.conformance.catalog.model import ExpectedError
from harness.conformance.specs.model import ACC, Arg, Ints, Seed, Variant, binary, by_dtype, spec, unary

# --- tolerance scales (the magnitude a tier's atol is relative to; see tests/jax_helpers.py) ----------


def _cancellation_scale(x: Any, **params: Any) -> Any:
    """|x| cosh(|Re x|): the size of the exponentials XLA subtracts in sinh, cosh and expm1."""
    with np.errstate(all="ignore"):
        x128 = np.asarray(x).astype(np.complex128)
        return np.abs(x128) * np.cosh(np.abs(x128.real))


def _exp2_scale(x: Any, **params: Any) -> Any:
    """|x ln2 exp2(x)|: how far the rounding of XLA's x*ln2 moves exp2(x)."""
    with np.errstate(all="ignore"):
        x128 = np.asarray(x).astype(np.complex128)
        return np.abs(x128 * np.log(2.0) * np.exp2(x128))


def _pow_scale(x: Any, y: Any, **params: Any) -> Any:
    """(|y| (|log|x|| + pi) + 1) |x**y|, with |x**y| the larger of the exact and the computed magnitude
    (|x| may round to 1 in the operand's precision: (-3e-12 - 1j)**(-8e29) is 0 exactly, 1.4e-4 in
    complex64)."""
    from frankenjax_ref.core.primitive import PRIMITIVES, impl_rules

    with np.errstate(all="ignore"):
        x128, y128 = np.asarray(x).astype(np.complex128), np.asarray(y).astype(np.complex128)
        computed = np.abs(np.asarray(impl_rules[PRIMITIVES["pow"]](x, y)).astype(np.complex128))
        magnitude = np.fmax(np.abs(np.power(x128, y128)), computed)
        return (np.abs(y128) * (np.abs(np.log(np.abs(x128))) + np.pi) + 1) * magnitude


def _negative_power_code(dtype: np.dtype) -> str:
    """Integers to negative powers: a param error in the reference (JAX's TypeError); bool: a dtype one."""
    return "FJ-PRIM-PARAM" if dtypes.is_integer(dtype) else "FJ-PRIM-DTYPE"


#: JAX defines no jvp for nextafter: it traces a derivative stack, then raises
_NO_RULE = ExpectedError("NotImplementedError", ("FJ-RULE-MISSING",))
_ELEMENTARY = {"tier": "elementary"}
_CANCELLATION = {"tier": "cancellation", "scale": _cancellation_scale}


def _integer_pow(y: int, *, catalog: bool) -> Variant:
    negative = y < 0
    return unary(
        f"y={y}",
        smooth=(0.5, 2.0) if negative else None,
        params={"y": y},
        main=y in (3, -2),
        catalog=catalog,
        reject_code=_negative_power_code if negative else None,
    )


SPECS = [
    # --- one operand ---------------------------------------------------------------------------------
    spec("neg", unary(), seed=Seed("int8")),
    spec("sign", unary(), seed=Seed("int64", shapes=((2,),))),
    spec("square", unary(), tier="complex-arith", seed=Seed("uint32")),
    spec("floor", unary(), seed=Seed("float32")),
    spec("ceil", unary(), seed=Seed("bfloat16")),
    spec("is_finite", unary(), differentiable=False, seed=Seed("float16")),
    spec("abs", unary(), seed=Seed("int16")),
    spec("real", unary(), seed=Seed("complex64")),
    spec("imag", unary(), seed=Seed("complex128", shapes=((2,),))),
    spec("conj", unary(params=by_dtype(lambda d: {"input_dtype": d})), seed=Seed("complex64")),
    spec("sin", unary(params=ACC), **_ELEMENTARY, seed=Seed("float32")),
    spec("cos", unary(params=ACC), **_ELEMENTARY, seed=Seed("float64", shapes=((2, 2),))),
    spec("tan", unary(domain="unit", smooth=(-1.0, 1.0), params=ACC), **_ELEMENTARY, seed=Seed("bfloat16")),
    spec("tanh", unary(params=ACC), **_ELEMENTARY, seed=Seed("bfloat16", shapes=((2, 3),))),
    spec("asin", unary(domain="unit"), **_ELEMENTARY, seed=Seed("float16")),
    spec("acos", unary(domain="unit"), **_ELEMENTARY, seed=Seed("float64", shapes=((),))),
    spec("atan", unary(), **_ELEMENTARY, seed=Seed("complex64", shapes=((2,),))),
    spec("sinh", unary(), **_CANCELLATION, seed=Seed("float32", shapes=((),))),
    spec("cosh", unary(), **_CANCELLATION, seed=Seed("complex128", shapes=((2,),))),
    spec("expm1", unary(params=ACC), **_CANCELLATION, seed=Seed("float64", shapes=((2,),))),
    spec("asinh", unary(), **_ELEMENTARY, seed=Seed("float64")),
    spec("acosh", unary(domain="ge1"), **_ELEMENTARY, seed=Seed("float32")),
    spec("atanh", unary(domain="unit"), **_ELEMENTARY, seed=Seed("float16", shapes=((2,),))),
    spec("exp", unary(params=ACC), **_ELEMENTARY, seed=Seed("complex64")),
    spec("exp2", unary(params=ACC), tier="exp2", scale=_exp2_scale, seed=Seed("float64")),
    spec("log", unary(domain="positive", params=ACC), **_ELEMENTARY, seed=Seed("float32")),
    spec("log1p", unary(domain="gt_minus1", params=ACC), **_ELEMENTARY, seed=Seed("bfloat16", shapes=((),))),
    spec("logistic", unary(params=ACC), **_ELEMENTARY, seed=Seed("float32")),
    spec("sqrt", unary(domain="positive", params=ACC), **_ELEMENTARY, seed=Seed("complex128", shapes=((),))),
    spec("rsqrt", unary(domain="positive", params=ACC), **_ELEMENTARY, seed=Seed("float16")),
    spec("cbrt", unary(smooth=(0.5, 3.0), params=ACC), **_ELEMENTARY, seed=Seed("float64")),
    spec(
        "round",
        unary("away", params={"rounding_method": "AWAY_FROM_ZERO"}),
        unary("even", params={"rounding_method": "TO_NEAREST_EVEN"}),
        seed=Seed("float64", variant="even"),
    ),
    spec(
        "integer_pow",
        *(_integer_pow(y, catalog=True) for y in (2, 3, -2, 0)),
        *(_integer_pow(y, catalog=False) for y in (1, 5, -1)),
        tier="complex-arith",
        seed=Seed("float64", variant="y=3"),
    ),
    # --- two operands --------------------------------------------------------------------------------
    spec("add", binary(), seed=Seed("float64")),
    spec("sub", binary(), seed=Seed("int32")),
    spec(
        "mul",
        binary(params={"out_dtype": None}),
        tier="complex-arith",
        linear_in=((0,), (1,)),
        seed=Seed("float32", shapes=((2, 3), (2, 3))),
    ),
    spec(
        "div",
        binary(("any", "nonzero"), broadcast_tier="div-broadcast"),
        tier="complex-arith",
        linear_in=((0,),),
        seed=Seed("int64"),
    ),
    spec("rem", binary(("any", "nonzero"), smooth=((-3.0, 3.0), (0.7, 2.0))), seed=Seed("float32")),
    spec("max", binary(), seed=Seed("uint8")),
    spec("min", binary(), seed=Seed("bfloat16")),
    spec("atan2", binary(), tier="atan2", seed=Seed("float32")),
    spec("nextafter", binary(), may_raise=_NO_RULE, seed=Seed("float64")),
    spec("complex", binary(), seed=Seed("float32")),
    spec(
        "pow",
        binary(("positive", "exponent"), smooth=((0.5, 2.0), None)),
        Variant("exp=int32", (Arg(domain="positive"), Arg(dtype="int32", domain="exponent")), unit=False),
        Variant(
            "int32-exponent",
            (Arg(smooth=(0.5, 2.0)), Arg(dtype="int32", domain=Ints(-4, 6))),
            catalog=False,
        ),
        Variant(
            "u8-scalar-exponent",
            (Arg(smooth=(0.5, 2.0)), Arg((), "uint8", Ints(0, 6))),
            catalog=False,
            main=False,
        ),
        tier="pow",
        scale=_pow_scale,
        seed=Seed("float64", variant="exp=int32"),
    ),
    # add_any accumulates tangents (JAX's add_jaxvals). JAX traces it on bool, but its eager
    # evaluation rejects bool, so the catalog (whose dtype rejections are found by tracing) skips bool.
    spec(
        "add_any",
        Variant("", (Arg(), Arg()), edge=None),
        jax_name="add_jaxvals",
        catalog_skip_dtypes=("bool",),
        seed=Seed("float64"),
    ),
]
