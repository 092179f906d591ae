"""Hand-built programs and a random-program strategy for the IR tests.

Programs are staged with the reference's own tracer from ``frankenjax_ref.lax``
calls, so every equation carries exactly the params its primitive declares.
The random-program strategy composes registered primitives generically:
elementwise unary and binary ops, weak scalar literals, dtype conversions,
reshapes, transposes, reductions, broadcasts and ``jit`` sub-programs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import ml_dtypes
import numpy as np
from hypothesis import strategies as st

from frankenjax_ref import lax
from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray
from frankenjax_ref.core.ir import ClosedJaxpr
from frankenjax_ref.interpreters.tracing import trace_to_jaxpr
from frankenjax_ref.primitives.jit import jit_call
from harness import irdocs
from harness.fuzz.seeds import literal_for

F64, F32, F16, BF16 = dtypes.float64, dtypes.float32, dtypes.float16, dtypes.bfloat16
FLOATS = (F64, F32, F16, BF16)


def aval(dtype: Any, shape: Sequence[int] = (), weak: bool = False) -> ShapedArray:
    return ShapedArray(tuple(shape), np.dtype(dtype), weak)


def trace(f: Callable[..., Any], *avals: ShapedArray) -> ClosedJaxpr:
    """Stage ``f`` (returning one value or a list) into a closed jaxpr."""

    def flat(*xs: Any) -> list[Any]:
        out = f(*xs)
        return list(out) if isinstance(out, (list, tuple)) else [out]

    return trace_to_jaxpr(flat, list(avals))


def bits(dtype: Any, pattern: int) -> np.ndarray:
    """A 0-d float array with the exact bit pattern ``pattern``."""
    d = np.dtype(dtype)
    uint = {2: np.uint16, 4: np.uint32, 8: np.uint64}[d.itemsize]
    return np.array(pattern, dtype=uint).view(d).reshape(())


# --- hand-built programs ---------------------------------------------------------


def spec_example() -> ClosedJaxpr:
    """The program of the spec's pretty-printing example."""
    c = np.arange(3.0)
    inner = trace(lambda h: lax.integer_pow(h, 3), aval(F64, (3,)))

    def f(b: Any, cc: Any) -> Any:
        d = lax.sin(b)
        e = lax.mul(d, 2.0)
        e = lax.add(e, c)
        s = lax.reduce_sum(e, axes=(0,))
        (g,) = jit_call(inner, [e], "inner")
        return [s, g]

    return trace(f, aval(F64, (3,)), aval(F64, (), weak=True))


def nested_jit(depth: int = 3) -> ClosedJaxpr:
    """``depth`` levels of jit, each with its own const and a literal."""
    body = trace(lambda x: lax.neg(x), aval(F32, (2,)))
    for level in range(depth):
        const = np.array([level, -0.0], dtype=np.float32)
        prev = body

        def f(x: Any, prev: ClosedJaxpr = prev, const: np.ndarray = const, level: int = level) -> Any:
            (y,) = jit_call(prev, [lax.add(x, const)], f"level{level}")
            return lax.mul(y, np.float32(0.5))

        body = trace(f, aval(F32, (2,)))
    return body


def literals_every_dtype() -> ClosedJaxpr:
    """``eq x <literal>`` for every dtype, plus special float literals."""
    all_dtypes = list(dtypes.ALL)

    def f(*xs: Any) -> Any:
        outs = [lax.eq(x, literal_for(d)) for x, d in zip(xs, all_dtypes, strict=True)]
        x64 = xs[all_dtypes.index(F64)]
        x32 = xs[all_dtypes.index(F32)]
        xb = xs[all_dtypes.index(BF16)]
        outs += [
            lax.add(x64, np.float64(np.inf)),
            lax.mul(x64, np.float64(-0.0)),
            lax.add(x64, np.float64(5e-324)),
            lax.add(x32, bits(F32, 0xFFC00001)),  # negative NaN with a payload
            lax.add(x32, np.float32(np.nan)),
            lax.add(xb, bits(BF16, 0x0001)),  # smallest bfloat16 subnormal
            lax.add(x64, 2.0),  # weak literal
        ]
        return outs

    return trace(f, *(aval(d) for d in all_dtypes))


