"""Elementwise arithmetic and math: each primitive, its lax function and its rules, side by side.

Layout follows ``jax/_src/lax/lax.py``: a family helper declares the
primitive (abstract eval + batching), then come its NumPy impl, its JVP (a
one-liner in the same traceable vocabulary, so higher derivatives work) and,
for linear primitives, its transpose.

Numerics follow XLA's CPU backend where NumPy differs: 16-bit floats are
computed in float32; integer ``div``/``rem`` truncate toward zero with XLA's
results for division by zero and ``INT_MIN / -1``; ``max``/``min`` order
``-0.0 < +0.0`` and propagate NaN, and on complex numbers compare (real,
imag) lexicographically, a tie or NaN picking the second operand (JAX's
lowering); ``round`` rounds half away from zero unless ``rounding_method``
says to-nearest-even; complex sqrt ignores the sign of a zero part on its
branch cut; complex products, quotients, powers and transcendental functions
follow XLA's formulas part by part (:mod:`.complex_kernels`); ``sign`` keeps
zeros' signs and divides complex parts by the magnitude; complex ``abs`` is
NaN when a part is NaN; ``complex`` and ``conj`` build their results part by
part (``conj`` of a real is ``x+0j``).

Known, documented differences from XLA:CPU (see ``tests/jax_helpers.py``,
``DIVERGENCES``): the reference keeps IEEE subnormals where XLA:CPU flushes
them to zero; transcendental functions come from NumPy's libm, not XLA's
approximations, so XLA's float64 log1p error near -0.4 is not reproduced (KD-0006).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray, get_aval
from frankenjax_ref.core.params import ACCURACY, DTYPE, OPT_DTYPE, Enum, Param
from frankenjax_ref.core.params import INT as INT_PARAM
from frankenjax_ref.core.primitive import abstract_eval_rules, lax_function
from frankenjax_ref.errors import PrimitiveError
from frankenjax_ref.interpreters.ad_util import Zero, add_any_p, zeros_like_aval
from frankenjax_ref.interpreters.batching import batch_rules, bdim_at_front
from frankenjax_ref.interpreters.jvp import defjvp, defjvp2, defjvp_zero, deflinear_jvp, jvp_rules
from frankenjax_ref.interpreters.transpose import is_undefined_primal, transpose_rules
from frankenjax_ref.primitives import complex_kernels as ck
from frankenjax_ref.primitives._family import (
    ANY,
    COMPLEX,
    FLOAT,
    INEXACT,
    INT,
    NUM,
    SIGNED,
    binary_impl,
    const_like,
    def_impl,
    scalar_like,
    standard_naryop,
    standard_unop,
    unary_impl,
)

_ACC = {"accuracy": Param(ACCURACY, None)}


def _one(x: Any) -> Any:
    """JAX's ``_one``: 1 with ``x``'s dtype and weak type (rules written with ``_const(x, 1)`` in JAX
    use :func:`const_like` instead, which is weak only for weak scalars)."""
    return scalar_like(x, 1)


# --- helpers written with other primitives ----------------------------------------


def unbroadcast(aval: ShapedArray, x: Any) -> Any:
    """Sum ``x`` down to ``aval``'s shape (transpose of lax's implicit broadcasting)."""
    from frankenjax_ref.primitives.reductions import reduce_sum
    from frankenjax_ref.primitives.shape import reshape

    x_shape = get_aval(x).shape
    if x_shape == aval.shape:
        return x
    if not aval.shape:
        return reduce_sum(x, tuple(range(len(x_shape))))
    dims = tuple(i for i, (a, b) in enumerate(zip(x_shape, aval.shape, strict=True)) if a != b)
    return reshape(reduce_sum(x, dims), aval.shape)


def full_like(x: Any, value: Any) -> Any:
    """``value`` in ``x``'s dtype, shape and weak type (JAX's ``full_like``), for rule-side constants."""
    return broadcast_to_shape(scalar_like(x, value), get_aval(x).shape)


def broadcast_to_shape(x: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast ``x`` (rank 0 or equal rank with size-1 dims) to ``shape``."""
    from frankenjax_ref.primitives.shape import broadcast_in_dim

    x_shape = get_aval(x).shape
    if x_shape == shape:
        return x
    if not x_shape:
        return broadcast_in_dim(x, shape, ())
    from frankenjax_ref.primitives.shape import reshape

    keep = tuple(i for i, (a, b) in enumerate(zip(x_shape, shape, strict=True)) if a == b)
    squeezed = reshape(x, tuple(x_shape[i] for i in keep))
    return broadcast_in_dim(squeezed, shape, keep)


