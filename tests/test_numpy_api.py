"""``frankenjax_ref.numpy`` against ``jax.numpy``: values, dtypes and shapes, eager and traced.

Each row of the table is one function called the same way in both
namespaces; the reference must give JAX's dtype and shape and (within the
default float tolerance) its values, eagerly and under ``jit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import frankenjax_ref as fj
import frankenjax_ref.numpy as fnp
from frankenjax_ref.errors import FJError

A = np.array([[0.5, -1.25, 2.0], [3.5, -0.75, 0.25]])
B = np.array([1.5, -2.0, 0.5])
I = np.array([[7, -3, 2], [-8, 5, 1]], dtype=np.int32)
J = np.array([2, -2, 3], dtype=np.int32)
P = np.array([0.1, 0.4, 0.9])
M = np.arange(12.0).reshape(3, 4) / 10

# (name, function of a namespace, arguments)
CASES: list[tuple[str, Callable[[Any], Callable[..., Any]], tuple[Any, ...]]] = [
    ("add broadcast", lambda n: n.add, (A, B)),
    ("add scalar", lambda n: n.add, (A, 2)),
    ("add int+float", lambda n: n.add, (I, 1.5)),
    ("add bool", lambda n: n.add, (A > 0, A < 1)),
    ("subtract", lambda n: n.subtract, (A, B)),
    ("multiply int", lambda n: n.multiply, (I, J)),
    ("multiply bool", lambda n: n.multiply, (A > 0, A < 1)),
    ("true_divide ints", lambda n: n.true_divide, (I, J)),
    ("divide", lambda n: n.divide, (A, B)),
    ("floor_divide ints", lambda n: n.floor_divide, (I, J)),
    ("floor_divide floats", lambda n: n.floor_divide, (A, B)),
    ("remainder ints", lambda n: n.remainder, (I, J)),
    ("mod floats", lambda n: n.mod, (A, B)),
    ("power int exponent", lambda n: n.power, (A, 3)),
    ("power array", lambda n: n.power, (P, B)),
    ("maximum", lambda n: n.maximum, (A, B)),
    ("minimum", lambda n: n.minimum, (I, 0)),
    ("arctan2", lambda n: n.arctan2, (A, B)),
    ("equal", lambda n: n.equal, (I, J)),
    ("not_equal", lambda n: n.not_equal, (A, B)),
    ("less", lambda n: n.less, (A, B)),
    ("less_equal", lambda n: n.less_equal, (I, 2)),
    ("greater", lambda n: n.greater, (A, 0.0)),
    ("greater_equal", lambda n: n.greater_equal, (A, B)),
    ("bitwise_and", lambda n: n.bitwise_and, (I, J)),
    ("bitwise_or", lambda n: n.bitwise_or, (I, J)),
    ("bitwise_xor", lambda n: n.bitwise_xor, (I, J)),
    ("logical_and", lambda n: n.logical_and, (A > 0, A < 1)),
    ("sin", lambda n: n.sin, (A,)),
    ("cos int", lambda n: n.cos, (I,)),
    ("tan", lambda n: n.tan, (P,)),
    ("arcsin", lambda n: n.arcsin, (P,)),
    ("arccos", lambda n: n.arccos, (P,)),
    ("arctan", lambda n: n.arctan, (A,)),
    ("sinh", lambda n: n.sinh, (A,)),
    ("cosh", lambda n: n.cosh, (A,)),
    ("tanh", lambda n: n.tanh, (A,)),
    ("arcsinh", lambda n: n.arcsinh, (A,)),
    ("arccosh", lambda n: n.arccosh, (A + 3,)),
    ("arctanh", lambda n: n.arctanh, (P,)),
    ("exp", lambda n: n.exp, (A,)),
    ("exp2", lambda n: n.exp2, (A,)),
    ("log", lambda n: n.log, (P,)),
    ("log1p", lambda n: n.log1p, (P,)),
    ("expm1", lambda n: n.expm1, (A,)),
    ("sqrt", lambda n: n.sqrt, (P,)),
    ("cbrt", lambda n: n.cbrt, (A,)),
    ("floor", lambda n: n.floor, (A,)),
    ("ceil", lambda n: n.ceil, (A,)),
    ("round", lambda n: n.round, (np.array([0.5, 1.5, 2.5, -0.5]),)),
    ("negative int", lambda n: n.negative, (I,)),
    ("sign", lambda n: n.sign, (A,)),
    ("square", lambda n: n.square, (I,)),
    ("invert", lambda n: n.invert, (I,)),
    ("logical_not", lambda n: n.logical_not, (A > 0,)),
    ("isfinite", lambda n: n.isfinite, (np.array([1.0, np.inf, np.nan]),)),
    ("abs float", lambda n: n.abs, (A,)),
    ("absolute int", lambda n: n.absolute, (I,)),
    ("abs uint", lambda n: n.abs, (np.array([1, 2], np.uint8),)),
    ("where", lambda n: n.where, (A > 0, A, 0.0)),
    ("where int condition", lambda n: n.where, (I, A, B)),
    ("clip", lambda n: lambda x: n.clip(x, -1.0, 1.0), (A,)),
    ("clip lower", lambda n: lambda x: n.clip(x, 0.0), (A,)),
    ("broadcast_to", lambda n: lambda x: n.broadcast_to(x, (4, 3)), (B,)),
    ("broadcast_to size1", lambda n: lambda x: n.broadcast_to(x, (2, 3)), (B[None, :],)),
    ("zeros_like", lambda n: n.zeros_like, (I,)),
    ("ones_like", lambda n: lambda x: n.ones_like(x, dtype=n.float32), (A,)),
    ("reshape", lambda n: lambda x: n.reshape(x, (3, -1)), (A,)),
    ("reshape int", lambda n: lambda x: n.reshape(x, 6), (A,)),
    ("transpose", lambda n: n.transpose, (A,)),
    ("transpose axes", lambda n: lambda x: n.transpose(x, (1, 0)), (A,)),
    ("expand_dims", lambda n: lambda x: n.expand_dims(x, 1), (A,)),
    ("squeeze", lambda n: n.squeeze, (A[:, None, :],)),
    ("squeeze axis", lambda n: lambda x: n.squeeze(x, -2), (A[:, None, :],)),
    ("concatenate", lambda n: lambda x, y: n.concatenate([x, y], axis=-1), (A, A)),
    ("concatenate promote", lambda n: lambda x, y: n.concatenate([x, y]), (B, J)),
    ("stack", lambda n: lambda x, y: n.stack([x, y], axis=1), (B, B)),
    ("sum", lambda n: n.sum, (A,)),
    ("sum axis keepdims", lambda n: lambda x: n.sum(x, axis=0, keepdims=True), (A,)),
    ("sum ints", lambda n: n.sum, (I,)),
    ("sum bool", lambda n: n.sum, (A > 0,)),
    ("sum uint", lambda n: n.sum, (np.array([1, 2], np.uint8),)),
    ("sum float16", lambda n: n.sum, (A.astype(np.float16),)),
    ("prod", lambda n: lambda x: n.prod(x, axis=1), (A,)),
    ("max", lambda n: lambda x: n.max(x, axis=-1), (A,)),
    ("min", lambda n: n.min, (I,)),
    ("amax", lambda n: n.amax, (A,)),
    ("mean", lambda n: n.mean, (A,)),
    ("mean axis", lambda n: lambda x: n.mean(x, axis=1, keepdims=True), (A,)),
    ("mean ints", lambda n: n.mean, (I,)),
    ("argmax", lambda n: n.argmax, (A,)),
    ("argmax axis", lambda n: lambda x: n.argmax(x, axis=1), (A,)),
    ("argmin", lambda n: lambda x: n.argmin(x, axis=-1), (A,)),
    ("dot vec", lambda n: n.dot, (B, B)),
    ("dot mat vec", lambda n: n.dot, (A, B)),
    ("dot mat mat", lambda n: n.dot, (A, M)),
    ("dot scalar", lambda n: n.dot, (A, 2.0)),
    ("matmul", lambda n: n.matmul, (A, M)),
    ("logsumexp", lambda n: jax.nn.logsumexp if n is jnp else fnp.logsumexp, (A,)),
    (
        "logsumexp axis",
        lambda n: lambda x: (jax.nn.logsumexp if n is jnp else fnp.logsumexp)(x, axis=1),
        (A,),
    ),
    ("index int", lambda n: lambda x: x[1], (A,)),
    ("index negative", lambda n: lambda x: x[-1, -2], (A,)),
    ("index slices", lambda n: lambda x: x[:, 1:], (A,)),
    ("index step", lambda n: lambda x: x[:, ::2], (A,)),
    ("index reverse", lambda n: lambda x: x[::-1, ::-2], (A,)),
    ("index none ellipsis", lambda n: lambda x: x[None, ..., 0], (A,)),
    ("index empty slice", lambda n: lambda x: x[:, 2:1], (A,)),
    ("asarray dtype", lambda n: lambda x: n.asarray(x, n.float32), (A,)),
    ("astype", lambda n: lambda x: x.astype(n.int32), (A,)),
    ("array list", lambda n: lambda x: n.add(n.array([1.0, 2.0, 3.0]), x), (B,)),
    ("methods", lambda n: lambda x: x.sum(axis=0) + x.mean() + x.max() + x.min() + x.prod(), (A,)),
    (
        "operators",
        lambda n: lambda x, y: (-x + 2) * y / 3 - x**2 + abs(x) + (x @ M)[:, :3] + 1 / (y + 4) - 2**x,
        (A, B),
    ),
    ("int operators", lambda n: lambda x, y: (x // y) + (x % y) + (x & y) + (x | y) + (x ^ y) + (~x), (I, J)),
    (
        "comparisons",
        lambda n: lambda x, y: (x < y) & (x <= y) | (x > y) ^ (x >= y) | (x == y) | (x != y),
        (A, B),
    ),
    ("T and reshape method", lambda n: lambda x: x.T.reshape(2, 3).transpose(1, 0), (A,)),
]


def _run(fn: Callable[..., Any], args: tuple[Any, ...], *, jit: bool, jax_side: bool) -> np.ndarray:
    f = (jax.jit if jax_side else fj.jit)(fn) if jit else fn
    return np.asarray(f(*args))


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
@pytest.mark.parametrize(("name", "make", "args"), CASES, ids=[c[0] for c in CASES])
def test_numpy_matches_jax(name: str, make: Callable[[Any], Any], args: tuple[Any, ...], jit: bool) -> None:
    want = _run(make(jnp), args, jit=jit, jax_side=True)
    got = _run(make(fnp), args, jit=jit, jax_side=False)
    assert got.shape == want.shape, name
    assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
    if np.issubdtype(want.dtype, np.inexact):
        tol = {np.dtype(np.float16): 1e-3, np.dtype(np.float32): 1e-6}.get(want.dtype, 1e-13)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    "call",
    [
        lambda: fnp.getitem(A, (0, ..., ...)),
        lambda: fnp.getitem(A, 5),
        lambda: fnp.getitem(A, ([0, 1],)),
        lambda: fnp.broadcast_to(A, (3, 3)),
        lambda: fnp.matmul(np.ones((2, 2, 2)), np.ones((2, 2))),
    ],
)
def test_bad_numpy_calls_are_typed_errors(call: Callable[[], Any]) -> None:
    with pytest.raises(FJError):
        call()


def test_creation_functions() -> None:
    assert fnp.zeros((2, 3)).shape == (2, 3) and fnp.zeros((2, 3)).dtype == np.float64
    assert fnp.ones(4, fnp.int32).tolist() == [1, 1, 1, 1]
    assert fnp.zeros(()).shape == ()
    assert fnp.full((2,), 7, fnp.int64).tolist() == [7, 7]
    np.testing.assert_array_equal(fnp.arange(5), np.arange(5))
    assert fnp.result_type(np.float32(1), 2.0) == np.float32
    assert fnp.pi == np.pi and np.isinf(fnp.inf) and np.isnan(fnp.nan)
    # under a trace, creation functions are staged rather than computed
    closed = fj.make_jaxpr(lambda x: fnp.zeros_like(x) + fnp.full((3,), 2.0))(B)
    assert "broadcast_in_dim" in str(closed)