def consts_every_dtype() -> ClosedJaxpr:
    """A program returning consts of every dtype, with edge values and odd shapes."""
    consts: list[np.ndarray] = [
        np.array([[True, False], [False, True]]),
        np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max, 0], dtype=np.int64),
        np.array([0, np.iinfo(np.uint64).max], dtype=np.uint64),
        np.array([-128, 127], dtype=np.int8),
        np.array([65535], dtype=np.uint16),
        np.array([-(2**31), 2**31 - 1], dtype=np.int32),
        np.array([2**32 - 1, 7], dtype=np.uint32),
        np.array([1, -1], dtype=np.int16),
        np.array([255], dtype=np.uint8),
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 1.7976931348623157e308]),
        np.concatenate([np.array([0.1, -0.0, 1e-45], dtype=np.float32), bits(F32, 0x7F800001).reshape(1)]),
        np.array([65504.0, 6e-8, np.nan], dtype=np.float16),
        np.array([1.5, -np.inf, 1e-40], dtype=ml_dtypes.bfloat16),
        np.array([complex(1, -0.0), complex(np.nan, np.inf)], dtype=np.complex64),
        np.array([[complex(0.1, 0.2)]], dtype=np.complex128),
        np.zeros((2, 0, 3)),
        np.zeros((3, 2), dtype=dtypes.float0),
    ]

    def f(x: Any) -> Any:
        return [lax.neg(x), *consts]

    return trace(f, aval(F64, (2,)))


def identity_with_literals() -> ClosedJaxpr:
    """No equations: outputs are an input and literals."""
    return trace(lambda x: [x, 1.5, np.int32(3), True], aval(F32, (2, 2)))


def float0_passthrough() -> ClosedJaxpr:
    return trace(lambda t, x: [t, lax.sin(x)], aval(dtypes.float0, (3,)), aval(F64, (3,)))


def shape_ops() -> ClosedJaxpr:
    def f(x: Any) -> Any:
        y = lax.reshape(x, (3, 2))
        z = lax.transpose(y, (1, 0))
        w = lax.broadcast_in_dim(z, (4, 2, 3), (1, 2))
        r = lax.reduce_sum(w, axes=(0, 2))
        c = lax.convert_element_type(r, F32)
        return [c, lax.rev(x, (0,))]

    return trace(f, aval(F64, (2, 3)))


def all_programs() -> dict[str, ClosedJaxpr]:
    return {
        "spec_example": spec_example(),
        "nested_jit": nested_jit(),
        "literals_every_dtype": literals_every_dtype(),
        "consts_every_dtype": consts_every_dtype(),
        "identity_with_literals": identity_with_literals(),
        "float0_passthrough": float0_passthrough(),
        "shape_ops": shape_ops(),
    }


# --- hand-written documents -----------------------------------------------------------


binder, lit, eqn = irdocs.binder, irdocs.lit, irdocs.eqn


base_doc = irdocs.base_doc


def doc_copy() -> dict[str, Any]:
    return copy.deepcopy(base_doc())


# --- random programs -------------------------------------------------------------------

_UNARY = ("sin", "cos", "neg", "exp", "tanh", "abs", "log1p", "sqrt", "floor")
_BINARY = ("add", "mul", "sub", "max", "min", "div")


@st.composite
def programs(draw: st.DrawFn, max_ops: int = 8, allow_jit: bool = True) -> ClosedJaxpr:
    """A random well-typed program over float operands, built from lax calls."""
    dtype = draw(st.sampled_from(FLOATS))
    shape = draw(st.sampled_from([(), (3,), (2, 3), (1, 4)]))
    n_in = draw(st.integers(1, 3))
    ops = draw(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 1 << 16)), min_size=1, max_size=max_ops))
    scalars = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=16), min_size=4, max_size=4))
    n_out = draw(st.integers(1, 3))
    use_const = draw(st.booleans())

    def body(*xs: Any) -> list[Any]:
        pool = list(xs)
        if use_const:
            pool.append(lax.add(pool[0], np.full(shape, scalars[0], dtype=dtype)))
        for k, (op, r) in enumerate(ops):
            x = pool[r % len(pool)]
            y = pool[(r // 7) % len(pool)]
            aval_x = x.aval
            if op <= 1:
                pool.append(getattr(lax, _UNARY[r % len(_UNARY)])(x))
            elif op == 2:
                pool.append(lax.integer_pow(x, r % 4 - 1))
            elif op <= 4 and aval_x == y.aval:
                pool.append(getattr(lax, _BINARY[r % len(_BINARY)])(x, y))
            elif op == 5:
                s = float(scalars[k % 4])  # a weak literal for float64, like JAX's lax
                pool.append(lax.mul(x, s if aval_x.dtype == F64 else np.asarray(s, aval_x.dtype)))
            elif op == 6 and aval_x.shape:
                pool.append(lax.reshape(x, (aval_x.size,)))
            elif op == 7 and aval_x.shape:
                pool.append(lax.reduce_sum(x, axes=(0,)))
            elif op == 8:
                new = FLOATS[r % len(FLOATS)]
                pool.append(lax.convert_element_type(x, new))
            elif op == 9 and allow_jit:
                inner = trace(lambda z, r=r: lax.sin(lax.mul(z, z)), aval_x)
                pool.append(jit_call(inner, [x], f"f{r % 5}")[0])
        return [pool[-1 - (i % len(pool))] for i in range(n_out)]

    return trace(body, *(aval(dtype, shape) for _ in range(n_in)))