# --- unary --------------------------------------------------------------------------

neg_p = standard_unop("neg", NUM)
def_impl(neg_p, unary_impl(np.negative))
deflinear_jvp(neg_p)
transpose_rules[neg_p] = lambda ct, x: [neg(ct)]


@lax_function
def neg(x: Any) -> Any:
    return neg_p.bind(x)


sin_p = standard_unop("sin", INEXACT, params=_ACC)
def_impl(sin_p, unary_impl(ck.complex_unary(np.sin, ck.sin_parts)))
defjvp(sin_p, lambda g, x, **_: mul(g, cos(x)))


@lax_function
def sin(x: Any) -> Any:
    return sin_p.bind(x)


cos_p = standard_unop("cos", INEXACT, params=_ACC)
def_impl(cos_p, unary_impl(ck.complex_unary(np.cos, ck.cos_parts)))
defjvp(cos_p, lambda g, x, **_: neg(mul(g, sin(x))))


@lax_function
def cos(x: Any) -> Any:
    return cos_p.bind(x)


tan_p = standard_unop("tan", INEXACT, params=_ACC)
def_impl(tan_p, unary_impl(ck.complex_unary(np.tan, ck.tan_parts)))
defjvp2(tan_p, lambda g, ans, x, **_: mul(g, add(const_like(x, 1), square(ans))))


@lax_function
def tan(x: Any) -> Any:
    return tan_p.bind(x)


asin_p = standard_unop("asin", INEXACT)
def_impl(asin_p, unary_impl(ck.complex_unary(np.arcsin, ck.asin_parts)))
defjvp(asin_p, lambda g, x: mul(g, rsqrt(sub(const_like(x, 1), square(x)))))


@lax_function
def asin(x: Any) -> Any:
    return asin_p.bind(x)


acos_p = standard_unop("acos", INEXACT)
def_impl(acos_p, unary_impl(ck.complex_unary(np.arccos, ck.acos_parts)))
defjvp(acos_p, lambda g, x: mul(g, neg(rsqrt(sub(const_like(x, 1), square(x))))))


@lax_function
def acos(x: Any) -> Any:
    return acos_p.bind(x)


atan_p = standard_unop("atan", INEXACT)
def_impl(atan_p, unary_impl(ck.complex_unary(np.arctan, ck.atan_parts)))
defjvp(atan_p, lambda g, x: div(g, add(const_like(x, 1), square(x))))


@lax_function
def atan(x: Any) -> Any:
    return atan_p.bind(x)


sinh_p = standard_unop("sinh", INEXACT)
def_impl(sinh_p, unary_impl(ck.complex_unary(np.sinh, ck.sinh_parts)))
defjvp(sinh_p, lambda g, x: mul(g, cosh(x)))


@lax_function
def sinh(x: Any) -> Any:
    return sinh_p.bind(x)


cosh_p = standard_unop("cosh", INEXACT)
def_impl(cosh_p, unary_impl(ck.complex_unary(np.cosh, ck.cosh_parts)))
defjvp(cosh_p, lambda g, x: mul(g, sinh(x)))


@lax_function
def cosh(x: Any) -> Any:
    return cosh_p.bind(x)


tanh_p = standard_unop("tanh", INEXACT, params=_ACC)
def_impl(tanh_p, unary_impl(ck.complex_unary(np.tanh, ck.tanh_parts)))
defjvp2(tanh_p, lambda g, ans, x, **_: mul(add(g, mul(g, ans)), sub(_one(x), ans)))


@lax_function
def tanh(x: Any) -> Any:
    return tanh_p.bind(x)


asinh_p = standard_unop("asinh", INEXACT)
def_impl(asinh_p, unary_impl(ck.complex_unary(np.arcsinh, ck.asinh_parts)))
defjvp(asinh_p, lambda g, x: mul(g, rsqrt(add(square(x), _one(x)))))


@lax_function
def asinh(x: Any) -> Any:
    return asinh_p.bind(x)


acosh_p = standard_unop("acosh", INEXACT)
def_impl(acosh_p, unary_impl(ck.complex_unary(np.arccosh, ck.acosh_parts)))
defjvp(acosh_p, lambda g, x: mul(g, rsqrt(sub(square(x), _one(x)))))


@lax_function
def acosh(x: Any) -> Any:
    return acosh_p.bind(x)


