"""Running JAX (the oracle) beside the reference in tests.

Three things live here, so every test that diffs the reference against JAX
uses the same ones:

* **conversions** between the reference's avals and JAX's, and JAX's output
  avals for a function (``jax_out_avals``);
* **the tolerance policy** (:data:`TOLERANCES`, :func:`assert_close`): ints
  and bools bit-exact, floats exact unless a tier says otherwise, NaN equals
  NaN, signed zeros exact in the exact tier; every tolerance and every known
  divergence from JAX is written down once, with its reason
  (:data:`DIVERGENCES`);
* **the primitive cases** (:data:`CASES`), generated from the primitives' case
  specs (``harness.conformance.specs``: operand shapes/domains, params, how to
  run the same primitive in JAX). Tests iterate them per dtype; a primitive
  without a spec row fails ``tests/test_specs.py``.

JAX always runs with x64 here, like the reference.
"""

from __future__ import annotations

import os

os.environ["JAX_ENABLE_X64"] = "1"  # read when jax is first imported

import itertools
import math
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jax import lax as jlax
from jax.extend.core import primitives as jprims

import frankenjax_ref.lax as flax
from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray
from harness.conformance.specs import UNIT_SHAPE, Arg, Ints, PrimitiveSpec, Variant, spec_for, specs

jax.config.update("jax_enable_x64", True)

#: the 15 dtypes every primitive is tried with
ALL_DTYPES: tuple[np.dtype, ...] = dtypes.ALL
F16S = (dtypes.bfloat16, dtypes.float16)


def dtype_id(d: np.dtype) -> str:
    return dtypes.short_name(d)


# --- conversions -----------------------------------------------------------------------------------


def to_numpy(x: Any) -> np.ndarray:
    return np.asarray(x)


def jax_spec(aval: ShapedArray) -> jax.ShapeDtypeStruct:
    return jax.ShapeDtypeStruct(aval.shape, aval.dtype, weak_type=aval.weak_type)


def ref_aval(jax_aval: Any) -> ShapedArray:
    return ShapedArray(tuple(jax_aval.shape), dtypes.canonicalize(jax_aval.dtype), bool(jax_aval.weak_type))


def jax_trace(fn: Callable[..., Any], avals: Sequence[ShapedArray]) -> Any:
    """``jax.make_jaxpr(fn)`` at these avals (weak types included)."""
    return jax.make_jaxpr(fn)(*(jax_spec(a) for a in avals))


def jax_out_avals(fn: Callable[..., Any], avals: Sequence[ShapedArray]) -> list[ShapedArray]:
    return [ref_aval(v.aval) for v in jax_trace(fn, avals).jaxpr.outvars]


def abstract_arg(aval: ShapedArray) -> Any:
    """An argument the reference's ``make_jaxpr`` traces at exactly ``aval`` (weak types too)."""
    return types.SimpleNamespace(aval=aval)


def make_weak_jax(x: Any) -> Any:
    """``x`` (a JAX value or tracer) as a weakly typed value of the same dtype."""
    from jax._src.lax import lax as lax_internal

    return lax_internal._convert_element_type(x, np.dtype(x.dtype), weak_type=True)


def make_weak_ref(x: Any) -> Any:
    return flax.convert_element_type(x, np.dtype(x.dtype), weak_type=True)


# --- the tolerance policy --------------------------------------------------------------------------


@dataclass(frozen=True)
class Tolerance:
    """How far a float result may be from JAX's.

    An element passes when its bits are equal, when both are NaN, when it is
    within ``ulps`` units in the last place (per real component; ``-0.0`` and
    ``+0.0`` are 0 ulps apart), or when ``|a - b| <= rtol * |b| + atol * scale + floor``
    (``scale`` is 1 unless the case computes a magnitude, e.g. ``sum(|x|)``
    for a sum). Infinities and NaNs never pass by distance. ``Tolerance()``
    is bit-exact.
    """

    ulps: int = 0
    rtol: float = 0.0
    atol: float = 0.0
    floor: float = 0.0

    @property
    def exact(self) -> bool:
        return self.ulps == 0 and self.rtol == 0.0 and self.atol == 0.0 and self.floor == 0.0


EXACT = Tolerance()

#: tier -> dtype name -> tolerance (a missing dtype is exact). Each tier's reason is in DIVERGENCES.
_TINY = {
    name: float(dtypes.finfo(dtypes.from_name(name)).smallest_normal)
    for name in ("bfloat16", "float32", "float64")
}
_TINY.update(complex64=_TINY["float32"], complex128=_TINY["float64"])

TOLERANCES: dict[str, dict[str, Tolerance]] = {
    "exact": {},
    "elementary": {
        "bfloat16": Tolerance(ulps=4, floor=4 * _TINY["bfloat16"]),
        "float16": Tolerance(ulps=4),
        "float32": Tolerance(ulps=8, floor=4 * _TINY["float32"]),
        "float64": Tolerance(ulps=8, rtol=1e-13, floor=4 * _TINY["float64"]),
        "complex64": Tolerance(ulps=8, rtol=2e-6, floor=4 * _TINY["complex64"]),
        "complex128": Tolerance(ulps=8, rtol=1e-13, floor=4 * _TINY["complex128"]),
    },
    "exp2": {},  # filled below: "elementary", with XLA's 16-bit exp2 allowance
    "accumulate": {
        "bfloat16": Tolerance(ulps=1, atol=2.0**-8, floor=4 * _TINY["bfloat16"]),
        "float16": Tolerance(ulps=1, atol=2.0**-11),
        "float32": Tolerance(ulps=4, atol=4 * 2.0**-24, floor=4 * _TINY["float32"]),
        "float64": Tolerance(ulps=4, atol=4 * 2.0**-53, floor=4 * _TINY["float64"]),
        "complex64": Tolerance(ulps=4, atol=4 * 2.0**-24, floor=4 * _TINY["complex64"]),
        "complex128": Tolerance(ulps=4, atol=4 * 2.0**-53, floor=4 * _TINY["complex128"]),
    },
    # exact for real dtypes; complex division uses different (not correctly rounded) formulas
    "complex-arith": {
        "complex64": Tolerance(ulps=4, rtol=4 * 2.0**-24, floor=4 * _TINY["complex64"]),
        "complex128": Tolerance(ulps=4, rtol=4 * 2.0**-53, floor=4 * _TINY["complex128"]),
    },
    # derivatives and batched programs computed with the same rules in both systems
    "rules": {
        "bfloat16": Tolerance(ulps=4, rtol=2.0**-6),
        "float16": Tolerance(ulps=4, rtol=2.0**-9),
        "float32": Tolerance(ulps=16, rtol=1e-5, atol=1e-6),
        "float64": Tolerance(ulps=16, rtol=1e-11, atol=1e-13),
        "complex64": Tolerance(ulps=16, rtol=1e-5, atol=1e-6),
        "complex128": Tolerance(ulps=16, rtol=1e-11, atol=1e-13),
    },
}

