"""Complex kernels as XLA computes them, part by part.

NumPy's complex functions follow C99 (Annex G); XLA computes each complex function from
real operations on the parts with its own formulas, and on finite inputs the two differ
in the signs of zero parts (exp(-0j) is 1+0j in XLA, 1-0j in C99) and in the last bits.
These kernels follow XLA's formulas operation by operation (its HLO expansion of the op,
a chlo decomposition from functional_algorithms, or its elemental emitter for ops it keeps
whole), so every select, product and sum, and with it every signed zero, is XLA's; the
real functions they call (sin, exp, log1p, ...) are NumPy's, which agree with XLA's to an
ulp or so. Kernels map parts to parts (``re, im -> re, im``) so they compose as XLA's
expansions do (sinh through exp, atan through atanh). On infinite and NaN parts they make
XLA's choices too (C99's recoveries in division, NaN + NaN i from sqrt and log1p of a NaN
part, signed zeros from rsqrt of an infinite part). ``tests/test_complex_kernels.py`` checks
every kernel against live JAX on finite, special and random values.
"""

from __future__ import annotations

import math
import types
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes


def from_parts(re: np.ndarray, im: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``re + im*j`` built part by part, so signed zeros, infinities and NaNs are kept exactly."""
    out = np.empty(np.broadcast_shapes(np.shape(re), np.shape(im)), dtype)
    out.real, out.imag = re, im
    return out


def real_rsqrt(x: np.ndarray) -> np.ndarray:
    """1 / sqrt(x) in ``x``'s dtype, two roundings as XLA's CPU rsqrt (no fast reciprocal estimate)."""
    return np.ones((), x.dtype) / np.sqrt(x)


Parts = tuple[Any, Any]


def _in_double(fn: Any) -> Any:
    """``fn`` evaluated in float64 and rounded to its arguments' dtype: NumPy's float32 kernels are a
    few ulps off in places where XLA's are within an ulp, and double precision rounded once is closer."""

    def wrapped(*args: Any) -> Any:
        dtype = np.result_type(*args)
        return np.asarray(fn(*(np.asarray(a, np.float64) for a in args))).astype(dtype)

    return wrapped


# the real functions the kernels call, each evaluated in double precision and rounded once
_REAL_FUNCTIONS = ("sin", "cos", "exp", "expm1", "log", "log1p", "arctan2", "power")
_real = types.SimpleNamespace(**{name: _in_double(getattr(np, name)) for name in _REAL_FUNCTIONS})


def _two_sum(a: Any, b: Any) -> Parts:
    """(s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth)."""
    s = a + b
    b_virtual = s - a
    return s, (a - (s - b_virtual)) + (b - b_virtual)


def _veltkamp_split(a: Any) -> Parts:
    """(hi, lo) with hi + lo = a exactly and hi, lo of half the precision, so their products are exact."""
    scaled = a * _veltkamp(a)
    hi = scaled - (scaled - a)
    return hi, a - hi


def _two_prod(a: Any, b: Any) -> Parts:
    """(p, e) with p = fl(a * b) and p + e = a * b exactly (Dekker)."""
    p = a * b
    a_hi, a_lo = _veltkamp_split(a)
    b_hi, b_lo = _veltkamp_split(b)
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _fma(a: Any, b: Any, c: Any) -> Any:
    """a * b + c rounded once.

    XLA's CPU code generator lets LLVM contract a product feeding a sum into a fused multiply-add,
    so its kernels round ``a*b + c`` once; this emulates that exactly in NumPy (Boldo and
    Melquiond's three-term sum with the tail rounded to odd; exact unless the product's error
    term underflows; where a term overflows, the result is the plain sum's inf or NaN).
    """
    dtype = np.result_type(a, b, c)  # Python-float constants take the arrays' dtype
    a, b, c = (np.asarray(v, dtype) for v in (a, b, c))
    p, p_err = _two_prod(a, b)
    u, u_err = _two_sum(p_err, c)
    t, t_err = _two_sum(p, u)
    tail, tail_err = _two_sum(t_err, u_err)
    bits = np.asarray(tail).view(np.int32 if tail.dtype == np.float32 else np.int64)
    inexact_even = (tail_err != 0) & (np.bitwise_and(bits, 1) == 0)
    toward_error = np.where(tail_err > 0, np.inf, -np.inf).astype(tail.dtype)
    tail = np.where(inexact_even, np.nextafter(tail, toward_error), tail)
    fused = t + tail
    # an exact zero takes its sign from the product and c; where the error terms overflow (a
    # product or sum beyond the finite range) the plain sum has the fused result's inf or NaN
    return np.where((fused == 0) | np.isnan(fused), p + c, fused)


def _scaled(a: Any, b: Any) -> tuple[Any, Any, Any]:
    """max(|a|, |b|), min(|a|, |b|) and their ratio: how XLA's kernels take |z| without overflow."""
    abs_a, abs_b = np.abs(a), np.abs(b)
    hi, lo = np.maximum(abs_a, abs_b), np.minimum(abs_a, abs_b)
    return hi, lo, lo / hi


def _cmul(a: Any, b: Any, c: Any, d: Any) -> Parts:
    """(a+bi)(c+di) as XLA multiplies: (ac - bd) + (bc + ad)i, with ac and bc fused into their sums
    (bit for bit with jaxlib 0.10.2 on 20,000 random products per dtype; fusing ad instead matches
    65% of imaginary parts)."""
    return _fma(a, c, -(b * d)), _fma(b, c, a * d)


def divide_parts(a: Any, b: Any, c: Any, d: Any) -> Parts:
    """(a+bi)/(c+di) as XLA divides (MLIR's complex-to-standard lowering): Smith's algorithm, the
    larger part of the divisor scaled to 1 (products fused into their sums); where that gives
    NaN + NaN i, C99's recoveries, in order: a zero divisor gives copysign(inf, c) times each part
    of a numerator that is not NaN + NaN i; an infinite numerator over a finite divisor, inf times
    the quotient of the numerator's unit infinities; a finite numerator over an infinite divisor,
    zero times the quotient of the numerator over the divisor's unit infinities."""
    c_over_d = c / d
    d_over_c = d / c
    c_smaller = np.abs(c) < np.abs(d)
    den_d = _fma(c_over_d, c, d)
    den_c = _fma(d_over_c, d, c)
    re = np.where(c_smaller, _fma(c_over_d, a, b) / den_d, _fma(d_over_c, b, a) / den_c)
    im = np.where(c_smaller, _fma(c_over_d, b, -a) / den_d, _fma(-d_over_c, a, b) / den_c)
    nan = np.isnan(re) & np.isnan(im)

    def unit_inf(x: Any) -> Any:
        return np.copysign(np.where(np.isinf(x), 1.0, 0.0), x)

    numerator_finite, divisor_finite = np.isfinite(a) & np.isfinite(b), np.isfinite(c) & np.isfinite(d)
    numerator_inf, divisor_inf = np.isinf(a) | np.isinf(b), np.isinf(c) | np.isinf(d)
    zero_divisor = nan & (c == 0) & (d == 0) & ~(np.isnan(a) & np.isnan(b))
    inf_over_finite = nan & numerator_inf & divisor_finite
    finite_over_inf = nan & numerator_finite & divisor_inf
    ua, ub, uc, ud = unit_inf(a), unit_inf(b), unit_inf(c), unit_inf(d)
    cases = [
        (zero_divisor, (np.copysign(np.inf, c) * a, np.copysign(np.inf, c) * b)),
        (inf_over_finite, (np.inf * (ua * c + ub * d), np.inf * (ub * c - ua * d))),
        (finite_over_inf, (0.0 * (a * uc + b * ud), 0.0 * (b * uc - a * ud))),
    ]
    for where, (fix_re, fix_im) in reversed(cases):  # the first matching case wins
        re, im = np.where(where, fix_re, re), np.where(where, fix_im, im)
    return re, im


def exp_parts(a: Any, b: Any) -> Parts:
    """e^a (cos b + i sin b); where e^a overflows, (e^(a/2) cos b) e^(a/2); a real argument gives +0j."""
    e = _real.exp(a)
    half = _real.exp(a * 0.5)
    overflow = e == np.inf
    cos_b, sin_b = _real.cos(b), _real.sin(b)
    re = np.where(overflow, half * cos_b * half, e * cos_b)
    im = np.where(b == 0, 0.0, np.where(overflow, half * sin_b * half, e * sin_b))
    return re, im


def exp2_parts(a: Any, b: Any) -> Parts:
    """exp(z ln 2), the product taken as a complex one (ln 2 + 0i)."""
    return exp_parts(*_cmul(a, b, _LN2, 0.0))


def _sinh_cosh_terms(a: Any, b: Any) -> tuple[Parts, Parts]:
    """e^z / 2 and e^-z / 2 as XLA forms them for sinh and cosh: exp(z - ln 2) and exp(-ln 2 - z)."""
    return exp_parts(a - _LN2, b + 0.0), exp_parts(-_LN2 - a, 0.0 - b)


def sinh_parts(a: Any, b: Any) -> Parts:
    (pr, pi), (mr, mi) = _sinh_cosh_terms(a, b)
    return pr - mr, pi - mi


def cosh_parts(a: Any, b: Any) -> Parts:
    (pr, pi), (mr, mi) = _sinh_cosh_terms(a, b)
    return pr + mr, pi + mi


def _sin_cos_terms(a: Any, b: Any) -> tuple[Any, Any, Any, Any]:
    """sin a, cos a, sinh b, cosh b as JAX's complex sin/cos lowering forms them (from expm1)."""
    e_plus, e_minus = _real.expm1(b), _real.expm1(-b)
    return _real.sin(a), _real.cos(a), (e_plus - e_minus) * 0.5, (e_plus + e_minus + 2) * 0.5


def sin_parts(a: Any, b: Any) -> Parts:
    """JAX's ``_sin_complex``: sin a cosh b + i cos a sinh b, the real part +0 where a == 0."""
    sin_a, cos_a, sinh_b, cosh_b = _sin_cos_terms(a, b)
    return np.where(a == 0, 0.0, sin_a * cosh_b), cos_a * sinh_b


def cos_parts(a: Any, b: Any) -> Parts:
    """JAX's ``_cos_complex``: cos a cosh b - i sin a sinh b, the imaginary part +0 where a == 0."""
    sin_a, cos_a, sinh_b, cosh_b = _sin_cos_terms(a, b)
    return cos_a * cosh_b, np.where(a == 0, 0.0, -sin_a * sinh_b)


def _square_error(x: Any) -> Any:
    """x*x - fl(x*x) exactly (Dekker's product with Veltkamp's split), summed in the order XLA's
    complex log sums it."""
    hi, lo = _veltkamp_split(x)
    return -(x * x) + hi * hi + hi * lo + hi * lo + lo * lo


def _veltkamp(x: Any) -> float:
    """Veltkamp's splitting constant 2**ceil(p/2) + 1 for the precision p of ``x``'s dtype."""
    return 4097.0 if np.asarray(x).dtype == np.float32 else 134217729.0


def log_parts(a: Any, b: Any) -> Parts:
    """log|z| + i atan2(b, a); log|z| = log1p(a² + b² - 1) / 2 near |z| = 1, with a² + b² - 1 summed
    exactly (Dekker), else log(max) + log1p((min/max)²) / 2 (XLA's complex log expansion)."""
    aa, bb = a * a, b * b
    b_larger = bb > aa
    big, small = np.where(b_larger, bb, aa), np.where(b_larger, aa, bb)
    big_m1 = big + -1.0
    s1 = big_m1 + small
    bb_err, aa_err = _square_error(b), _square_error(a)
    s2 = s1 + bb_err
    s3 = s2 + aa_err
    # two-sum corrections of the three additions
    err = (big - big) + (small - (s1 - big_m1))
    err = err + (bb_err - (s2 - s1))
    err = err + (aa_err - (s3 - s2))
    norm_m1 = s3 + err
    near_one = np.abs(norm_m1) < 0.5
    hi, lo, ratio = _scaled(a, b)
    ratio = np.where(lo == hi, 1.0, ratio)
    log_abs = np.where(near_one, _real.log1p(norm_m1) * 0.5, _real.log(hi) + _real.log1p(ratio * ratio) * 0.5)
    return log_abs, _real.arctan2(b, a)


def atanh_parts(a: Any, b: Any) -> Parts:
    """XLA's complex atanh (functional_algorithms): re = sign(a) log1p(4 |a| / ((1-|a|)² + b²)) / 4,
    im = atan2(2b, (1-|a|)(1+|a|) - b²) / 2, with rescaled forms beyond ``_atanh_safe_max``."""
    safe_max, inv_eps = _atanh_limits(a)
    abs_a, abs_b = np.abs(a), np.abs(b)
    safe = (abs_a < safe_max) & (abs_b < safe_max)
    one_m = 1 - abs_a
    bb = b * b
    infinite = np.isinf(a) | np.isinf(b)
    quotient = np.where(
        safe,
        abs_a / _fma(one_m, one_m, bb),
        np.where(
            abs_b * inv_eps < abs_a,
            1 / abs_a,
            np.where(infinite, 0.0, 1 / ((abs_a / b + b / abs_a) * b)),
        ),
    )
    re = np.where(a >= 0, 1.0, -1.0) * _real.log1p(quotient * 4) * 0.25
    unsafe_im = np.where(b >= 0, 1.0, -1.0) * np.pi
    im = np.where(safe, _real.arctan2(b + b, _fma(one_m, abs_a + 1, -bb)), unsafe_im)
    return re, im * 0.5


def atan_parts(a: Any, b: Any) -> Parts:
    """atan z = -i atanh(i z)."""
    re, im = atanh_parts(-b, a)
    return im, -re


def _hypot(x: Any, y: Any) -> Any:
    """sqrt(x² + y²) for x, y >= 0 as functional_algorithms scales it (max sqrt(1 + (min/max)²))."""
    hi, lo = np.maximum(x, y), np.minimum(x, y)
    ratio = lo / hi
    rr = ratio * ratio
    root = np.sqrt(_fma(ratio, ratio, 1.0))  # XLA fuses this product into the sum (it computes it apart)
    return np.where(hi == lo, hi * _SQRT2, np.where((root == 1) & (rr > 0), hi + hi * rr / 2, hi * root))


def _asin_terms(x: Any, y: Any) -> Parts:
    """For x = |Re w|, y = |Im w|: the (d, m) with asin w = atan2(Re w, d) ± i m (sign of Im w), in
    XLA's formulation (functional_algorithms, after Hull et al.); acos, asinh, acosh reuse them."""
    safe_max, safe_min = _asin_limits(x)
    xp1, xm1 = x + 1, x - 1
    r, s = _hypot(np.abs(xp1), y), _hypot(np.abs(xm1), y)
    a = (r + s) * 0.5
    half_apx = (a + x) * 0.5
    yy = y * y
    rpxp1 = r + xp1
    smxm1 = s - xm1
    spxm1 = s + xm1
    d = np.where(
        np.maximum(x, y) >= safe_max,
        y,
        np.where(
            x <= 1,
            np.sqrt(half_apx * (yy / rpxp1 + smxm1)),
            y * np.sqrt(half_apx / rpxp1 + half_apx / spxm1),
        ),
    )
    # m = log(a + sqrt(a² - 1)), a = (|w+1| + |w-1|) / 2, from am1 = a - 1 computed without cancellation
    opt_max = np.where(x < safe_max * 1e12, safe_max * 1e-6, safe_max * 1e2)
    y_large = y >= opt_max
    big = np.where(y_large, y, x)
    large = big >= np.where(y_large, opt_max, safe_max)
    x_over_y = np.where(y_large & ~np.isinf(y), x / y, 0.0)
    m_large = _real.log(big) + _LN2 + _real.log1p(x_over_y * x_over_y) * 0.5
    tiny = (y < safe_min) & (x < 1)
    ap1 = a + 1
    half_yy = yy * 0.5
    am1 = np.where(
        tiny,
        -(xp1 * xm1 / ap1),
        np.where(
            x >= 1,
            half_yy / rpxp1 + spxm1 * 0.5,
            np.where(a <= 1.5, half_yy / rpxp1 + half_yy / smxm1, a - 1),
        ),
    )
    root = np.sqrt(am1 * ap1)
    m = np.where(large, m_large, np.where(tiny, y / root, _real.log1p(am1 + root)))
    return d, m


def asin_parts(a: Any, b: Any) -> Parts:
    d, m = _asin_terms(np.abs(a), np.abs(b))
    return _real.arctan2(a, d), np.where(b < 0, -m, m)


def acos_parts(a: Any, b: Any) -> Parts:
    d, m = _asin_terms(np.abs(a), np.abs(b))
    return _real.arctan2(d, a), np.where(b < 0, m, -m)


def asinh_parts(a: Any, b: Any) -> Parts:
    d, m = _asin_terms(np.abs(b), np.abs(a))
    return np.where(a < 0, -m, m), _real.arctan2(b, d)


def acosh_parts(a: Any, b: Any) -> Parts:
    d, m = _asin_terms(np.abs(a), np.abs(b))
    angle = _real.arctan2(d, a)
    return m, np.where(b < 0, -angle, angle)


def _polynomial(x: Any, coefficients: tuple[float, ...]) -> Any:
    """Horner's rule from the highest coefficient, each step one fused multiply-add (XLA's
    ``EvaluatePolynomial``)."""
    acc = np.zeros_like(x)
    for c in coefficients:
        acc = _fma(acc, x, c)
    return acc


# Cephes' cosm1 coefficients, highest power first (XLA's ``EmitCosm1``)
_COSM1_COEFFICIENTS = (
    4.7377507964246204691685e-14,
    -1.1470284843425359765671e-11,
    2.0876754287081521758361e-9,
    -2.7557319214999787979814e-7,
    2.4801587301570552304991e-5,
    -1.3888888888888872993737e-3,
    4.1666666666666666609054e-2,
)


def _cosm1(x: Any) -> Any:
    """cos x - 1 without cancellation: -x²/2 + x⁴ P(x²) for x² <= 0.61685 (about (pi/4)²), else cos x - 1."""
    xx = x * x
    small = _fma(xx * xx, _polynomial(xx, _COSM1_COEFFICIENTS), -0.5 * xx)
    return np.where(xx > 0.61685, _real.cos(x) + -1.0, small)


def complex_abs(a: Any, b: Any) -> Any:
    """XLA's complex abs: max sqrt(1 + (min/max)²), min where that is NaN (zero, inf or NaN parts)."""
    hi, lo, ratio = _scaled(a, b)
    result = hi * np.sqrt(_fma(ratio, ratio, 1.0))
    return np.where(np.isnan(result), lo, result)


def tanh_parts(a: Any, b: Any) -> Parts:
    """XLA's complex tanh: (e^2a - e^-2a + 4i sin b cos b) / (e^2a + e^-2a - 2 + 4 cos² b), the
    exponentials from expm1; real part ±1 where e^2a overflows, imaginary part +0 where b == 0 and
    where e^2a overflows with b infinite or NaN (elsewhere the sign of sin b cos b over infinity)."""
    two_a = a + a
    e_plus, e_minus = _real.expm1(two_a), _real.expm1(-1.0 * two_a)
    cos_b, sin_b = _real.cos(b), _real.sin(b)
    exp_sum_m2 = e_plus + e_minus
    denom = _fma(cos_b * cos_b, 4.0, exp_sum_m2)
    re = np.where(exp_sum_m2 == np.inf, np.copysign(1.0, a), (e_plus - e_minus) / denom)
    im = np.where((b == 0) | ((exp_sum_m2 == np.inf) & ~np.isfinite(b)), 0.0, 4 * (cos_b * sin_b) / denom)
    return re, im


def logistic_parts(a: Any, b: Any) -> Parts:
    """XLA's complex logistic: 1 / (1 + exp(-z)), each step a complex op (so an infinite
    exp(-z) gives a signed zero through the division's recovery, a NaN one NaN + NaN i)."""
    e_re, e_im = exp_parts(-1.0 * a, -1.0 * b)
    return divide_parts(1.0, 0.0, 1.0 + e_re, 0.0 + e_im)


def tan_parts(a: Any, b: Any) -> Parts:
    """tan z = -i tanh(i z)."""
    re, im = tanh_parts(-1.0 * b, a)
    return im, -1.0 * re


def expm1_parts(a: Any, b: Any) -> Parts:
    """XLA's complex expm1: (expm1(a) cos b + cosm1(b)) + i e^a sin b, the imaginary part +0 where b == 0."""
    expm1_a = _real.expm1(a)
    cosm1_b = _cosm1(b)
    re = _fma(expm1_a, cosm1_b + 1, cosm1_b)
    return re, np.where(b == 0, 0.0, (expm1_a + 1) * _real.sin(b))


def rsqrt_parts(a: Any, b: Any) -> Parts:
    """XLA's complex rsqrt: |z|^-1/2 (cos(-t/2) + i sin(-t/2)), t = atan2(b, a), with
    |z|^-1/2 = rsqrt(max) rsqrt(sqrt(1 + (min/max)²)); rsqrt(0) is inf + nan i; an infinite part
    gives zeros, the real one signed as a where a is not finite (else +0) and the imaginary one
    signed as -b, a NaN's sign bit counting (jaxlib 0.10.2 on every pair of 0, -0, 1, -1.5, ±inf
    and NaN parts, and on the NaN of inf - inf, whose sign bit is set on x86)."""
    hi, lo, ratio = _scaled(a, b)
    r = real_rsqrt(hi) * real_rsqrt(np.sqrt(_fma(ratio, ratio, 1.0)))
    r = np.where(np.isnan(r), real_rsqrt(lo), r)
    angle = _real.arctan2(b, a) * -0.5
    zero = (a == 0) & (b == 0)
    re = np.where(zero, np.inf, r * _real.cos(angle))
    im = np.where(zero, np.nan, r * _real.sin(angle))
    infinite = np.isinf(a) | np.isinf(b)
    zero_re = np.where(np.isfinite(a), 0.0, np.copysign(0.0, a))
    return np.where(infinite, zero_re, re), np.where(infinite, np.copysign(0.0, -b), im)


def pow_parts(a: Any, b: Any, c: Any, d: Any) -> Parts:
    """XLA's complex power: |x|^c e^(-d t) (cos q + i sin q), t = atan2(b, a), q = c t + d log|x|;
    x**0 and 1**y are 1 + 0i, 0**y is 1 for y == 0 and 0 for real y > 0, inf**y (real y) inf or 0."""
    r = complex_abs(a, b)
    t = _real.arctan2(b, a)
    coeff = _real.power(r, c) * _real.exp(-d * t)
    q = _fma(c, t, d * _real.log(r))
    re, im = coeff * _real.cos(q), coeff * _real.sin(q)
    at_zero = (r == 0) & (d == 0) & (c >= 0)
    re = np.where(at_zero, np.where(c == 0, 1.0, 0.0), re)
    im = np.where(at_zero, 0.0, im)
    one = ((c == 0) & (d == 0)) | ((a == 1) & (b == 0))
    real_inf_base = (a == np.inf) & (b == 0) & (d == 0)
    re = np.where(real_inf_base & (c > 0), np.inf, np.where(real_inf_base & (c < 0), 0.0, re))
    re = np.where(one, 1.0, re)
    im = np.where(one | (real_inf_base & ((c > 0) | (c < 0))), 0.0, im)  # a NaN exponent keeps NaN
    return re, im


def _sqrt_elemental_parts(a: Any, b: Any) -> Parts:
    """XLA's elemental complex sqrt (used inside its complex atan2): sqrt|z| (cos(t/2) + i sin(t/2)),
    t = atan2(b, a), sqrt|z| = sqrt(max) (1 + (min/max)²)^(1/4)."""
    hi, lo, ratio = _scaled(a, b)
    r = np.sqrt(hi) * _real.power(_fma(ratio, ratio, 1.0), 0.25)
    r = np.where(np.isnan(r), lo, r)
    angle = _real.arctan2(b, a) * 0.5
    cos, sin = _real.cos(angle), _real.sin(angle)
    inf_b = np.abs(b) == np.inf
    re = np.where(inf_b | (a == np.inf), np.inf, np.where((a == -np.inf) & ~inf_b, 0.0, r * cos))
    im = np.where(
        inf_b | (a == -np.inf),
        np.copysign(np.inf, b),
        np.where(np.isnan(r), np.nan, np.where(sin == 0, sin, r * sin)),
    )
    return np.where(r == 0, 0.0, re), np.where(r == 0, 0.0, im)


def atan2_parts(ya: Any, yb: Any, xa: Any, xb: Any) -> Parts:
    """XLA's complex atan2(y, x) = -i log((x + i y) / sqrt(x² + y²)), each step a complex op of its
    elemental emitter (log as log|w| + i atan2, sqrt as above)."""
    x2, y2 = _cmul(xa, xb, xa, xb), _cmul(ya, yb, ya, yb)
    root = _sqrt_elemental_parts(x2[0] + y2[0], x2[1] + y2[1])
    iy = _cmul(0.0, 1.0, ya, yb)
    wa, wb = divide_parts(xa + iy[0], xb + iy[1], *root)
    return _cmul(0.0, -1.0, _real.log(complex_abs(wa, wb)), _real.arctan2(wb, wa))


_LN2 = math.log(2)
_SQRT2 = math.sqrt(2)


def _asin_limits(x: Any) -> tuple[Any, Any]:
    """functional_algorithms' safe_max = sqrt(largest) / 8 and safe_min = sqrt(tiny) * 4, in ``x``'s dtype."""
    info = np.finfo(np.asarray(x).dtype)
    return np.sqrt(info.max) / 8, np.sqrt(info.smallest_normal) * 4


def _atanh_limits(x: Any) -> tuple[Any, Any]:
    """XLA's complex atanh thresholds for ``x``'s dtype: safe_max (2**106 and 2**48 rounded up two ulps, as
    XLA's constants are) and 1/eps-like factor (2**53 + 2, 2**24 + 2) marking |b| negligible next to |a|."""
    if np.asarray(x).dtype == np.float32:
        return np.float32(2.81475044e14), np.float32(16777218.0)
    return np.float64(8.1129638414606718e31), np.float64(9007199254740994.0)


def square_parts(a: Any, b: Any) -> Parts:
    """chlo.square on complex z = a + bi (functional_algorithms): (a - b)(a + b) + 2ab i, the real
    part exactly 0 where |a| == |b| is finite (JAX lowers square through it, not through z * z)."""
    return np.where(np.isfinite(a) & (np.abs(a) == np.abs(b)), 0.0, (a - b) * (a + b)), 2 * (a * b)


def multiply(x: Any, y: Any) -> Any:
    """x * y; complex products part by part as XLA forms them (see ``_cmul``)."""
    x, y = np.asarray(x), np.asarray(y)
    if not dtypes.is_complex(x.dtype):
        return np.multiply(x, y)
    return from_parts(*_cmul(x.real, x.imag, y.real, y.imag), x.dtype)


def nan_if_any_part_nan(kernel: Any) -> Any:
    """``kernel`` with NaN + NaN i wherever a part of the argument is NaN: XLA's complex sqrt and
    log1p give that even where C99 keeps an infinite part (sqrt(inf + NaN i) is inf + NaN i in C99)."""

    def wrapped(a: Any, b: Any) -> Parts:
        re, im = kernel(a, b)
        nan = np.isnan(a) | np.isnan(b)
        return np.where(nan, np.nan, re), np.where(nan, np.nan, im)

    return wrapped


@nan_if_any_part_nan
def log1p_parts(re: Any, im: Any) -> Parts:
    """NumPy's complex log1p is log(1 + x), which loses small x; XLA (and this) keep it:
    log|1+x| = log1p(2 re + re^2 + im^2) / 2 for small x, else log(hypot(1 + re, im));
    arg(1+x) = atan2(im, 1 + re)."""
    small = (np.abs(re) < 0.5) & (np.abs(im) < 0.5)
    log_abs = np.where(small, np.log1p(re * (2 + re) + im * im) / 2, np.log(np.hypot(1 + re, im)))
    return log_abs, np.arctan2(im, 1 + re)


@nan_if_any_part_nan
def sqrt_parts(re: Any, im: Any) -> Parts:
    """NumPy's (C99's) complex sqrt with XLA's branch cut: a -0.0 part counts as +0.0. C99 uses
    the sign of a zero part to pick a side of the cut (sqrt(-1.5 - 0j) is -1.22j); XLA does not
    (+1.22j)."""
    root = np.sqrt(from_parts(re + 0.0, im + 0.0, dtypes.complex_dtype_for(np.asarray(re).dtype)))
    return root.real, root.imag


def complex_unary(real_fn: Any, kernel: Any) -> Any:
    """``real_fn`` on real arrays; on complex arrays, ``kernel`` applied to the parts."""

    def fn(x: np.ndarray) -> np.ndarray:
        if not dtypes.is_complex(x.dtype):
            return real_fn(x)
        re, im = kernel(np.real(x), np.imag(x))
        return from_parts(re, im, x.dtype)

    return fn
