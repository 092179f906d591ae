"""Dtypes, JAX's type-promotion lattice and weak types (x64 semantics).

The reference always behaves like JAX with ``jax_enable_x64=True``: Python
``int`` is a weakly typed int64, ``float`` a weakly typed float64 and
``complex`` a weakly typed complex128.

Promotion is the least upper bound on JAX's lattice (``jax/_src/dtypes.py``,
``_type_promotion_lattice`` in standard, x64 mode). A weakly typed value
takes part as the abstract kind node ``i*``, ``f*`` or ``c*`` so that it does
not widen a strongly typed partner: ``f32 + 2.0 -> f32``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import ml_dtypes
import numpy as np

from frankenjax_ref.errors import IRError, PrimitiveError

bool_ = np.dtype(np.bool_)
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
bfloat16 = np.dtype(ml_dtypes.bfloat16)
float16, float32, float64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))
complex64, complex128 = np.dtype(np.complex64), np.dtype(np.complex128)

#: The dtype of tangents of integer and boolean values (JAX's ``float0``):
#: a zero-size structured type, so a float0 array carries no data at all.
float0 = np.dtype([("float0", np.void, 0)])

SIGNED = (int8, int16, int32, int64)
UNSIGNED = (uint8, uint16, uint32, uint64)
INTEGER = SIGNED + UNSIGNED
FLOATING = (bfloat16, float16, float32, float64)
COMPLEX = (complex64, complex128)
INEXACT = FLOATING + COMPLEX
NUMERIC = INTEGER + INEXACT
ALL = (bool_, *NUMERIC)

_SHORT = {
    "bool": "bool",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "uint64": "u64",
    "bfloat16": "bf16",
    "float16": "f16",
    "float32": "f32",
    "float64": "f64",
    "complex64": "c64",
    "complex128": "c128",
    "float0": "float0",
}


def name_of(dtype: np.dtype) -> str:
    """The canonical name of a dtype, as used in the IR and fixtures."""
    if dtype == float0:
        return "float0"
    if dtype == bfloat16:
        return "bfloat16"
    return np.dtype(dtype).name


_BY_NAME: dict[str, np.dtype] = {name_of(d): d for d in ALL}
_BY_NAME["float0"] = float0
_BY_NAME.update({short: _BY_NAME[long] for long, short in _SHORT.items()})


def short_name(dtype: np.dtype) -> str:
    return _SHORT[name_of(dtype)]


def from_name(name: str) -> np.dtype:
    """Parse a dtype name (long or short form); unknown names are typed errors."""
    if not isinstance(name, str) or name not in _BY_NAME:
        raise IRError("FJ-IR-DTYPE", f"unknown dtype {name!r}", hint=f"known: {', '.join(map(name_of, ALL))}")
    return _BY_NAME[name]


def canonicalize(dtype: object) -> np.dtype:
    """Any dtype-like (name, numpy type, np.dtype, Python type) as a supported np.dtype."""
    if dtype is float:
        return float64
    if dtype is int:
        return int64
    if dtype is complex:
        return complex128
    if dtype is bool:
        return bool_
    if isinstance(dtype, str):
        return from_name(dtype)
    try:
        d = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        raise PrimitiveError("FJ-PRIM-DTYPE", f"not a dtype: {dtype!r}") from None
    if d == float0:
        return float0
    if d not in ALL:
        raise PrimitiveError("FJ-PRIM-DTYPE", f"dtype {d} is not supported by FrankenJAX")
    return d


def is_float(d: np.dtype) -> bool:
    return d in FLOATING


def is_complex(d: np.dtype) -> bool:
    return d in COMPLEX


def is_inexact(d: np.dtype) -> bool:
    return d in INEXACT


def is_integer(d: np.dtype) -> bool:
    return d in INTEGER


def is_unsigned(d: np.dtype) -> bool:
    return d in UNSIGNED


def is_signed_int(d: np.dtype) -> bool:
    return d in SIGNED


def kind(d: np.dtype) -> str:
    """'b', 'i', 'u', 'f' or 'c' (bfloat16 is 'f', unlike numpy's 'V')."""
    if d == bool_:
        return "b"
    if d in SIGNED:
        return "i"
    if d in UNSIGNED:
        return "u"
    if d in FLOATING:
        return "f"
    if d in COMPLEX:
        return "c"
    return "V"


def tangent_dtype(d: np.dtype) -> np.dtype:
    """The dtype of a tangent for a primal of dtype ``d`` (float0 for ints and bools)."""
    return d if is_inexact(d) else float0


_TO_INEXACT = {
    bool_: float32,
    uint8: float32,
    int8: float32,
    uint16: float32,
    int16: float32,
    uint32: float32,
    int32: float32,
    uint64: float64,
    int64: float64,
}


def to_inexact(d: np.dtype) -> np.dtype:
    """JAX's ``to_inexact_dtype``: bools and integers up to 32 bits become float32, 64-bit ones float64."""
    return _TO_INEXACT.get(np.dtype(d), np.dtype(d))


def real_dtype(d: np.dtype) -> np.dtype:
    """float32 for complex64, float64 for complex128, ``d`` otherwise."""
    if d == complex64:
        return float32
    if d == complex128:
        return float64
    return d


def complex_dtype_for(d: np.dtype) -> np.dtype:
    return complex64 if d in (bfloat16, float16, float32, complex64) else complex128


def finfo(d: np.dtype) -> ml_dtypes.finfo:
    return ml_dtypes.finfo(d)


def iinfo(d: np.dtype) -> np.iinfo:
    return np.iinfo(d)


# --- the promotion lattice --------------------------------------------------

# Lattice nodes: np.dtype for strong types, and these three markers for the
# weak kinds (JAX uses the Python types int, float and complex).
WEAK_INT = "i*"
WEAK_FLOAT = "f*"
WEAK_COMPLEX = "c*"

_Node = np.dtype | str

_LATTICE: dict[_Node, list[_Node]] = {
    bool_: [WEAK_INT],
    WEAK_INT: [uint8, int8],
    uint8: [int16, uint16],
    uint16: [int32, uint32],
    uint32: [int64, uint64],
    uint64: [WEAK_FLOAT],
    int8: [int16],
    int16: [int32],
    int32: [int64],
    int64: [WEAK_FLOAT],
    WEAK_FLOAT: [bfloat16, float16, WEAK_COMPLEX],
    bfloat16: [float32],
    float16: [float32],
    float32: [float64, complex64],
    float64: [complex128],
    WEAK_COMPLEX: [complex64],
    complex64: [complex128],
    complex128: [],
}


def _upper_bounds() -> dict[_Node, frozenset[_Node]]:
    bounds: dict[_Node, set[_Node]] = {n: {n} for n in _LATTICE}
    changed = True
    while changed:
        changed = False
        for ub in bounds.values():
            new = set().union(*(_LATTICE[b] for b in ub)) - ub
            if new:
                ub |= new
                changed = True
    return {n: frozenset(b) for n, b in bounds.items()}


_UB = _upper_bounds()

_DEFAULT_FOR_WEAK: dict[str, np.dtype] = {WEAK_INT: int64, WEAK_FLOAT: float64, WEAK_COMPLEX: complex128}


def _node(dtype: np.dtype, weak: bool) -> _Node:
    if not weak or dtype == bool_:
        return dtype
    k = kind(dtype)
    if k in ("i", "u"):
        return WEAK_INT
    if k == "f":
        return WEAK_FLOAT
    return WEAK_COMPLEX


def _least_upper_bound(nodes: Iterable[_Node]) -> _Node:
    n = set(nodes)
    common = frozenset.intersection(*(_UB[x] for x in n))
    lub = set(common & n) or {c for c in common if common <= _UB[c]}
    if len(lub) != 1:  # pragma: no cover - the lattice is a lattice
        raise PrimitiveError("FJ-PRIM-DTYPE", f"no unique promotion for {sorted(map(str, n))}")
    return lub.pop()


def _as_dtype(node: _Node) -> np.dtype:
    return _DEFAULT_FOR_WEAK[node] if isinstance(node, str) else node


@functools.cache
def _lattice_result_type_cached(pairs: tuple[tuple[np.dtype, bool], ...]) -> tuple[np.dtype, bool]:
    dtypes_ = [d for d, _ in pairs]
    weaks = [w for _, w in pairs]
    if len(pairs) == 1:
        out, weak = dtypes_[0], weaks[0]
    elif len(set(dtypes_)) == 1 and not all(weaks):
        out, weak = dtypes_[0], False
    elif all(weaks):
        # JAX bounds the strong counterparts and marks the result weak
        out, weak = _as_dtype(_least_upper_bound(dtypes_)), True
    else:
        node = _least_upper_bound(_node(d, w) for d, w in pairs)
        out, weak = _as_dtype(node), isinstance(node, str)
    return out, bool(weak and out != bool_)


def _checked(pairs: tuple[tuple[np.dtype, bool], ...]) -> tuple[tuple[np.dtype, bool], ...]:
    if not pairs:
        raise PrimitiveError("FJ-PRIM-DTYPE", "result_type needs at least one dtype")
    return tuple((np.dtype(d), bool(w)) for d, w in pairs)


def lattice_result_type(*pairs: tuple[np.dtype, bool]) -> tuple[np.dtype, bool]:
    """JAX's ``dtypes.lattice_result_type``: the join on the lattice, keeping a weak result's dtype.

    This is what ``jax.numpy`` promotes operands to: two weak int8/int16 values
    give a weak int16, where :func:`result_type` gives a weak int64.
    """
    return _lattice_result_type_cached(_checked(pairs))


def result_type(*pairs: tuple[np.dtype, bool]) -> tuple[np.dtype, bool]:
    """JAX's ``dtypes.result_type(..., return_weak_type_flag=True)`` on (dtype, weak) pairs."""
    out, weak = _lattice_result_type_cached(_checked(pairs))
    if weak:
        # a weak result is the default dtype of its kind
        out = {"i": int64, "u": uint64, "f": float64, "c": complex128}[kind(out)]
    return out, weak


def promote_types(a: object, b: object) -> np.dtype:
    """``jnp.promote_types`` on two strong dtypes (Python types count as weak)."""

    def pair(x: object) -> tuple[np.dtype, bool]:
        if any(x is t for t in (int, float, complex)):
            return canonicalize(x), True
        return canonicalize(x), False

    pa, pb = pair(a), pair(b)
    return _as_dtype(_least_upper_bound([_node(*pa), _node(*pb)]))


# --- Python scalars ----------------------------------------------------------


def scalar_dtype(value: object) -> np.dtype:
    """The (weak) dtype of a Python scalar under x64 semantics."""
    if isinstance(value, (bool, np.bool_)):
        return bool_
    if isinstance(value, int):
        return int64
    if isinstance(value, float):
        return float64
    if isinstance(value, complex):
        return complex128
    raise PrimitiveError("FJ-PRIM-DTYPE", f"not a scalar: {type(value).__name__}")


def is_python_scalar(value: object) -> bool:
    return type(value) in (bool, int, float, complex)