TOLERANCES["pow"] = {
    **TOLERANCES["elementary"],
    # scale: (|y| (|log|x|| + pi) + 1) |x**y|
    "complex64": Tolerance(ulps=8, rtol=2e-6, atol=8 * 2.0**-24, floor=16 * _TINY["complex64"]),
    "complex128": Tolerance(ulps=8, rtol=1e-13, atol=8 * 2.0**-53, floor=16 * _TINY["complex128"]),
}
TOLERANCES["atan2"] = {
    **TOLERANCES["elementary"],
    "complex64": Tolerance(ulps=8, rtol=2e-6, floor=8 * 2.0**-24),
    "complex128": Tolerance(ulps=8, rtol=1e-13, floor=8 * 2.0**-53),
}
TOLERANCES["cancellation"] = {  # scale: |x| cosh(|Re x|)
    **TOLERANCES["elementary"],
    "float32": Tolerance(ulps=8, atol=2 * 2.0**-24, floor=4 * _TINY["float32"]),
    "float64": Tolerance(ulps=8, rtol=1e-13, atol=2 * 2.0**-53, floor=4 * _TINY["float64"]),
    "complex64": Tolerance(ulps=8, rtol=2e-6, atol=2 * 2.0**-24, floor=8 * 2.0**-24),
    "complex128": Tolerance(ulps=8, rtol=1e-13, atol=2 * 2.0**-53, floor=8 * 2.0**-53),
}
TOLERANCES["reduction"] = {
    **TOLERANCES["accumulate"],
    # XLA accumulates 16-bit floats in 16 bits: (n - 1) u sum|x| for the n <= 12 terms of these cases
    "bfloat16": Tolerance(ulps=1, atol=12 * 2.0**-8, floor=4 * _TINY["bfloat16"]),
    "float16": Tolerance(ulps=1, atol=12 * 2.0**-11),
}
TOLERANCES["div-broadcast"] = {
    **TOLERANCES["complex-arith"],
    **dict.fromkeys(("bfloat16", "float16", "float32", "float64"), Tolerance(ulps=1)),
}
TOLERANCES["exp2"] = {
    **TOLERANCES["elementary"],
    # scale: |x ln2 exp2(x)|
    "bfloat16": Tolerance(ulps=4, atol=2.0**-6),
    "float16": Tolerance(ulps=4, atol=2.0**-9),
    "float32": Tolerance(ulps=8, atol=2 * 2.0**-24, floor=4 * _TINY["float32"]),
    "float64": Tolerance(ulps=8, rtol=1e-13, atol=2 * 2.0**-53, floor=4 * _TINY["float64"]),
}