atanh_p = standard_unop("atanh", INEXACT)
def_impl(atanh_p, unary_impl(ck.complex_unary(np.arctanh, ck.atanh_parts)))
defjvp(atanh_p, lambda g, x: mul(integer_pow(add(_one(x), x), -1), div(g, sub(_one(x), x))))


@lax_function
def atanh(x: Any) -> Any:
    return atanh_p.bind(x)


exp_p = standard_unop("exp", INEXACT, params=_ACC)
def_impl(exp_p, unary_impl(ck.complex_unary(np.exp, ck.exp_parts)))
defjvp2(exp_p, lambda g, ans, x, **_: mul(g, ans))


@lax_function
def exp(x: Any) -> Any:
    return exp_p.bind(x)


exp2_p = standard_unop("exp2", INEXACT, params=_ACC)
def_impl(exp2_p, unary_impl(ck.complex_unary(np.exp2, ck.exp2_parts)))
defjvp2(exp2_p, lambda g, ans, x, **_: mul(log(const_like(x, 2)), mul(g, ans)))


@lax_function
def exp2(x: Any) -> Any:
    return exp2_p.bind(x)


log_p = standard_unop("log", INEXACT, params=_ACC)
def_impl(log_p, unary_impl(ck.complex_unary(np.log, ck.log_parts)))
defjvp(log_p, lambda g, x, **_: div(g, x))


@lax_function
def log(x: Any) -> Any:
    return log_p.bind(x)


log1p_p = standard_unop("log1p", INEXACT, params=_ACC)
def_impl(log1p_p, unary_impl(ck.complex_unary(np.log1p, ck.log1p_parts)))
defjvp(log1p_p, lambda g, x, **_: div(g, add(x, _one(x))))


@lax_function
def log1p(x: Any) -> Any:
    return log1p_p.bind(x)


expm1_p = standard_unop("expm1", INEXACT, params=_ACC)
def_impl(expm1_p, unary_impl(ck.complex_unary(np.expm1, ck.expm1_parts)))
defjvp2(expm1_p, lambda g, ans, x, **_: mul(g, add(ans, _one(ans))))


@lax_function
def expm1(x: Any) -> Any:
    return expm1_p.bind(x)


def _logistic(x: Any, **_: Any) -> np.ndarray:
    """XLA lowers logistic as 1 / (1 + exp(-x)), each step rounded to the operand's type (not widened:
    in float16, exp(11.5) overflows and logistic(-11.5) is 0 in XLA, as here); complex operands
    part by part (:func:`.complex_kernels.logistic_parts`)."""
    x = np.asarray(x)
    one = np.ones((), x.dtype)
    with np.errstate(all="ignore"):
        if dtypes.is_complex(x.dtype):
            return ck.from_parts(*ck.logistic_parts(x.real, x.imag), x.dtype)
        return np.asarray(one / (one + np.exp(-x)))


logistic_p = standard_unop("logistic", INEXACT, params=_ACC)
def_impl(logistic_p, _logistic)
defjvp2(logistic_p, lambda g, ans, x, **_: mul(g, mul(ans, sub(_one(ans), ans))))


@lax_function
def logistic(x: Any) -> Any:
    return logistic_p.bind(x)


sqrt_p = standard_unop("sqrt", INEXACT, params=_ACC)
def_impl(sqrt_p, unary_impl(ck.complex_unary(np.sqrt, ck.sqrt_parts)))
defjvp2(sqrt_p, lambda g, ans, x, **_: mul(g, div(const_like(x, 0.5), ans)))


@lax_function
def sqrt(x: Any) -> Any:
    return sqrt_p.bind(x)


rsqrt_p = standard_unop("rsqrt", INEXACT, params=_ACC)
def_impl(rsqrt_p, unary_impl(ck.complex_unary(ck.real_rsqrt, ck.rsqrt_parts)))
defjvp2(rsqrt_p, lambda g, ans, x, **_: mul(g, mul(const_like(x, -0.5), div(ans, x))))


@lax_function
def rsqrt(x: Any) -> Any:
    return rsqrt_p.bind(x)


cbrt_p = standard_unop("cbrt", FLOAT, params=_ACC)
def_impl(cbrt_p, unary_impl(np.cbrt))
defjvp2(cbrt_p, lambda g, ans, x, **_: mul(g, mul(const_like(x, 1 / 3), integer_pow(ans, -2))))


