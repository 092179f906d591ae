"""The reference's complex kernels against live JAX on a dense grid of finite complex values.

XLA does not compute complex functions the C99 way NumPy does: each is expanded into real
operations on the parts (JAX's ``_sin_complex``, chlo decompositions from functional_algorithms,
XLA's elemental emitter), and those expansions decide the signs of zero parts and the last bits.
The catalog's fixtures check a handful of edge values per primitive; this grid crosses every
part in ``PARTS`` with every other (zeros of both signs, values near 1 where cancellation
happens, tiny and large magnitudes), so a kernel that agrees only on the catalog's points fails
here. Signed zeros are compared exactly (the default tier's policy); other finite values to
the conformance ``composite`` tier (64 ULP), since NumPy's real sin/exp/log are not XLA's.
A second grid crosses 0, -0, 1, -1.5, ±inf and NaN parts, where XLA's kernels make their own
choices (C99's recoveries in division, NaN + NaN i for sqrt and log1p of a NaN part, signed zeros
for rsqrt of an infinite part); a third draws random finite values.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import jax
import numpy as np
import pytest
from jax import lax

from frankenjax_ref import lax as fj_lax
from harness.conformance.compare import compare, tolerance_for

jax.config.update("jax_enable_x64", True)

PARTS = (0.0, -0.0, 1e-3, -1e-3, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 3.0, -7.25, 1e3, -1e3)

UNARY = (
    "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos", "atan", "asinh", "acosh",
    "atanh", "exp", "exp2", "expm1", "log", "log1p", "sqrt", "rsqrt", "square", "abs", "logistic",
    "sign",
)  # fmt: skip
BINARY = ("mul", "div", "pow", "atan2", "add", "sub")


SPECIAL_PARTS = (0.0, -0.0, 1.0, -1.5, math.inf, -math.inf, math.nan)
DTYPES = pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=lambda d: np.dtype(d).name)


def _grid(dtype: Any, parts: tuple[float, ...] = PARTS) -> np.ndarray:
    values = [complex(re, im) for re, im in itertools.product(parts, parts)]
    out = np.empty(len(values), dtype)
    out.real = [v.real for v in values]  # part by part: complex(-0.0, x) keeps its sign only this way
    out.imag = [v.imag for v in values]
    return out


# complex64 atan2 has points where XLA's own result is rounding noise. atan2(y, x) = arg w - i log|w|,
# w = (x + iy) / sqrt(x² + y²), is formed as the complex product -i (log|w| + i arg w). With y = 0
# the exact answer has a zero imaginary part, or lies on the branch cut (real part ±pi), and which
# side XLA lands on is decided by a residue of an ulp in Im w from its float32 sqrt and division
# (its own polynomials, not NumPy's): JAX gives atan2(0, -1+0.001j) = -3.1415927 - 1.2e-07j in
# complex64 and +3.141592653589793 + 2.2e-16j in complex128; atan2(0, 0.5-1.5j) has real part
# +4.5e-8 and imaginary part +0, the reference -3.6e-8 and -0 (the zero is 0 * arg w, so its sign is
# the residue's). There an element passes when it matches JAX's complex64 result or JAX's complex128
# result rounded to complex64 (the exact answer's side), under the same tolerance with signs of
# zeros not compared; complex128 is compared strictly everywhere.
NOISY_AT_COMPLEX64 = {"atan2"}


def _check(name: str, actual: Any, expected: Any, dtype: Any, expected_wide: Any = None) -> None:
    tolerance = tolerance_for(dtype, "composite")
    actual, expected = np.asarray(actual), np.asarray(expected)
    if expected_wide is not None:
        tolerance = dataclasses.replace(tolerance, signed_zeros=False)
        wide = np.asarray(expected_wide).astype(dtype)
        for i in range(actual.size):
            if not compare(expected[i], actual[i], tolerance).ok:
                result = compare(wide[i], actual[i], tolerance)
                assert result.ok, f"{name} at {i}: got {actual[i]}, JAX {expected[i]} (complex128: {wide[i]})"
        return
    result = compare(expected, actual, tolerance)
    where = f" at {result.worst_index}: got {result.actual_value}, JAX {result.expected_value}"
    assert result.ok, f"{name} {np.dtype(dtype).name}: {result.message}{where}"


@DTYPES
@pytest.mark.parametrize("name", UNARY)
def test_unary_complex_kernel_matches_jax(name: str, dtype: Any) -> None:
    x = _grid(dtype)
    expected = jax.jit(getattr(lax, name))(x)
    _check(name, getattr(fj_lax, name)(x), expected, dtype)


@DTYPES
@pytest.mark.parametrize("name", BINARY)
def test_binary_complex_kernel_matches_jax(name: str, dtype: Any) -> None:
    grid = _grid(dtype)
    x, y = (a.reshape(-1) for a in np.meshgrid(grid[::7], grid[::5], indexing="ij"))
    expected = jax.jit(getattr(lax, name))(x, y)
    wide = None
    if name in NOISY_AT_COMPLEX64 and np.dtype(dtype) == np.complex64:
        wide = jax.jit(getattr(lax, name))(x.astype(np.complex128), y.astype(np.complex128))
    _check(name, getattr(fj_lax, name)(x, y), expected, dtype, wide)


def _pairs(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every value of ``x`` against every value of ``y``."""
    a, b = np.meshgrid(x, y, indexing="ij")
    return a.reshape(-1), b.reshape(-1)


@DTYPES
@pytest.mark.parametrize("name", UNARY + BINARY)
def test_complex_kernel_matches_jax_on_special_values(name: str, dtype: Any) -> None:
    grid = _grid(dtype, SPECIAL_PARTS)
    args = _pairs(grid, grid) if name in BINARY else (grid,)
    with np.errstate(all="ignore"):
        expected = jax.jit(getattr(lax, name))(*args)
        actual = getattr(fj_lax, name)(*args)
    _check(name, actual, expected, dtype)


# pow on random values only near the unit circle: its result is |x|^c e^(-d t) (cos q + i sin q) with
# q = c t + d log|x|, so the last-bit differences between NumPy's and XLA's real exp, log, sin and cos
# grow with |q|; at |x|, |y| ~ 30 they pass 1e-5 in complex64 (a parts' comparison then measures the
# two libms, not the kernel's formula).
RANDOM_SCALES = {"pow": (1.0,)}


@DTYPES
@pytest.mark.parametrize("name", UNARY + BINARY)
def test_complex_kernel_matches_jax_on_random_values(name: str, dtype: Any) -> None:
    rng = np.random.default_rng(2026)
    for scale in RANDOM_SCALES.get(name, (1.0, 3.0, 30.0)):
        x, y = (
            (rng.uniform(-scale, scale, 2000) + 1j * rng.uniform(-scale, scale, 2000)).astype(dtype)
            for _ in range(2)
        )
        args = (x, y) if name in BINARY else (x,)
        with np.errstate(all="ignore"):
            expected = jax.jit(getattr(lax, name))(*args)
            actual = getattr(fj_lax, name)(*args)
        _check(f"{name} at scale {scale}", actual, expected, dtype)