#: Every deliberate or known divergence between the reference and JAX 0.10.2 on CPU, with its reason.
DIVERGENCES: dict[str, str] = {
    "elementary": (
        "Transcendental functions: XLA:CPU uses its own polynomial approximations, the reference "
        "NumPy's libm; both are within a few ulps of the true value (16-bit types are computed in "
        "float32 and rounded, so they differ by at most a few ulps when the float32 results straddle "
        "a rounding boundary; exp2 has its own tier). XLA's float64 log1p (and "
        "atanh, built on it) is up to ~128 ulps (3e-14 relative) off near x = -0.414, hence the rtol. "
        "Complex results are compared by relative error of the complex value, because a component "
        "that cancels to near zero has a meaningless ulp distance. XLA also flushes subnormal "
        "intermediate results (asin(1.2e-38) is 0.0 in float32), hence a floor of 4 * smallest normal."
    ),
    "exp2": (
        "XLA computes exp2 of bfloat16/float16 as exp(x*ln2) with ln2 and the product rounded to 16 "
        "bits, so the exponent it uses is off by up to |x ln2|*(2^-8.5 + 2^-9) in bfloat16 (2.7% at "
        "x = -7.25: 0.006744 instead of 0.006561) and |x ln2|*(2^-11.7 + 2^-12) in float16; the "
        "reference computes exp2 in float32 and rounds once. atol (2^-6, 2^-9) is relative to "
        "|x ln2 exp2(x)|. In float32/float64 the same exp(x ln2) carries the rounding of x ln2 into "
        "the result (exp2(-97.65) is 12 ulps off in float32): atol = 2 eps relative to the same."
    ),
    "complex-special-values": (
        "Complex arithmetic and functions on values with an infinite or NaN part: XLA has its own "
        "special-value conventions (1/(inf+inf j) = 0, (inf+1e154j)**2 = inf+inf j, "
        "sign(0+inf j) = 0+nan j...), NumPy (and the reference) others (nan+nan j for the first two). "
        "XLA also rescales underflowing complex products (a reduce_prod whose parts underflow comes "
        "out as exactly the smallest normal). For multiplication, division, powers, products, dot "
        "products and the transcendental functions, elements are not compared when a complex "
        "operand (or, for reductions, a term) has a non-finite part, or the reference's complex "
        "result has a non-finite or subnormal part (overflow and underflow); everything else must "
        "match within the tier's tolerance. (The conventions that are simple to state are "
        "implemented: abs, sign, max/min, clamp, complex, conj match XLA exactly.)"
    ),
    "subnormal-operands": (
        "Transcendental functions (and pow, atan2, nextafter) of a subnormal operand in a flushing "
        "dtype: XLA:CPU's results are neither IEEE nor consistent with flushing the input (float32 "
        "cbrt(1e-45) is -5.6e-16, pow(1e-45, 0.5) is 2^-75 instead of 2^-74.5, nextafter compares "
        "under DAZ but steps in bits), so elements with such an operand are not compared; the "
        "reference computes the IEEE result."
    ),
    "accumulate": (
        "Sums, products and dot products: the summation order of XLA's reduction loops differs from "
        "NumPy's, so results may differ by rounding of partial sums: atol is relative to the sum of "
        "magnitudes (the test passes that as `scale`), i.e. n·eps·Σ|terms|. XLA also flushes "
        "subnormal partial products (see 'ftz'), hence an absolute floor of 4 * smallest normal. And "
        "XLA's dot accumulates with fused multiply-adds, so a product that overflows on its own need "
        "not overflow in the sum (max*2.5 added to -inf is -inf in XLA, nan in the reference): where "
        "the sum of magnitudes exceeds the dtype's range the result is not compared."
    ),
    "reduction": (
        "reduce_sum/reduce_prod: as 'accumulate', and for bfloat16/float16 XLA:CPU accumulates in the "
        "16-bit type in its own vectorized order (sum of 2048 and 99 ones is 2130 in float16), while "
        "the reference accumulates in float32 and rounds once: atol = 12 u (n - 1 roundings of the "
        "16-bit unit roundoff u for the <= 12 terms here) relative to sum|x|. Partial sums or "
        "products can also overflow (or, flushed, underflow) in XLA where the whole does not "
        "([300, 300, 0.001] multiplies to inf in float16): where some partial result could leave "
        "the 16-bit range the result is not compared."
    ),
    "div-broadcast": (
        "Division by an implicitly broadcast divisor (lax's size-1 or rank-0 broadcasting): XLA "
        "rewrites x / broadcast(y) as x * broadcast(1/y), which is not correctly rounded (1 ulp off "
        "on a few percent of float32 inputs, and 0 where 1/y is subnormal: 6.96 / 1.8e308 is "
        "3.9e-308 exactly but 0 in XLA); same-shape division is exact in both. Elements where 1/y "
        "leaves the normal range are not compared."
    ),
    "complex-arith": (
        "Complex multiplication and division (mul, square, div, integer_pow): XLA's formulas "
        "(FMA-contracted) and NumPy's round differently, down to the sign of zero parts: both are "
        "accurate to a few ulps "
        "relative to |result| but 1 ulp apart on a few percent of random inputs; XLA flushes "
        "subnormal partial products (a floor of 4 smallest normals). Real arithmetic is exact in both."
    ),
    "branch-cuts": (
        "Complex asin, acos, atan, asinh, acosh, atanh, log, log1p, sqrt and rsqrt near a branch cut: "
        "XLA's formulas let rounding pick the side of the cut (atan(6e-113 + 2j) is +π/2 in XLA, "
        "-π/2 for the reference, which follows the sign of the tiny real part), so arguments within "
        "a relative 1e-6 of a cut (but not on it) are not compared. On the cut, XLA's asin, acos, "
        "asinh, acosh and sqrt count zeros of either sign as +0 (the reference implements that, see "
        "elementwise.py); the others keep the sign of zero (as C99) except for |z| > 1/eps, where "
        "XLA's large-argument formulas drop it (atanh(5e70 - 0j) is +π/2 j): those are not compared."
    ),
    "pow": (
        "Complex pow is exp-like, (a²+b²)^(c/2) e^(-dθ) cis(cθ + d/2 log(a²+b²)), evaluated in the "
        "component precision by both (the reference implements XLA's formula and its special values "
        "at 0): a rounding error in the angle or the log grows by |y| |log|x|| (7.57049e9 vs "
        "7.57050e9 in complex64 for x = -0.5+9.3j, y = 6.7-4.8j), so atol = 8 eps is relative to "
        "(|y| (|log|x|| + π) + 1) |x**y|. Where a²+b² is subnormal XLA flushes it to 0 (see 'ftz'), "
        "and likewise (a²+b²)^(c/2) and e^(-dθ) (3e-30 comes out as 0 for x = -1.1e16+2.8j, "
        "y = -2.7-9.9j in complex64), so elements where one of these intermediates leaves the "
        "normal range are not compared, and results within 16 smallest normals of 0 may be 0."
    ),
    "cancellation": (
        "sinh, cosh and expm1: XLA computes complex ones from differences of exponentials "
        "((e^x - e^-x)/2), which cancel for small |x| (sinh(3.8e-6+0j) is 3.8147e-6 in complex64, "
        "0.5% off), the reference with NumPy's accurate formulas; so an absolute error of 8 eps "
        "(the size of the cancelled terms, ~1) is allowed on top of the elementary tolerance. For "
        "large |x| XLA's exp(x - ln 2) carries the rounding of x - ln 2 into the result (float32 "
        "sinh(33.9) is 12 ulps off), so atol = 2 eps is also allowed relative to |x| cosh(|Re x|)."
    ),
    "atan2": (
        "Complex atan2 is XLA's -i log((y + ix) / sqrt(x^2 + y^2)), which the reference evaluates "
        "with NumPy's complex log, sqrt and division: where the true result is 0 both are O(eps) "
        "off (absolute tolerance), and on the branch cut (real part ±π) the rounding picks the sign, "
        "so elements whose real part is within 1e-5 of ±π are not compared, nor those where x²+y² "
        "is near the square root's branch cut (the result flips by π), cancels to near 0, or "
        "overflows the component type (XLA returns nan-inf j)."
    ),
    "rules": (
        "Derivatives and vmapped programs: both systems evaluate the same rule formulas, but the "
        "primitives under them carry the 'elementary' and 'accumulate' differences, amplified by a "
        "few chained operations."
    ),
    "ftz": (
        "XLA:CPU computes bfloat16/float32/float64 arithmetic with denormals flushed to zero "
        "(FTZ/DAZ: lax.add(1e-45, 0) is 0.0 and lax.eq(1e-45, 0) is True in float32), while the "
        "reference follows IEEE gradual underflow. Pure bit moves (neg, abs, copy, shape ops, select, "
        "widening conversions) keep subnormals in both, and selections made by flushed comparisons "
        "return unflushed values (reduce_max of complex). Where subnormals occur in the inputs or in "
        "the reference's result, an element also passes if the reference's result on inputs with "
        "subnormals flushed to (signed) zero equals JAX's result, both flushed the same way. float16 "
        "is computed in float32, where its subnormals are normal numbers, so it is never flushed. "
        "Complex multiplication and division also flush subnormal partial products (a·d, b·c...), "
        "which division and powers amplify (1/z² loses its imaginary part when Im z² underflows), and "
        "so do the complex transcendental functions (atanh(1 + 2.4e-38j) is inf in complex64: "
        "|1 - z|² underflows), so for those, elements where a product of two nonzero operand parts "
        "is subnormal are not compared; likewise integer_pow where |x|^|y| is subnormal (x^-2 is "
        "inf for x = 7.8e-20 in float32: x*x flushes to 0)."
    ),
}