@lax_function
def cbrt(x: Any) -> Any:
    return cbrt_p.bind(x)


def _abs(x: np.ndarray) -> np.ndarray:
    if dtypes.is_complex(x.dtype):
        # XLA's formula: NaN when either part is NaN (C's cabs would give inf for inf + NaN j)
        return np.asarray(ck.complex_abs(x.real, x.imag)).astype(dtypes.real_dtype(x.dtype))
    return np.abs(x)


abs_p = standard_unop("abs", SIGNED + INEXACT, out_dtype=dtypes.real_dtype)
def_impl(abs_p, unary_impl(_abs))


def _abs_jvp(g: Any, ans: Any, x: Any) -> Any:
    if dtypes.is_complex(get_aval(x).dtype):
        from frankenjax_ref.primitives.conversion import convert_element_type

        denom = convert_element_type(ans, get_aval(x).dtype)
        safe = select_n(eq(denom, const_like(denom, 0)), denom, full_like(denom, 1))
        return real(mul(g, div(conj(x), safe)))
    from frankenjax_ref.primitives.logic import ge
    from frankenjax_ref.primitives.logic import select_n as _select_n

    return _select_n(ge(x, const_like(x, 0)), neg(g), g)


defjvp2(abs_p, _abs_jvp)


@lax_function
def abs(x: Any) -> Any:
    return abs_p.bind(x)


def _sign(x: np.ndarray) -> np.ndarray:
    """XLA's sign: ``x / |x|`` part by part for complex, and zeros (of either sign) and NaN unchanged."""
    if dtypes.is_complex(x.dtype):
        mag = _abs(x)
        safe = np.where(mag == 0, 1, mag)
        return np.where(mag == 0, x, ck.from_parts(x.real / safe, x.imag / safe, x.dtype))
    if dtypes.is_float(x.dtype):
        return np.where(x == 0, x, np.sign(x))
    return np.sign(x)


sign_p = standard_unop("sign", NUM)
def_impl(sign_p, unary_impl(_sign))
defjvp_zero(sign_p)


@lax_function
def sign(x: Any) -> Any:
    return sign_p.bind(x)


floor_p = standard_unop("floor", FLOAT)
def_impl(floor_p, unary_impl(np.floor))
defjvp_zero(floor_p)


@lax_function
def floor(x: Any) -> Any:
    return floor_p.bind(x)


ceil_p = standard_unop("ceil", FLOAT)
def_impl(ceil_p, unary_impl(np.ceil))
defjvp_zero(ceil_p)


@lax_function
def ceil(x: Any) -> Any:
    return ceil_p.bind(x)


ROUNDING_METHODS = ("AWAY_FROM_ZERO", "TO_NEAREST_EVEN")


def _round(x: np.ndarray, rounding_method: str) -> np.ndarray:
    if rounding_method == "TO_NEAREST_EVEN":
        return np.round(x)
    # half away from zero, computed exactly: the fractional part of |x| is exact
    mag = np.abs(x)
    floor = np.floor(mag)
    rounded = np.where(mag - floor >= 0.5, floor + 1, floor)
    return np.copysign(rounded, x)


round_p = standard_unop(
    "round", FLOAT, params={"rounding_method": Param(Enum(ROUNDING_METHODS), "AWAY_FROM_ZERO")}
)


def _round_impl(x: Any, *, rounding_method: str) -> np.ndarray:
    return unary_impl(lambda v: _round(v, rounding_method))(x)


def_impl(round_p, _round_impl)
defjvp_zero(round_p)


@lax_function
def round(x: Any, rounding_method: Any = "AWAY_FROM_ZERO") -> Any:
    return round_p.bind(x, rounding_method=rounding_method)


is_finite_p = standard_unop("is_finite", FLOAT, out_dtype=lambda _: dtypes.bool_)
def_impl(is_finite_p, lambda x: np.isfinite(np.asarray(x)))
defjvp_zero(is_finite_p)


@lax_function
def is_finite(x: Any) -> Any:
    return is_finite_p.bind(x)


square_p = standard_unop("square", NUM)
def_impl(square_p, unary_impl(ck.complex_unary(lambda x: x * x, ck.square_parts)))
defjvp2(square_p, lambda g, ans, x: mul(g, mul(const_like(x, 2), x)))


@lax_function
def square(x: Any) -> Any:
    return square_p.bind(x)


