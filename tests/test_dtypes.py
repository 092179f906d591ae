"""The reference's type promotion against JAX 0.10.2 (x64), table by table.

* ``promote_types`` for every pair of the 15 dtypes and the Python types
  ``int``/``float``/``complex`` against ``jnp.promote_types``;
* ``result_type`` with weak and strong operands against JAX's
  ``dtypes.result_type(..., return_weak_type_flag=True)`` (fake operands with
  ``.dtype`` and ``.aval.weak_type``, and Python scalars), for every pair and
  for the triples of a representative subset;
* what ``add`` actually returns: JAX's ``lax.add`` and ``jnp.add`` traced on
  weak, strong and Python-scalar operands against the reference's
  ``lax.add`` and ``numpy.add`` (dtype and weak type, or an error where JAX
  raises), and executed eagerly for Python scalars with NumPy arrays.
"""

from __future__ import annotations

import itertools
import types
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax as jlax
from jax._src import dtypes as jax_dtypes
from jax_helpers import ALL_DTYPES, dtype_id, jax_out_avals, make_weak_jax, make_weak_ref

import frankenjax_ref as fj
import frankenjax_ref.lax as flax
import frankenjax_ref.numpy as fnp
from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray
from frankenjax_ref.errors import PrimitiveError

PY_TYPES: tuple[type, ...] = (int, float, complex)


# --- promote_types ---------------------------------------------------------------------------------


def _type_id(t: Any) -> str:
    return t.__name__ if isinstance(t, type) else dtype_id(t)


PROMOTE_OPERANDS = [*ALL_DTYPES, *PY_TYPES]


@pytest.mark.parametrize("a", PROMOTE_OPERANDS, ids=_type_id)
def test_promote_types_table(a: Any) -> None:
    """One row of the promotion table: ``a`` against every dtype and Python type."""
    for b in PROMOTE_OPERANDS:
        expected = np.dtype(jnp.promote_types(a, b))
        assert dtypes.promote_types(a, b) == expected, f"promote_types({_type_id(a)}, {_type_id(b)})"


def test_promote_types_is_symmetric_and_idempotent() -> None:
    """(Not associative: i8 with u64 meets at the weak float node, so (i8, u64, bf16) depends on grouping.)"""
    for a, b in itertools.product(PROMOTE_OPERANDS, repeat=2):
        assert dtypes.promote_types(a, b) == dtypes.promote_types(b, a)
    for a in ALL_DTYPES:
        assert dtypes.promote_types(a, a) == a
    i8_u64 = dtypes.promote_types(dtypes.int8, dtypes.uint64)
    assert dtypes.promote_types(i8_u64, dtypes.bfloat16) == np.dtype(jnp.promote_types(i8_u64, jnp.bfloat16))


# --- result_type with weak types -------------------------------------------------------------------


class Operand:
    """An operand kind: a strong or weak array of a dtype, or a Python scalar."""

    def __init__(self, dtype: np.dtype, weak: bool, scalar: Any = None):
        self.dtype = np.dtype(dtype)
        self.weak = weak
        self.scalar = scalar

    @property
    def id(self) -> str:
        if self.scalar is not None:
            return type(self.scalar).__name__
        return ("~" if self.weak else "") + dtype_id(self.dtype)

    def fake(self) -> Any:
        """What JAX's dtypes.result_type sees: a Python scalar, or an object with .dtype and .aval."""
        if self.scalar is not None:
            return self.scalar
        return types.SimpleNamespace(dtype=self.dtype, aval=types.SimpleNamespace(weak_type=self.weak))

    def pair(self) -> tuple[np.dtype, bool]:
        """What the reference's result_type takes."""
        aval = (
            ShapedArray((), dtypes.scalar_dtype(self.scalar), weak_type=not isinstance(self.scalar, bool))
            if self.scalar is not None
            else ShapedArray((), self.dtype, self.weak)
        )
        return aval.dtype, aval.weak_type


OPERANDS = (
    [Operand(d, False) for d in ALL_DTYPES]
    + [Operand(d, True) for d in ALL_DTYPES if d != dtypes.bool_]
    + [
        Operand(dtypes.bool_, False, True),
        Operand(dtypes.int64, True, 3),
        Operand(dtypes.float64, True, 2.5),
        Operand(dtypes.complex128, True, 1.5j),
    ]
)
#: operand kinds whose triples are checked exhaustively
TRIPLE_OPERANDS = [
    o
    for o in OPERANDS
    if o.id
    in {
        "bool",
        "u8",
        "i8",
        "i32",
        "u64",
        "bf16",
        "f16",
        "f32",
        "c64",
        "~i8",
        "~u32",
        "~bf16",
        "~f32",
        "~c64",
        "int",
        "float",
        "complex",
    }
]


def _jax_result_type(*ops: Operand) -> tuple[np.dtype, bool]:
    dtype, weak = jax_dtypes.result_type(*(o.fake() for o in ops), return_weak_type_flag=True)
    return np.dtype(dtype), bool(weak)