#: primitives whose XLA complex special values differ from the reference's
#: (DIVERGENCES["complex-special-values"])
COMPLEX_SPECIAL_VALUES = frozenset({"mul", "div", "integer_pow", "square", "reduce_prod", "dot_general"})
#: primitives whose XLA results on subnormal operands are not compared (DIVERGENCES["subnormal-operands"])
SUBNORMAL_OPERANDS_UNCHECKED = frozenset({"nextafter"})
#: tiers of the transcendental functions (both divergences above apply to all their elements)
ELEMENTARY_TIERS = frozenset({"elementary", "exp2", "atan2", "cancellation", "pow"})


def tolerance(tier: str, dtype: np.dtype) -> Tolerance:
    return TOLERANCES[tier].get(dtypes.name_of(np.dtype(dtype)), EXACT)


_INT_OF_WIDTH = {2: np.int16, 4: np.int32, 8: np.int64}


def _ordered(x: np.ndarray) -> np.ndarray:
    """Map float bits to integers whose order is the floats' order (+0 and -0 both to 0)."""
    width = x.dtype.itemsize
    i = np.asarray(x).view(_INT_OF_WIDTH[width]).astype(np.int64)
    low = np.iinfo(_INT_OF_WIDTH[width]).min
    return np.where(i < 0, low - i, i)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Units in the last place between two real float arrays of one dtype (as Python-int-safe floats)."""
    return np.abs(_ordered(a).astype(np.float64) - _ordered(b).astype(np.float64))


def _same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    width = a.dtype.itemsize
    return np.asarray(a).view(_INT_OF_WIDTH[width]) == np.asarray(b).view(_INT_OF_WIDTH[width])


def _real_ok(a: np.ndarray, b: np.ndarray, tol: Tolerance) -> np.ndarray:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    nan_a, nan_b = np.isnan(a64), np.isnan(b64)
    ok = (nan_a & nan_b) | (_same_bits(a, b) & ~nan_a)
    if tol.ulps:
        finite = np.isfinite(a64) & np.isfinite(b64)
        ok |= finite & (ulp_distance(a, b) <= tol.ulps)
    return ok


def _close_ok(a: np.ndarray, b: np.ndarray, tol: Tolerance, scale: np.ndarray | float) -> np.ndarray:
    with np.errstate(all="ignore"):
        a128, b128 = a.astype(np.complex128), b.astype(np.complex128)
        finite = np.isfinite(a128) & np.isfinite(b128)
        bound = tol.rtol * np.abs(b128) + tol.atol * np.abs(np.asarray(scale, dtype=np.float64)) + tol.floor
        return finite & (np.abs(a128 - b128) <= bound)


def mismatches(
    actual: Any, expected: Any, tol: Tolerance = EXACT, scale: np.ndarray | float = 1.0
) -> np.ndarray | str:
    """A boolean mask of failing elements, or a string when dtype/shape differ."""
    a, b = np.asarray(actual), np.asarray(expected)
    if a.dtype != b.dtype:
        return f"dtype {a.dtype} != expected {b.dtype}"
    if a.shape != b.shape:
        return f"shape {a.shape} != expected {b.shape}"
    if a.dtype == dtypes.float0:
        return np.zeros(a.shape, bool)
    d = dtypes.canonicalize(a.dtype)
    if dtypes.is_complex(d):
        ok = _real_ok(a.real.copy(), b.real.copy(), tol) & _real_ok(a.imag.copy(), b.imag.copy(), tol)
    elif dtypes.is_float(d):
        ok = _real_ok(a, b, tol)
    else:
        return np.asarray(a != b)
    if tol.rtol or tol.atol or tol.floor:
        ok |= _close_ok(a, b, tol, np.broadcast_to(scale, a.shape))
    return ~ok


def seeded(examples: int) -> Callable[[Callable[[int], None]], Callable[[], None]]:
    """Run a check for ``examples`` Hypothesis-chosen integer seeds, the same ones every run
    (derandomized, no example database), without health checks (the checks are slow by design)."""

    def decorate(check: Callable[[int], None]) -> Callable[[], None]:
        run = settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(given(st.integers(0, 2**32 - 1))(check))
        return run  # type: ignore[no-any-return]

    return decorate


def report(actual: Any, expected: Any, bad: np.ndarray, tol: Tolerance, what: str = "") -> None:
    """Raise an AssertionError showing the first elements of ``bad`` (if any)."""
    if not bad.any():
        return
    a, b = np.asarray(actual), np.asarray(expected)
    idx = list(zip(*np.nonzero(bad), strict=True))[:5] if bad.ndim else [()]
    shown = "; ".join(f"at {tuple(int(k) for k in i)}: got {a[i]!r}, JAX {b[i]!r}" for i in idx)
    raise AssertionError(f"{what}: {int(bad.sum())} of {bad.size} elements differ ({tol}): {shown}")


def assert_close(
    actual: Any, expected: Any, tol: Tolerance = EXACT, scale: np.ndarray | float = 1.0, what: str = ""
) -> None:
    bad = mismatches(actual, expected, tol, scale)
    if isinstance(bad, str):
        raise AssertionError(f"{what}: {bad}")
    report(actual, expected, bad, tol, what)


def matches(actual: Any, expected: Any, tol: Tolerance = EXACT, scale: np.ndarray | float = 1.0) -> bool:
    bad = mismatches(actual, expected, tol, scale)
    return not isinstance(bad, str) and not bad.any()


# --- flush-to-zero (see DIVERGENCES["ftz"]) --------------------------------------------------------

_FLUSHED = (dtypes.bfloat16, dtypes.float32, dtypes.float64, dtypes.complex64, dtypes.complex128)


def _flush_real(x: np.ndarray) -> np.ndarray:
    tiny = dtypes.finfo(x.dtype).smallest_normal
    sub = (x != 0) & (np.abs(x.astype(np.float64)) < float(tiny))
    return np.where(sub, np.copysign(np.zeros((), x.dtype), x), x).astype(x.dtype)


def flush_subnormals(x: Any) -> Any:
    """Subnormals of FTZ dtypes replaced by zeros of the same sign; other values unchanged."""
    arr = np.asarray(x)
    if arr.dtype not in _FLUSHED:
        return x
    if dtypes.is_complex(arr.dtype):
        out = np.empty(arr.shape, arr.dtype)
        out.real, out.imag = _flush_real(arr.real.copy()), _flush_real(arr.imag.copy())
        return out
    return _flush_real(arr)


def is_subnormal(x: Any) -> np.ndarray:
    """Elementwise: a subnormal (or a complex with a subnormal part) of a flushing dtype."""
    arr = np.asarray(x)
    if arr.dtype not in _FLUSHED:
        return np.zeros(arr.shape, bool)
    parts = (arr.real, arr.imag) if dtypes.is_complex(arr.dtype) else (arr,)
    out = np.zeros(arr.shape, bool)
    for p in parts:
        tiny = float(dtypes.finfo(p.dtype).smallest_normal)
        out |= (p != 0) & (np.abs(p.astype(np.float64)) < tiny)
    return out


def has_subnormals(x: Any) -> bool:
    arr = np.asarray(x)
    if arr.dtype not in _FLUSHED:
        return False
    flat = np.ascontiguousarray(arr).reshape(-1)
    return not np.array_equal(np.asarray(flush_subnormals(flat)).view(np.uint8), flat.view(np.uint8))


# --- values: edge cases and Hypothesis strategies --------------------------------------------------


def edge_values(dtype: np.dtype) -> np.ndarray:
    """The edge values of ``dtype``: zeros of both signs, ±1, infinities, NaN, extremes, subnormals, ties."""
    d = np.dtype(dtype)
    if d == dtypes.bool_:
        return np.array([False, True])
    if dtypes.is_integer(d):
        info = np.iinfo(d)
        vals = {0, 1, 2, 7, info.max, info.max - 1, info.min, info.min + 1}
        if dtypes.is_signed_int(d):
            vals |= {-1, -2, -7}
        return np.array(sorted(vals), dtype=d)
    if dtypes.is_complex(d):
        part = [0.0, -0.0, 1.0, -1.5, 2.5, np.inf, -np.inf, np.nan]
        return np.array([complex(r, i) for r in part for i in part], dtype=d)
    fi = dtypes.finfo(d)
    big, tiny, sub = float(fi.max), float(fi.smallest_normal), float(fi.smallest_subnormal)
    vals = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -0.5,
        1.5,
        2.5,
        -2.5,
        3.0,
        0.1,
        -7.25,
        np.inf,
        -np.inf,
        np.nan,
        big,
        -big,
        tiny,
        -tiny,
        sub,
        -sub,
    ]
    return np.array(vals, dtype=np.float64).astype(d)


@dataclass(frozen=True)
class Domain:
    """An operand's values: ``any`` (edges, random), ``ints`` in [lo, hi), ``range`` floats in [lo, hi]."""

    kind: str = "any"
    lo: float = 0.0
    hi: float = 0.0