def _integer_pow_abstract_eval(x: ShapedArray, *, y: int) -> ShapedArray:
    from frankenjax_ref.primitives._family import check_dtype

    check_dtype("integer_pow", x, NUM)
    if y < 0 and dtypes.is_integer(x.dtype):
        raise PrimitiveError("FJ-PRIM-PARAM", f"integers cannot be raised to negative powers, got y={y}")
    return x


def _integer_pow(x: np.ndarray, y: int) -> np.ndarray:
    """Repeated squaring in XLA's order, so rounding matches JAX bit for bit."""
    if y == 0:
        return np.ones_like(x)
    reciprocal, y = y < 0, abs(y)
    acc = None
    while y > 0:
        if y & 1:
            acc = x if acc is None else ck.multiply(acc, x)
        y >>= 1
        if y > 0:
            x = ck.multiply(x, x)
    assert acc is not None
    return _div(np.ones((), acc.dtype), acc) if reciprocal else acc


integer_pow_p = standard_unop("integer_pow", NUM, params={"y": Param(INT_PARAM)})
abstract_eval_rules[integer_pow_p] = _integer_pow_abstract_eval


def _integer_pow_impl(x: Any, *, y: int) -> np.ndarray:
    # not widened: XLA rounds 16-bit floats after every multiplication (NumPy's float16 and
    # ml_dtypes' bfloat16 multiply in float32 and round, exactly like XLA's CPU backend)
    with np.errstate(all="ignore"):
        return _integer_pow(np.asarray(x), y)


def _integer_pow_jvp(g: Any, x: Any, *, y: int) -> Any:
    if y == 0:
        return zeros_like_aval(get_aval(g))
    if y == 1:
        return g
    if y == 2:
        return mul(g, mul(const_like(x, 2), x))
    return mul(g, mul(const_like(x, y), integer_pow(x, y - 1)))


def_impl(integer_pow_p, _integer_pow_impl)
defjvp(integer_pow_p, _integer_pow_jvp)


@lax_function
def integer_pow(x: Any, y: int) -> Any:
    return integer_pow_p.bind(x, y=y)


@lax_function
def reciprocal(x: Any) -> Any:
    """``1 / x`` as JAX's ``lax.reciprocal`` writes it: ``integer_pow(x, -1)``."""
    return integer_pow(x, -1)


# --- complex parts (needed by complex JVPs, e.g. abs) -----------------------------

real_p = standard_unop("real", COMPLEX, out_dtype=dtypes.real_dtype)
def_impl(real_p, lambda x: np.real(np.asarray(x)).copy())
deflinear_jvp(real_p)
transpose_rules[real_p] = lambda ct, x: [complex_(ct, const_like(ct, 0))]


@lax_function
def real(x: Any) -> Any:
    return real_p.bind(x)


imag_p = standard_unop("imag", COMPLEX, out_dtype=dtypes.real_dtype)
def_impl(imag_p, lambda x: np.imag(np.asarray(x)).copy())
deflinear_jvp(imag_p)
transpose_rules[imag_p] = lambda ct, x: [complex_(const_like(ct, 0), neg(ct))]


@lax_function
def imag(x: Any) -> Any:
    return imag_p.bind(x)


complex_p = standard_naryop(
    "complex",
    [(dtypes.float32, dtypes.float64)] * 2,
    out_dtype=lambda a, b: dtypes.complex_dtype_for(a),
)
def_impl(complex_p, lambda x, y: ck.from_parts(x, y, dtypes.complex_dtype_for(np.asarray(x).dtype)))
deflinear_jvp(complex_p)


def _complex_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    out: list[Any] = [None, None]
    if is_undefined_primal(x):
        out[0] = unbroadcast(x.aval, real(ct))
    if is_undefined_primal(y):
        out[1] = unbroadcast(y.aval, imag(neg(ct)))
    return out


transpose_rules[complex_p] = _complex_transpose


@lax_function("complex")
def complex_(x: Any, y: Any) -> Any:
    return complex_p.bind(x, y)


conj_p = standard_unop(
    "conj",
    (dtypes.float32, dtypes.float64, *COMPLEX),
    params={"input_dtype": Param(DTYPE)},
    out_dtype=dtypes.complex_dtype_for,
)


def _conj(x: Any, input_dtype: np.dtype) -> np.ndarray:
    x = np.asarray(x)
    if dtypes.is_complex(x.dtype):
        return np.conj(x)
    return ck.from_parts(x, np.zeros((), x.dtype), dtypes.complex_dtype_for(x.dtype))  # +0j, as XLA