@pytest.mark.parametrize("a", OPERANDS, ids=lambda o: o.id)
def test_result_type_pairs(a: Operand) -> None:
    for b in OPERANDS:
        assert dtypes.result_type(a.pair(), b.pair()) == _jax_result_type(a, b), (
            f"result_type({a.id}, {b.id})"
        )


def test_result_type_triples() -> None:
    for ops in itertools.product(TRIPLE_OPERANDS, repeat=3):
        got = dtypes.result_type(*(o.pair() for o in ops))
        assert got == _jax_result_type(*ops), f"result_type{tuple(o.id for o in ops)}"


@pytest.mark.parametrize("a", OPERANDS, ids=lambda o: o.id)
def test_lattice_result_type_pairs(a: Operand) -> None:
    """What jax.numpy promotes to: the lattice join, keeping weak non-default dtypes (weak int16)."""
    for b in OPERANDS:
        dtype, weak = jax_dtypes.lattice_result_type(a.fake(), b.fake())
        expected = (np.dtype(dtype), bool(weak))
        assert dtypes.lattice_result_type(a.pair(), b.pair()) == expected, (
            f"lattice_result_type({a.id}, {b.id})"
        )


def test_result_type_single_operand_keeps_its_type() -> None:
    for o in OPERANDS:
        assert dtypes.result_type(o.pair()) == _jax_result_type(o), o.id


# --- what add returns, in JAX and in the reference -------------------------------------------------


def _add_fn(a: Operand, b: Operand, add: Any, make_weak: Any) -> tuple[Any, list[Operand]]:
    """A function of the array operands (made weak inside with ``make_weak``) adding them, and
    those operands; Python scalars are closed over."""
    arrays = [o for o in (a, b) if o.scalar is None]

    def fn(*xs: Any) -> Any:
        it = iter(xs)
        args = [
            o.scalar if o.scalar is not None else (make_weak(next(it)) if o.weak else next(it))
            for o in (a, b)
        ]
        return add(*args)

    return fn, arrays


def _jax_add_fn(a: Operand, b: Operand, add: Any) -> tuple[Any, list[ShapedArray]]:
    fn, arrays = _add_fn(a, b, add, make_weak_jax)
    return fn, [ShapedArray((2,), o.dtype, False) for o in arrays]


def _ref_add_aval(a: Operand, b: Operand, add: Any) -> ShapedArray:
    fn, arrays = _add_fn(a, b, add, make_weak_ref)
    closed = fj.make_jaxpr(fn)(*(np.zeros((2,), o.dtype) for o in arrays))
    return closed.out_avals[0]


ADDS = {"lax.add": (jlax.add, flax.add), "jnp.add": (jnp.add, fnp.add)}


@pytest.mark.parametrize("which", list(ADDS))
@pytest.mark.parametrize("a", OPERANDS, ids=lambda o: o.id)
def test_add_result_dtype_as_jax_computes_it(which: str, a: Operand) -> None:
    """``add(a, b)`` for every operand kind ``b``: JAX's output dtype and weak type, or JAX's error."""
    jax_add, ref_add = ADDS[which]
    for b in OPERANDS:
        if a.scalar is not None and b.scalar is not None:
            continue  # two Python scalars: Python arithmetic, not a JAX operation
        fn, avals = _jax_add_fn(a, b, jax_add)
        try:
            (expected,) = jax_out_avals(fn, avals)
        except TypeError as exc:
            with pytest.raises(PrimitiveError) as info:
                _ref_add_aval(a, b, ref_add)
            assert info.value.code == "FJ-PRIM-DTYPE", f"{which}({a.id}, {b.id}): JAX: {exc}"
            continue
        got = _ref_add_aval(a, b, ref_add)
        assert (got.dtype, got.weak_type) == (expected.dtype, expected.weak_type), f"{which}({a.id}, {b.id})"
        assert got.shape == expected.shape


@pytest.mark.parametrize("scalar", [True, 3, 2.5, 1.5j], ids=lambda s: type(s).__name__)
def test_add_with_python_scalars_executes_like_jax(scalar: Any) -> None:
    """Eager execution: ``jnp.add(array, scalar)`` values and dtypes for every dtype JAX accepts."""
    for d in ALL_DTYPES:
        x = np.arange(3).astype(d)
        try:
            expected = np.asarray(jnp.add(x, scalar))
        except (TypeError, OverflowError) as exc:
            with pytest.raises(PrimitiveError):
                fnp.add(x, scalar)
            del exc
            continue
        got = np.asarray(fnp.add(x, scalar))
        assert got.dtype == expected.dtype, f"{dtype_id(d)} + {scalar!r}"
        np.testing.assert_array_equal(got, expected)


def test_x64_is_on() -> None:
    assert jax.config.jax_enable_x64
    assert jnp.asarray(1.0).dtype == np.float64
