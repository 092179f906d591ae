"""``frankenjax.array.v1``: THE JSON encoding of arrays, used everywhere.

IR consts and literals, fixture inputs and outputs, ``fjh eval`` arguments and
results all encode an array the same way::

    {"dtype": "float32", "shape": [2, 2], "data": [1.0, -0.0, "inf", "nan:0xffc00000"]}

* ``dtype`` is the long dtype name (``float32``, never ``f32``); ``float0``
  is allowed.
* ``shape`` is a list of non-negative ints; ``data`` the elements flattened in
  row-major (C) order, ``len(data) == prod(shape)``.
* bool: JSON ``true``/``false`` (never ``0``/``1``).
* integers: JSON integers, exact over the whole range (int64 and uint64
  extremes included); a value out of the dtype's range is an error, never a
  silent wrap. Floats such as ``3.0`` are not integers.
* floating point (bfloat16, float16, float32, float64): a finite value is a
  JSON number. :func:`encode_array` writes Python's shortest round-trip
  ``repr`` of the value converted exactly to float64, so ``-0.0`` stays
  ``-0.0`` and subnormals are exact. Non-finite values are strings: ``"inf"``,
  ``"-inf"``, ``"nan"`` for the dtype's default quiet NaN (the bits of
  ``np.array(np.nan, dtype)``), and ``"nan:0x<hex>"`` for any other NaN bit
  pattern, with exactly ``width/4`` hex digits (``"nan:0xffc00000"`` is a
  negative float32 NaN), so every bit pattern round-trips exactly.
* complex: ``[re, im]`` pairs, each part by the float rules of its component
  dtype (float32 for complex64).
* float0 (JAX's tangent type of ints and bools) carries no data: ``data`` is
  ``[]`` whatever the shape.

Decoding policy for floats (what a hand-written arguments file may contain):
a JSON number, integer or fraction syntax, is taken at its value, rounded to
the nearest float64 (by the JSON parser), then to the nearest value of the
target dtype (round half to even; bfloat16 rounds once, correctly, through
round-to-odd). ``0.1`` is therefore accepted for a float32 and means
``float32(0.1)``. A finite number that overflows the dtype (``1e39`` for
float32, ``1e400`` anywhere) is rejected: write ``"inf"``. Canonical output
never depends on this rounding: :func:`encode_array` writes every value
exactly, so ``decode(encode(x))`` is bit-identical to ``x``.

Errors are :class:`~frankenjax_ref.errors.IRError`: ``FJ-IR-DTYPE`` for an
unknown or non-canonical dtype name, ``FJ-IR-LIMIT`` for rank or element
counts over the :class:`Limits`, and ``FJ-IR-VALUE`` for everything else that
is wrong inside an array object (missing or extra keys, a malformed shape, a
wrong element count, an element of the wrong JSON type or out of range).
Sizes are checked before anything is allocated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import ml_dtypes
import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.errors import IRError

SCHEMA_NAME = "frankenjax.array.v1"

_ARRAY_KEYS = frozenset({"dtype", "shape", "data"})


@dataclass(frozen=True)
class Limits:
    """Resource limits for decoding untrusted input (every field configurable).

    The defaults admit any program the reference can reasonably execute and
    keep a hostile document to a few hundred MiB of memory at most.
    """

    #: size of the serialized document (UTF-8 bytes; characters for ``str`` input)
    max_bytes: int = 64 * 1024 * 1024
    #: nesting of sub-jaxprs (a top-level program is depth 0)
    max_depth: int = 32
    #: equations, counted across every nesting level
    max_equations: int = 100_000
    #: binders (constvars, invars, equation outputs) across every scope
    max_vars: int = 1_000_000
    #: rank of any aval or array
    max_rank: int = 16
    #: elements of any single aval or array (also bounds every dimension)
    max_elements: int = 1 << 24
    #: elements across all consts and literals of a document (or all arguments)
    max_total_elements: int = 1 << 24
    #: length of a variable name
    max_name_length: int = 256


DEFAULT_LIMITS = Limits()


class ElementBudget:
    """Counts elements across many arrays against ``limits.max_total_elements``."""

    __slots__ = ("limits", "used")

    def __init__(self, limits: Limits):
        self.limits = limits
        self.used = 0

    def charge(self, n: int, where: str) -> None:
        if self.used + n > self.limits.max_total_elements:
            raise IRError(
                "FJ-IR-LIMIT",
                f"more than {self.limits.max_total_elements} array elements in total",
                where=where,
                hint="raise Limits.max_total_elements if this input is trusted",
            )
        self.used += n


# --- float bit layouts ------------------------------------------------------


@dataclass(frozen=True)
class _FloatLayout:
    uint: np.dtype
    width: int
    exp_mask: int
    mant_mask: int
    default_nan: int


def _layout(d: np.dtype, uint: type[np.unsignedinteger[Any]]) -> _FloatLayout:
    width = np.dtype(uint).itemsize * 8
    mant_mask = (1 << int(ml_dtypes.finfo(d).nmant)) - 1
    sign = 1 << (width - 1)
    exp_mask = ((1 << width) - 1) ^ sign ^ mant_mask
    default_nan = int(np.array(np.nan, dtype=np.float64).astype(d).view(uint))
    return _FloatLayout(np.dtype(uint), width, exp_mask, mant_mask, default_nan)


_LAYOUTS: dict[np.dtype, _FloatLayout] = {
    dtypes.bfloat16: _layout(dtypes.bfloat16, np.uint16),
    dtypes.float16: _layout(dtypes.float16, np.uint16),
    dtypes.float32: _layout(dtypes.float32, np.uint32),
    dtypes.float64: _layout(dtypes.float64, np.uint64),
}

_COMPONENT = {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}

_HEX = frozenset("0123456789abcdefABCDEF")


def _nan_string(bits: int, layout: _FloatLayout) -> str:
    if bits == layout.default_nan:
        return "nan"
    return f"nan:0x{bits:0{layout.width // 4}x}"


# --- encoding ------------------------------------------------------------------


def _supported(d: np.dtype, where: str) -> np.dtype:
    if d == dtypes.float0:
        return dtypes.float0
    if d not in dtypes.ALL:
        raise IRError("FJ-IR-DTYPE", f"dtype {d} cannot be encoded", where=where)
    return np.dtype(d)


def _encode_floats(flat: np.ndarray, d: np.dtype) -> list[Any]:
    layout = _LAYOUTS[d]
    with np.errstate(invalid="ignore"):  # NaNs of narrow types warn on the (exact) cast
        values = flat.astype(np.float64)
    out: list[Any] = values.tolist()
    if np.isfinite(values).all():
        return out
    bits = flat.view(layout.uint).tolist()
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        v = out[i]
        if v != v:
            out[i] = _nan_string(bits[i], layout)
        else:
            out[i] = "inf" if v > 0 else "-inf"
    return out


def encode_data(flat: np.ndarray, d: np.dtype) -> list[Any]:
    """The ``data`` list of a 1-d contiguous array of supported dtype ``d``."""
    if d == dtypes.float0:
        return []
    if d in _LAYOUTS:
        return _encode_floats(flat, d)
    if d in _COMPONENT:
        parts = _encode_floats(flat.view(_COMPONENT[d]), _COMPONENT[d])
        return [[parts[i], parts[i + 1]] for i in range(0, len(parts), 2)]
    # bool and integers: tolist gives Python bools / exact Python ints
    return flat.tolist()


def encode_array(x: Any, *, where: str = "array") -> dict[str, Any]:
    """Encode an array (or NumPy/Python scalar) as a ``frankenjax.array.v1`` object.

    The result is plain JSON data; ``json.dumps(..., allow_nan=False)`` accepts it.
    """
    arr = np.asarray(x)
    d = _supported(arr.dtype, where)
    flat = np.ascontiguousarray(arr).reshape(-1)
    return {"dtype": dtypes.name_of(d), "shape": list(arr.shape), "data": encode_data(flat, d)}


# --- decoding ------------------------------------------------------------------


def decode_dtype(name: Any, where: str) -> np.dtype:
    """A long dtype name (``float32``, ``float0``); short names are not canonical."""
    if not isinstance(name, str):
        raise IRError("FJ-IR-DTYPE", f"a dtype must be a string, got {_jtype(name)}", where=where)
    d = dtypes.from_name(name) if name in _LONG_NAMES else None
    if d is None:
        raise IRError(
            "FJ-IR-DTYPE",
            f"unknown dtype {name[:64]!r}",
            where=where,
            hint=f"use one of {', '.join(sorted(_LONG_NAMES))}",
        )
    return d


_LONG_NAMES = frozenset([*(dtypes.name_of(d) for d in dtypes.ALL), "float0"])


def decode_shape(obj: Any, where: str, limits: Limits, *, code: str = "FJ-IR-VALUE") -> tuple[int, ...]:
    """A shape: a list of non-negative ints within the rank and element limits.

    Malformed shapes raise ``code`` (FJ-IR-VALUE inside arrays, FJ-IR-SCHEMA
    in binders); sizes over the limits raise FJ-IR-LIMIT.
    """
    if not isinstance(obj, list):
        raise IRError(code, f"a shape must be a list of ints, got {_jtype(obj)}", where=where)
    if len(obj) > limits.max_rank:
        raise IRError("FJ-IR-LIMIT", f"rank {len(obj)} exceeds the limit {limits.max_rank}", where=where)
    for i, dim in enumerate(obj):
        if type(dim) is not int or dim < 0:
            raise IRError(
                code, f"a dimension must be a non-negative int, got {_short(dim)}", where=f"{where}[{i}]"
            )
        if dim > limits.max_elements:
            raise IRError(
                "FJ-IR-LIMIT",
                f"dimension {dim} exceeds the limit {limits.max_elements}",
                where=f"{where}[{i}]",
            )
    shape = tuple(obj)
    size = math.prod(shape)  # each dim <= max_elements and rank <= max_rank: a bounded int
    if size > limits.max_elements:
        raise IRError(
            "FJ-IR-LIMIT", f"{size} elements exceed the per-array limit {limits.max_elements}", where=where
        )
    return shape


def decode_array(
    obj: Any,
    *,
    where: str = "array",
    limits: Limits | None = None,
    budget: ElementBudget | None = None,
) -> np.ndarray:
    """Decode a ``frankenjax.array.v1`` object; raises IRError with a stable code.

    ``budget``, when given, is charged with the array's element count (before
    the array is built) so a document's total stays under
    ``limits.max_total_elements``.
    """
    limits = limits or DEFAULT_LIMITS
    if not isinstance(obj, dict):
        raise IRError("FJ-IR-VALUE", f"an array must be a JSON object, got {_jtype(obj)}", where=where)
    if obj.keys() != _ARRAY_KEYS:
        missing, extra = sorted(_ARRAY_KEYS - obj.keys()), sorted(map(str, obj.keys() - _ARRAY_KEYS))
        raise IRError(
            "FJ-IR-VALUE",
            "an array object has exactly the keys dtype, shape, data "
            f"(missing {missing}, unexpected {extra[:5]})",
            where=where,
        )
    d = decode_dtype(obj["dtype"], f"{where}.dtype")
    shape = decode_shape(obj["shape"], f"{where}.shape", limits)
    size = math.prod(shape)
    if budget is not None:
        budget.charge(size, where)
    data = obj["data"]
    if not isinstance(data, list):
        raise IRError("FJ-IR-VALUE", f"data must be a list, got {_jtype(data)}", where=f"{where}.data")
    if d == dtypes.float0:
        if data:
            raise IRError("FJ-IR-VALUE", "a float0 array has no data: write []", where=f"{where}.data")
        return np.zeros(shape, dtypes.float0)
    if len(data) != size:
        raise IRError(
            "FJ-IR-VALUE",
            f"shape {list(shape)} needs {size} elements, data has {len(data)}",
            where=f"{where}.data",
        )
    return decode_data(data, d, f"{where}.data").reshape(shape)


def decode_data(data: list[Any], d: np.dtype, where: str) -> np.ndarray:
    """A 1-d array of dtype ``d`` from a ``data`` list (length already checked)."""
    if d == dtypes.bool_:
        return _decode_bools(data, where)
    if d in dtypes.INTEGER:
        return _decode_ints(data, d, where)
    if d in _LAYOUTS:
        return _decode_floats(data, d, lambda i: f"{where}[{i}]")
    if d in _COMPONENT:
        return _decode_complex(data, d, where)
    raise IRError("FJ-IR-DTYPE", f"dtype {d} has no data encoding", where=where)  # pragma: no cover


def _decode_bools(data: list[Any], where: str) -> np.ndarray:
    for i, v in enumerate(data):
        if type(v) is not bool:
            raise IRError("FJ-IR-VALUE", f"expected true or false, got {_short(v)}", where=f"{where}[{i}]")
    return np.array(data, dtype=np.bool_).reshape(-1)


def _decode_ints(data: list[Any], d: np.dtype, where: str) -> np.ndarray:
    info = np.iinfo(d)
    lo, hi = int(info.min), int(info.max)
    for i, v in enumerate(data):
        if type(v) is not int:
            raise IRError(
                "FJ-IR-VALUE", f"expected an integer for {d.name}, got {_short(v)}", where=f"{where}[{i}]"
            )
        if not lo <= v <= hi:
            raise IRError(
                "FJ-IR-VALUE", f"{_short(v)} is out of range for {d.name} [{lo}, {hi}]", where=f"{where}[{i}]"
            )
    return np.array(data, dtype=d).reshape(-1)


def _parse_float_string(s: str, layout: _FloatLayout, where: str) -> tuple[float, int | None]:
    """(value, NaN bits or None) for the strings "inf", "-inf", "nan", "nan:0x..."."""
    if s == "inf":
        return math.inf, None
    if s == "-inf":
        return -math.inf, None
    if s == "nan":
        return math.nan, layout.default_nan
    digits = layout.width // 4
    if s.startswith("nan:0x") and len(s) == 6 + digits and set(s[6:]) <= _HEX:
        bits = int(s[6:], 16)
        if (bits & layout.exp_mask) == layout.exp_mask and bits & layout.mant_mask:
            return math.nan, bits
        raise IRError("FJ-IR-VALUE", f"{s!r} is not a NaN bit pattern", where=where)
    raise IRError(
        "FJ-IR-VALUE",
        f"unknown float string {s[:40]!r}",
        where=where,
        hint=f'use "inf", "-inf", "nan" or "nan:0x" with {digits} hex digits',
    )


def _decode_floats(data: list[Any], d: np.dtype, locate: Any) -> np.ndarray:
    layout = _LAYOUTS[d]
    values: list[float] = []
    nans: list[tuple[int, int]] = []
    append = values.append
    for i, v in enumerate(data):
        t = type(v)
        if t is float:
            if not math.isfinite(v):
                raise IRError(
                    "FJ-IR-VALUE",
                    "number overflows float64 or is not JSON",
                    where=locate(i),
                    hint='write "inf", "-inf" or "nan"',
                )
            append(v)
        elif t is int:
            try:
                append(float(v))
            except OverflowError:
                raise IRError("FJ-IR-VALUE", "integer overflows float64", where=locate(i)) from None
        elif t is str:
            value, bits = _parse_float_string(v, layout, locate(i))
            if bits is not None:
                nans.append((i, bits))
            append(value)
        else:
            raise IRError(
                "FJ-IR-VALUE", f"expected a number or a float string, got {_short(v)}", where=locate(i)
            )
    f64 = np.array(values, dtype=np.float64)
    out = _round_from_f64(f64, d)
    if d != dtypes.float64:
        with np.errstate(invalid="ignore"):
            overflow = np.isinf(out.astype(np.float64)) & np.isfinite(f64)
        if overflow.any():
            i = int(np.flatnonzero(overflow)[0])
            raise IRError(
                "FJ-IR-VALUE",
                f"{values[i]!r} overflows {dtypes.name_of(d)}",
                where=locate(i),
                hint='write "inf" or "-inf" for infinities',
            )
    if nans:
        view = out.view(layout.uint)
        for i, bits in nans:
            view[i] = bits
    return out


def _round_from_f64(f64: np.ndarray, d: np.dtype) -> np.ndarray:
    """Round float64 values to ``d``, once, to nearest (ties to even)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if d != dtypes.bfloat16:
            return f64.astype(d)
        # ml_dtypes converts float64 -> bfloat16 through float32 (double
        # rounding); rounding to odd in the first step makes it exact.
        f32 = f64.astype(np.float32)
        back = f32.astype(np.float64)
        inexact = (back != f64) & np.isfinite(f64)
        bits = f32.view(np.uint32).copy()
        bits[inexact & (np.abs(back) > np.abs(f64))] -= np.uint32(1)
        bits[inexact] |= np.uint32(1)
        return bits.view(np.float32).astype(dtypes.bfloat16)


def _decode_complex(data: list[Any], d: np.dtype, where: str) -> np.ndarray:
    parts: list[Any] = []
    for i, v in enumerate(data):
        if not isinstance(v, list) or len(v) != 2:
            raise IRError(
                "FJ-IR-VALUE", f"a complex element is a [re, im] pair, got {_short(v)}", where=f"{where}[{i}]"
            )
        parts.extend(v)
    comp = _decode_floats(parts, _COMPONENT[d], lambda j: f"{where}[{j // 2}][{j % 2}]")
    return comp.view(d).reshape(-1)


# --- messages ---------------------------------------------------------------------


def _jtype(v: Any) -> str:
    """The JSON type of a decoded value, for messages."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _short(v: Any) -> str:
    """A bounded rendering of a JSON value for messages."""
    if isinstance(v, (bool, float)) or v is None:
        return repr(v)
    if isinstance(v, int):
        text = str(v) if v.bit_length() < 200 else f"an integer of {v.bit_length()} bits"
        return text
    if isinstance(v, str):
        return repr(v[:40]) + ("..." if len(v) > 40 else "")
    return _jtype(v)