def_impl(conj_p, _conj)
deflinear_jvp(conj_p)
transpose_rules[conj_p] = lambda ct, x, *, input_dtype: [
    conj(ct) if dtypes.is_complex(input_dtype) else real(ct)
]


@lax_function
def conj(x: Any) -> Any:
    return conj_p.bind(x, input_dtype=get_aval(x).dtype)


# --- binary arithmetic ----------------------------------------------------------------

add_p = standard_naryop("add", [NUM, NUM])
def_impl(add_p, binary_impl(np.add))


def _add_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    x, y = primals
    xdot, ydot = tangents
    out = add(x, y)
    shape = get_aval(out).shape
    if type(xdot) is Zero:
        return out, broadcast_to_shape(ydot, shape)
    if type(ydot) is Zero:
        return out, broadcast_to_shape(xdot, shape)
    return out, add(xdot, ydot)


jvp_rules[add_p] = _add_jvp


def _add_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    return [
        unbroadcast(x.aval, ct) if is_undefined_primal(x) else None,
        unbroadcast(y.aval, ct) if is_undefined_primal(y) else None,
    ]


transpose_rules[add_p] = _add_transpose


@lax_function
def add(x: Any, y: Any) -> Any:
    return add_p.bind(x, y)


sub_p = standard_naryop("sub", [NUM, NUM])
def_impl(sub_p, binary_impl(np.subtract))


def _sub_jvp(primals: list[Any], tangents: list[Any]) -> tuple[Any, Any]:
    x, y = primals
    xdot, ydot = tangents
    out = sub(x, y)
    shape = get_aval(out).shape
    if type(xdot) is Zero:
        return out, broadcast_to_shape(neg(ydot), shape)
    if type(ydot) is Zero:
        return out, broadcast_to_shape(xdot, shape)
    return out, sub(xdot, ydot)


jvp_rules[sub_p] = _sub_jvp
transpose_rules[sub_p] = lambda ct, x, y: [
    unbroadcast(x.aval, ct) if is_undefined_primal(x) else None,
    unbroadcast(y.aval, neg(ct)) if is_undefined_primal(y) else None,
]


@lax_function
def sub(x: Any, y: Any) -> Any:
    return sub_p.bind(x, y)


mul_p = standard_naryop("mul", [NUM, NUM], params={"out_dtype": Param(OPT_DTYPE, None)})
def_impl(mul_p, binary_impl(ck.multiply))
defjvp(mul_p, lambda xdot, x, y, **_: mul(xdot, y), lambda ydot, x, y, **_: mul(x, ydot))


def _mul_transpose(ct: Any, x: Any, y: Any, *, out_dtype: Any = None) -> list[Any]:
    if is_undefined_primal(x) and is_undefined_primal(y):
        raise PrimitiveError("FJ-PRIM-PARAM", "mul is not linear in both operands at once")
    if is_undefined_primal(x):
        return [unbroadcast(x.aval, mul(ct, y)), None]
    return [None, unbroadcast(y.aval, mul(x, ct))]


transpose_rules[mul_p] = _mul_transpose


@lax_function
def mul(x: Any, y: Any) -> Any:
    return mul_p.bind(x, y)