ANY = Domain()


def index_domain(n: int) -> Domain:
    return Domain("ints", 0, n)


def _random_floats(rng: np.random.Generator, n: int, dtype: np.dtype) -> np.ndarray:
    """A mix: edge values, moderate values, and values spread over the dtype's whole exponent range."""
    fi = dtypes.finfo(dtype)
    edges = edge_values(dtype).astype(np.float64)
    moderate = rng.uniform(-10.0, 10.0, n)
    exponent = rng.uniform(float(np.log2(fi.smallest_normal)), float(np.log2(fi.max)) - 1e-3, n)
    spread = np.exp2(exponent) * rng.choice([-1.0, 1.0], n)
    kind = rng.choice(3, n, p=[0.2, 0.4, 0.4])
    return np.where(kind == 0, rng.choice(edges, n), np.where(kind == 1, moderate, spread))


def random_array(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype, domain: Domain = ANY
) -> np.ndarray:
    """Random values of ``dtype`` in ``domain``: edges mixed with random values, reproducible from ``rng``."""
    d = np.dtype(dtype)
    n = math.prod(shape)
    if domain.kind == "ints":
        return rng.integers(int(domain.lo), int(domain.hi), n).astype(d).reshape(shape)
    if domain.kind == "range":
        if dtypes.is_complex(d):
            re, im = rng.uniform(domain.lo, domain.hi, n), rng.uniform(domain.lo, domain.hi, n)
            return complex_array(re, im, d).reshape(shape)
        return build_array(rng.uniform(domain.lo, domain.hi, n), shape, d)
    if d == dtypes.bool_:
        return rng.integers(0, 2, n).astype(bool).reshape(shape)
    if dtypes.is_integer(d):
        info = np.iinfo(d)
        full = rng.integers(int(info.min), int(info.max), n, dtype=d, endpoint=True)
        small = rng.integers(max(-10, int(info.min)), 11, n).astype(d)
        kind = rng.choice(3, n, p=[0.2, 0.4, 0.4])
        return np.where(kind == 0, rng.choice(edge_values(d), n), np.where(kind == 1, small, full)).reshape(
            shape
        )
    if dtypes.is_complex(d):
        part = dtypes.real_dtype(d)
        return complex_array(_random_floats(rng, n, part), _random_floats(rng, n, part), d).reshape(shape)
    return build_array(_random_floats(rng, n, d), shape, d)