def _int_div(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """C (truncating) division with XLA's answers where C is undefined."""
    safe = np.where(y == 0, np.ones((), y.dtype), y)
    if dtypes.is_signed_int(x.dtype):
        minus_one = safe == -1
        safe = np.where(minus_one, np.ones((), y.dtype), safe)
        q = np.floor_divide(x, safe)
        q = np.where((q * safe != x) & ((x < 0) != (safe < 0)), q + 1, q)
        q = np.where(minus_one, np.negative(x), q)  # INT_MIN / -1 wraps to INT_MIN
        return np.where(y == 0, np.full((), -1, x.dtype), q).astype(x.dtype)
    q = np.floor_divide(x, safe)
    return np.where(y == 0, np.full((), np.iinfo(x.dtype).max, x.dtype), q).astype(x.dtype)


def _div(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if dtypes.is_integer(x.dtype):
        return _int_div(x, y)
    if dtypes.is_complex(x.dtype):
        return ck.from_parts(*ck.divide_parts(x.real, x.imag, y.real, y.imag), x.dtype)
    return np.true_divide(x, y)


div_p = standard_naryop("div", [NUM, NUM])
def_impl(div_p, binary_impl(_div))
defjvp(div_p, lambda g, x, y: div(g, y), lambda g, x, y: mul(mul(neg(g), x), integer_pow(y, -2)))


def _div_transpose(ct: Any, x: Any, y: Any) -> list[Any]:
    if is_undefined_primal(y):
        raise PrimitiveError("FJ-PRIM-PARAM", "div is not linear in its divisor")
    return [unbroadcast(x.aval, div(ct, y)), None]


transpose_rules[div_p] = _div_transpose


@lax_function
def div(x: Any, y: Any) -> Any:
    return div_p.bind(x, y)


def _rem(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if dtypes.is_integer(x.dtype):
        safe = np.where(y == 0, np.ones((), y.dtype), y)
        if dtypes.is_signed_int(x.dtype):
            safe = np.where(safe == -1, np.ones((), y.dtype), safe)
        r = np.fmod(x, safe)
        return np.where(y == 0, x, r).astype(x.dtype)
    return np.fmod(x, y)


rem_p = standard_naryop("rem", [INT + FLOAT, INT + FLOAT])
def_impl(rem_p, binary_impl(_rem))
defjvp(
    rem_p,
    lambda g, x, y: broadcast_to_shape(g, np.broadcast_shapes(get_aval(x).shape, get_aval(y).shape)),
    lambda g, x, y: mul(neg(g), mul(sign(div(x, y)), floor(abs(div(x, y))))),
)


@lax_function
def rem(x: Any, y: Any) -> Any:
    return rem_p.bind(x, y)


def _pow_dtype(x: np.dtype, y: np.dtype) -> np.dtype:
    if dtypes.is_inexact(x) and dtypes.is_integer(y):
        return x
    if x == y:
        return x
    raise PrimitiveError(
        "FJ-PRIM-DTYPE",
        "the first argument to pow must have an inexact dtype (float or complex), and the second "
        "argument must have an inexact or integer dtype, and two inexact dtypes must match, "
        f"but got {dtypes.name_of(x)} and {dtypes.name_of(y)}",
    )


def _pow(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if dtypes.is_integer(y.dtype):
        y = y.astype(x.dtype)
    if dtypes.is_complex(x.dtype):
        return _complex_pow(x, y)
    return np.power(x, y)


def _complex_pow(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return ck.from_parts(*ck.pow_parts(x.real, x.imag, y.real, y.imag), x.dtype)


pow_p = standard_naryop("pow", [INEXACT, INT + INEXACT], out_dtype=_pow_dtype, require_same_dtypes=False)


def _pow_impl(x: Any, y: Any) -> np.ndarray:
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype in (dtypes.bfloat16, dtypes.float16):
        with np.errstate(all="ignore"):
            return _pow(x.astype(np.float32), y).astype(x.dtype)
    with np.errstate(all="ignore"):
        return _pow(x, y)


def_impl(pow_p, _pow_impl)


def _replace_zero(x: Any) -> Any:
    return select_n(eq(x, const_like(x, 0)), x, full_like(x, 1))


def _pow_jvp_lhs(g: Any, ans: Any, x: Any, y: Any) -> Any:
    from frankenjax_ref.primitives.conversion import convert_element_type

    y_dtype = get_aval(y).dtype
    x_dtype = get_aval(x).dtype
    # as JAX, both operands are converted (strongly typed) to the result dtype first
    x, y = convert_element_type(x, x_dtype), convert_element_type(y, x_dtype)
    if dtypes.is_integer(y_dtype):
        shape = np.broadcast_shapes(get_aval(x).shape, get_aval(y).shape)
        yf = broadcast_to_shape(y, shape)
        xb = broadcast_to_shape(x, shape)
        jac = select_n(
            eq(yf, const_like(yf, 0)), mul(_replace_zero(yf), pow_(xb, sub(yf, _one(yf)))), full_like(yf, 0)
        )
    else:
        jac = mul(y, pow_(x, sub(y, _one(y))))
    return mul(g, jac)


def _pow_jvp_rhs(g: Any, ans: Any, x: Any, y: Any) -> Any:
    from frankenjax_ref.primitives.conversion import convert_element_type

    return convert_element_type(mul(g, mul(log(_replace_zero(x)), ans)), get_aval(y).dtype)


defjvp2(pow_p, _pow_jvp_lhs, _pow_jvp_rhs)


@lax_function("pow")
def pow_(x: Any, y: Any) -> Any:
    return pow_p.bind(x, y)


def complex_pick(x: np.ndarray, y: np.ndarray, cmp: Any) -> np.ndarray:
    """JAX's complex max/min: (real, imag) compared lexicographically with ``cmp``; ties, NaNs pick ``y``."""
    real_eq = x.real == y.real
    pick_x = np.where(real_eq, cmp(x.imag, y.imag), cmp(x.real, y.real))
    return np.where(pick_x, x, y)


def _max(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if dtypes.is_complex(x.dtype):
        return complex_pick(x, y, np.greater)
    if dtypes.is_inexact(x.dtype):
        # -0.0 < +0.0, NaN propagates (XLA semantics)
        pick_x = (x > y) | ((x == y) & ~np.signbit(x)) | np.isnan(x)
        return np.where(pick_x, x, y)
    return np.maximum(x, y)


def _min(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if dtypes.is_complex(x.dtype):
        return complex_pick(x, y, np.less)
    if dtypes.is_inexact(x.dtype):
        pick_x = (x < y) | ((x == y) & np.signbit(x)) | np.isnan(x)
        return np.where(pick_x, x, y)
    return np.minimum(x, y)


def _balanced_eq(x: Any, z: Any, y: Any) -> Any:
    """1 where x == z (0.5 where y == z too): splits the derivative at ties, as JAX does."""
    ones, zeros, twos = (full_like(z, v) for v in (1, 0, 2))
    return div(select_n(eq(x, z), zeros, ones), select_n(eq(y, z), ones, twos))


maximum_impl = binary_impl(_max)
minimum_impl = binary_impl(_min)
max_p = standard_naryop("max", [ANY, ANY])
def_impl(max_p, maximum_impl)
defjvp2(
    max_p,
    lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
    lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)),
)


@lax_function("max")
def max_(x: Any, y: Any) -> Any:
    return max_p.bind(x, y)


min_p = standard_naryop("min", [ANY, ANY])
def_impl(min_p, minimum_impl)
defjvp2(
    min_p,
    lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
    lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)),
)


@lax_function("min")
def min_(x: Any, y: Any) -> Any:
    return min_p.bind(x, y)


def _atan2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if dtypes.is_complex(x.dtype):
        return ck.from_parts(*ck.atan2_parts(x.real, x.imag, y.real, y.imag), x.dtype)
    return np.arctan2(x, y)


atan2_p = standard_naryop("atan2", [INEXACT, INEXACT])
def_impl(atan2_p, binary_impl(_atan2))
defjvp(
    atan2_p,
    lambda g, x, y: mul(g, div(y, add(square(x), square(y)))),
    lambda g, x, y: mul(g, div(neg(x), add(square(x), square(y)))),
)


@lax_function
def atan2(x: Any, y: Any) -> Any:
    return atan2_p.bind(x, y)


# JAX defines no derivative for nextafter; neither does the reference (a
# jvp through it fails with FJ-RULE-MISSING, as JAX fails with NotImplementedError).
nextafter_p = standard_naryop("nextafter", [FLOAT, FLOAT])


def _nextafter_impl(x: Any, y: Any) -> np.ndarray:
    x, y = np.asarray(x), np.asarray(y)
    # IEEE: y itself when x == y (NumPy's float16 nextafter returns x, losing y's sign of zero)
    with np.errstate(all="ignore"):  # stepping past the largest finite value is inf, not an error
        return np.where(x == y, y, np.nextafter(x, y))  # ml_dtypes implements nextafter for bfloat16


def_impl(nextafter_p, _nextafter_impl)


@lax_function
def nextafter(x: Any, y: Any) -> Any:
    return nextafter_p.bind(x, y)


# --- add_any (declared in ad_util) gets its transform rules here -----------------------

deflinear_jvp(add_any_p)


def _add_any_batch(size: int, vals: list[Any], dims: list[int | None]) -> tuple[Any, int]:
    """add_any does not broadcast: an unbatched operand is materialized at the batch size."""
    return add_any_p.bind(*(bdim_at_front(size, v, d) for v, d in zip(vals, dims, strict=True))), 0


batch_rules[add_any_p] = _add_any_batch
transpose_rules[add_any_p] = lambda ct, x, y: [ct, ct]

# --- logic's eq and select_n, which rules above use (imported when called: logic imports this module)


def eq(x: Any, y: Any) -> Any:
    from frankenjax_ref.primitives.logic import eq as _eq

    return _eq(x, y)


def select_n(which: Any, *cases: Any) -> Any:
    from frankenjax_ref.primitives.logic import select_n as _select_n

    return _select_n(which, *cases)