def complex_array(re: Any, im: Any, dtype: np.dtype) -> np.ndarray:
    """``re + im j`` part by part (``1j * inf`` would make the real part NaN)."""
    out = np.empty(np.broadcast_shapes(np.shape(re), np.shape(im)), dtype)
    with np.errstate(over="ignore"):
        out.real, out.imag = re, im
    return out


def build_array(values: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    d = np.dtype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        if d == dtypes.bfloat16:
            return np.asarray(values, dtype=np.float64).astype(np.float32).astype(d).reshape(shape)
        return np.asarray(values).astype(d).reshape(shape)


# --- the primitive case table ----------------------------------------------------------------------


@dataclass(frozen=True)
class Operand:
    """One operand of a case: its shape, its dtype (``None``: the case's dtype), its values.

    ``smooth`` is the float range derivative tests draw from (away from kinks and poles).
    """

    shape: tuple[int, ...]
    dtype: np.dtype | None = None
    domain: Domain = ANY
    smooth: tuple[float, float] = (-2.0, 2.0)

    def dtype_for(self, case_dtype: np.dtype) -> np.dtype:
        return case_dtype if self.dtype is None else self.dtype

    def smooth_domain(self, case_dtype: np.dtype) -> Domain:
        d = self.dtype_for(case_dtype)
        if not dtypes.is_inexact(d):
            return self.domain if self.domain.kind == "ints" else Domain("ints", -3, 4)
        return Domain("range", *self.smooth)


ParamsFn = Callable[[np.dtype, Sequence[ShapedArray]], dict[str, Any]]


def _no_params(dtype: np.dtype, avals: Sequence[ShapedArray]) -> dict[str, Any]:
    return {}


NO_PARAMS: ParamsFn = _no_params


@dataclass(frozen=True)
class PrimCase:
    """One way of applying a primitive; tests run it for every dtype.

    ``jax_fn(params)`` returns the JAX function to compare with (default:
    bind the JAX primitive of the same name with the same params). ``edge``
    says how to build a deterministic edge-value input: ``"grid"`` (every
    combination of edge values, one per element, for elementwise ops) or
    ``"pairs"`` (every ordered pair of edge values along axis 1, for
    reductions over ``axes=(1,)``). ``scale(*inputs, **params)`` gives the
    magnitude "accumulate" tolerances are relative to. ``elementwise``
    cases broadcast their operands to the output (which lets
    :meth:`unchecked` find the elements a known divergence excuses).
    ``reject_code(dtype)`` is the error code the reference must raise where
    JAX rejects the operands. Every primitive has ``main`` cases, run for all
    15 dtypes by default; the others (shape and param variants) run for
    :data:`VARIANT_DTYPES` by default and for all dtypes in the slow sweep.
    ``only_dtypes`` limits a case to the dtypes it means something for;
    ``jax_always_raises`` marks a primitive that cannot be evaluated on its
    own in either system (``custom_lin``: forward mode of a custom_vjp).
    """

    primitive: str
    operands: tuple[Operand, ...]
    params: ParamsFn = NO_PARAMS
    tier: str = "exact"
    label: str = ""
    jax_fn: Callable[[dict[str, Any]], Callable[..., Any]] | None = None
    edge: str | None = None
    scale: Callable[..., Any] | None = None
    elementwise: bool = False
    reject_code: Callable[[np.dtype], str] = lambda dtype: "FJ-PRIM-DTYPE"
    main: bool = True
    only_dtypes: tuple[np.dtype, ...] | None = None
    jax_always_raises: bool = False

    @property
    def id(self) -> str:
        return f"{self.primitive}[{self.label}]" if self.label else self.primitive

    def avals(self, dtype: np.dtype, weak: Sequence[bool] | None = None) -> list[ShapedArray]:
        weak = weak or [False] * len(self.operands)
        return [ShapedArray(o.shape, o.dtype_for(dtype), w) for o, w in zip(self.operands, weak, strict=True)]

    def sample(self, dtype: np.dtype) -> list[np.ndarray]:
        """Deterministic valid operands: ones (zeros for index operands)."""
        out = []
        for o in self.operands:
            d = o.dtype_for(dtype)
            fill = 0 if o.domain.kind == "ints" and o.domain.lo <= 0 < o.domain.hi else 1
            out.append(np.full(o.shape, fill).astype(d))
        return out

    def unchecked(
        self,
        inputs: Sequence[np.ndarray],
        got: np.ndarray,
        scale: Any = 1.0,
        params: dict[str, Any] | None = None,
    ) -> np.ndarray:
        """Output elements excused by DIVERGENCES["subnormal-operands"] / ["complex-special-values"].

        For products and dot products of complex values, an output is excused when a term it
        accumulates is not finite, which is where ``scale`` (the op on magnitudes) is not finite.
        """
        shape = got.shape
        mask = np.zeros(shape, bool)
        elementary = self.tier in ELEMENTARY_TIERS
        if dtypes.is_complex(got.dtype) and (elementary or self.primitive in COMPLEX_SPECIAL_VALUES):
            mask |= ~(np.isfinite(got.real) & np.isfinite(got.imag)) | is_subnormal(got)
        if self.tier == "atan2" and dtypes.is_complex(got.dtype):  # DIVERGENCES["atan2"]: branch cuts
            mask |= np.abs(np.abs(got.real) - np.pi) < 1e-5
            mask |= _complex_atan2_unstable(inputs, shape, dtypes.real_dtype(got.dtype))
        if self.tier == "pow" and dtypes.is_complex(got.dtype):  # DIVERGENCES["pow"]: flushed intermediates
            mask |= _complex_pow_flushes(inputs, shape, dtypes.real_dtype(got.dtype))
        if (self.tier == "complex-arith" or elementary) and dtypes.is_complex(
            got.dtype
        ):  # DIVERGENCES["ftz"]
            mask |= _partial_products_flush(inputs, shape, dtypes.real_dtype(got.dtype))
        if self.primitive == "integer_pow" and params is not None:  # DIVERGENCES["ftz"]: x^k flushed
            x = np.abs(np.broadcast_to(inputs[0], shape).astype(np.complex128))
            tiny = float(dtypes.finfo(dtypes.real_dtype(got.dtype)).smallest_normal)
            with np.errstate(all="ignore"):
                power = x ** abs(params["y"])
            mask |= (x != 0) & (power < tiny) & (got.dtype in _FLUSHED)
        if self.tier == "div-broadcast" and dtypes.is_inexact(got.dtype):  # DIVERGENCES["div-broadcast"]
            fi = dtypes.finfo(dtypes.real_dtype(got.dtype))
            with np.errstate(all="ignore"):
                recip = np.abs(1 / np.broadcast_to(inputs[1], shape).astype(np.complex128))
            mask |= (recip != 0) & ((recip < float(fi.smallest_normal)) | (recip > float(fi.max)))
        cut = BRANCH_CUTS.get(self.primitive)
        if cut is not None and dtypes.is_complex(got.dtype):  # DIVERGENCES["branch-cuts"]
            z = np.broadcast_to(inputs[0], shape).astype(np.complex128)
            on_line, distance = cut(z)
            mask |= on_line & (distance > 0) & (distance <= 1e-6 * np.abs(z))
            huge = 1 / float(dtypes.finfo(dtypes.real_dtype(got.dtype)).eps)
            mask |= on_line & (distance == 0) & (np.abs(z) > huge)
        if not self.elementwise:
            if self.primitive in COMPLEX_SPECIAL_VALUES and any(dtypes.is_complex(x.dtype) for x in inputs):
                mask |= ~np.isfinite(np.broadcast_to(scale, shape))
            inexact = [x.dtype for x in inputs if dtypes.is_inexact(x.dtype)]
            if self.tier in ("accumulate", "reduction") and inexact:  # FMA vs overflow
                with np.errstate(invalid="ignore"):
                    big = min(float(dtypes.finfo(dtypes.real_dtype(d)).max) for d in inexact)
                    mask |= np.broadcast_to(scale, shape) > big
            if self.primitive == "reduce_prod" and inexact and params is not None:  # DIVERGENCES["reduction"]
                mask |= _partial_products_leave_range(inputs[0], params["axes"])
            return mask
        for x in inputs:
            xb = np.broadcast_to(x, shape)
            if elementary or self.primitive in SUBNORMAL_OPERANDS_UNCHECKED:
                mask |= is_subnormal(xb)
            if dtypes.is_complex(xb.dtype) and (elementary or self.primitive in COMPLEX_SPECIAL_VALUES):
                mask |= ~(np.isfinite(xb.real) & np.isfinite(xb.imag))
        return mask

    def fixed_inputs(self, dtype: np.dtype) -> list[np.ndarray]:
        """Deterministic operands in the case's value layout: the edge grid or pairs, else :meth:`sample`.

        Random inputs (:meth:`random_inputs`) have the same shapes, so JAX compiles each
        (case, dtype) once: compiling dominates the cost of these tests.
        """
        if self.edge is None:
            return self.sample(dtype)
        pools = [_edge_pool(o, dtype) for o in self.operands]
        if self.edge == "grid":
            combos = list(itertools.product(*(range(len(p)) for p in pools)))
            combos = combos[:: -(-len(combos) // MAX_GRID)]  # a deterministic subset of huge grids
            index = np.array(combos).reshape(len(combos), len(pools))
            return [p[index[:, i]] for i, p in enumerate(pools)]
        assert self.edge == "pairs" and len(pools) == 1
        (pool,) = pools
        n = len(pool)
        return [np.stack([np.repeat(pool, n), np.tile(pool, n)], axis=1)]

    def random_inputs(self, dtype: np.dtype, seed: int, smooth: bool = False) -> list[np.ndarray]:
        """Operands shaped like :meth:`fixed_inputs` with random values (``smooth``: in each operand's
        derivative-friendly range, and shaped like :meth:`sample`)."""
        rng = np.random.default_rng(seed)
        shapes = [o.shape for o in self.operands] if smooth else [x.shape for x in self.fixed_inputs(dtype)]
        return [
            random_array(rng, shape, o.dtype_for(dtype), o.smooth_domain(dtype) if smooth else o.domain)
            for o, shape in zip(self.operands, shapes, strict=True)
        ]


def _complex_atan2_unstable(
    inputs: Sequence[np.ndarray], shape: tuple[int, ...], part: np.dtype
) -> np.ndarray:
    """Where -i log((y + ix) / sqrt(x² + y²)) is ill-conditioned: x² + y² near the negative real axis
    (the square root's branch cut flips the result by π), near 0, or overflowing the component type."""
    x = np.broadcast_to(inputs[0], shape).astype(np.complex128)
    y = np.broadcast_to(inputs[1], shape).astype(np.complex128)
    fi = dtypes.finfo(part)
    with np.errstate(all="ignore"):
        s = x * x + y * y
        big = np.maximum(np.abs(x), np.abs(y)) ** 2
        near_cut = (s.real < 0) & (np.abs(s.imag) <= 1e-4 * np.abs(s))
        return (
            near_cut | (np.abs(s) <= 1e-4 * big) | ~(big < float(fi.max)) | (big < float(fi.smallest_normal))
        )


#: complex branch cuts: (on the cut's line, distance from it) for an argument z
BRANCH_CUTS: dict[str, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    **dict.fromkeys(("atan", "asinh"), lambda z: (np.abs(z.imag) > 1, np.abs(z.real))),
    **dict.fromkeys(("atanh", "asin", "acos"), lambda z: (np.abs(z.real) > 1, np.abs(z.imag))),
    "acosh": lambda z: (z.real < 1, np.abs(z.imag)),
    **dict.fromkeys(("log", "sqrt", "rsqrt"), lambda z: (z.real < 0, np.abs(z.imag))),
    "log1p": lambda z: (z.real < -1, np.abs(z.imag)),
}


def _partial_products_flush(
    inputs: Sequence[np.ndarray], shape: tuple[int, ...], part: np.dtype
) -> np.ndarray:
    """Where a product of two nonzero parts of the complex operands is subnormal (XLA flushes it)."""
    tiny = float(dtypes.finfo(part).smallest_normal)
    parts = []
    for x in inputs:
        xb = np.broadcast_to(x, shape).astype(np.complex128)
        parts += [np.abs(xb.real), np.abs(xb.imag)]
    out = np.zeros(shape, bool)
    with np.errstate(all="ignore"):
        for p, q in itertools.combinations_with_replacement(parts, 2):
            pq = p * q
            out |= (p != 0) & (q != 0) & (pq < tiny)
    return out


def _partial_products_leave_range(x: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    """Where some partial product of the reduced elements (in some order) could overflow or underflow."""
    fi = dtypes.finfo(dtypes.real_dtype(x.dtype))
    with np.errstate(all="ignore"):
        mag = np.abs(np.asarray(x).astype(np.complex128))
        big = np.prod(np.maximum(mag, 1.0), axis=tuple(axes))
        nonzero = np.where(mag == 0, 1.0, mag)
        small = np.prod(np.minimum(nonzero, 1.0), axis=tuple(axes))
    return (big > float(fi.max)) | (small < float(fi.smallest_normal))


def _complex_pow_flushes(inputs: Sequence[np.ndarray], shape: tuple[int, ...], part: np.dtype) -> np.ndarray:
    """Where an intermediate of XLA's complex pow (a²+b², (a²+b²)^(c/2), e^(-dθ)) leaves the normal range."""
    x = np.broadcast_to(inputs[0], shape).astype(np.complex128)
    y = np.broadcast_to(inputs[1], shape).astype(np.complex128)
    fi = dtypes.finfo(part)
    with np.errstate(all="ignore"):
        norm = x.real**2 + x.imag**2
        factors = (norm, norm ** (y.real / 2), np.exp(-y.imag * np.angle(x)))
    out = np.zeros(shape, bool)
    for f in factors:
        out |= (f != 0) & ((f < float(fi.smallest_normal)) | (f > float(fi.max)))
    return out


def _edge_pool(o: Operand, dtype: np.dtype) -> np.ndarray:
    d = o.dtype_for(dtype)
    if o.domain.kind == "ints":
        return np.arange(int(o.domain.lo), int(o.domain.hi)).astype(d)
    return edge_values(d)


#: largest edge grid (a ternary grid of complex edge values would have 262144 elements)
MAX_GRID = 8192
#: dtypes that secondary cases (shape variants) run with by default; every dtype in the slow sweep
VARIANT_DTYPES = (dtypes.float32,)


def jax_primitive(name: str) -> Any:
    """The JAX primitive a case binds by default (its spec's ``jax_name``: ``add_any`` is ``add_jaxvals``)."""
    return getattr(jprims, spec_for(name).jax_primitive + "_p")


def to_jax_params(params: dict[str, Any]) -> dict[str, Any]:
    """The reference's params as JAX's primitives take them (JAX enums for enum params)."""
    out = dict(params)
    if "rounding_method" in out:
        out["rounding_method"] = jlax.RoundingMethod[out["rounding_method"]]
    if out.get("precision") is not None:
        out["precision"] = tuple(None if p is None else jlax.Precision[p] for p in out["precision"])
    return out


def jax_callable(case: PrimCase, params: dict[str, Any]) -> Callable[..., Any]:
    if case.jax_fn is not None:
        return case.jax_fn(params)
    prim = jax_primitive(case.primitive)
    jparams = to_jax_params(params)
    return lambda *xs: prim.bind(*xs, **jparams)


def ref_callable(case: PrimCase, params: dict[str, Any]) -> Callable[..., Any]:
    from frankenjax_ref.core.primitive import PRIMITIVES

    prim = PRIMITIVES[case.primitive]
    return lambda *xs: prim.bind(*xs, **params)


# --- the cases, generated from the primitives' case specs (harness/conformance/specs) -----------------

#: the shape of an elementwise operand (``Arg(shape=None)``) in these tests
S = UNIT_SHAPE
#: what a spec's ``jax_fn(ns, params)`` builds JAX's side from
JAX_NS = types.SimpleNamespace(name="jax", jnp=jax.numpy, lax=jlax, nn=jax.nn, api=jax)


def _operand(arg: Arg) -> Operand:
    domain = Domain("ints", arg.domain.lo, arg.domain.hi) if isinstance(arg.domain, Ints) else ANY
    dtype = None if arg.dtype is None else dtypes.from_name(arg.dtype)
    return Operand(arg.shape if arg.shape is not None else S, dtype, domain, arg.smooth_range())


def _jax_fn(row: PrimitiveSpec) -> Callable[[dict[str, Any]], Callable[..., Any]] | None:
    build = row.jax_fn
    if build is None:
        return None
    return lambda params: build(JAX_NS, params)


def prim_case(row: PrimitiveSpec, v: Variant) -> PrimCase:
    """The unit-test case of one variant of a spec row."""
    only = None if v.dtypes is None else tuple(d for d in ALL_DTYPES if dtypes.name_of(d) in v.dtypes)
    assert v.tier is not None and v.edge in (None, "grid", "pairs")
    return PrimCase(
        row.primitive,
        tuple(_operand(a) for a in v.args),
        v.params_for,
        v.tier,
        v.label,
        jax_fn=_jax_fn(row),
        edge=v.edge,
        scale=v.scale,
        elementwise=row.elementwise,
        reject_code=v.reject_code_for,
        main=v.main,
        only_dtypes=only,
        jax_always_raises=row.jax_always_raises,
    )


#: every primitive's unit-test cases, from its spec row
CASES: dict[str, list[PrimCase]] = {
    name: [prim_case(row, v) for v in row.unit_variants()] for name, row in specs().items()
}


def all_cases() -> list[PrimCase]:
    return [c for cs in CASES.values() for c in cs]
