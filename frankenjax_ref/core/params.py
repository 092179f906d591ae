"""Typed equation parameters.

Each primitive declares its params as data: a name, a :class:`ParamType` and
a default. The same declaration serves three jobs, so they never drift apart:

* ``normalize`` — coerce what a caller passed to ``bind`` (lists to tuples,
  dtype-likes to ``np.dtype``) and reject what does not fit;
* ``encode`` — the value's canonical JSON form;
* ``decode`` — read the JSON form back, with a typed error naming the param.

Params that JAX carries only for sharding or layouts on multi-device
meshes (``sharding``, ``out_sharding``) are declared as :data:`NONE_ONLY`:
the reference is single-device, so they must be ``None``; keeping them makes
an imported program read exactly like ``jax.make_jaxpr`` output.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.errors import IRError, PrimitiveError


class ParamError(Exception):
    """Internal: a value does not fit a ParamType (turned into a typed error by callers)."""


class ParamType:
    name = "param"

    def normalize(self, value: Any) -> Any:
        raise NotImplementedError

    def encode(self, value: Any) -> Any:
        return value

    def decode(self, obj: Any) -> Any:
        return self.normalize(obj)

    def pretty(self, value: Any) -> str:
        return str(value)


class _Int(ParamType):
    name = "int"

    def normalize(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ParamError(f"expected an int, got {type(value).__name__}")
        return operator.index(value)


class _Bool(ParamType):
    name = "bool"

    def normalize(self, value: Any) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            raise ParamError(f"expected a bool, got {type(value).__name__}")
        return bool(value)


class _Str(ParamType):
    name = "str"

    def normalize(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ParamError(f"expected a string, got {type(value).__name__}")
        if len(value) > 4096:
            raise ParamError("string longer than 4096 characters")
        return value


class _DType(ParamType):
    name = "dtype"

    def normalize(self, value: Any) -> np.dtype:
        try:
            return dtypes.canonicalize(value)
        except (IRError, PrimitiveError) as exc:
            raise ParamError(exc.message) from None

    def encode(self, value: np.dtype) -> str:
        return dtypes.name_of(value)

    def decode(self, obj: Any) -> np.dtype:
        if not isinstance(obj, str):
            raise ParamError("expected a dtype name")
        return self.normalize(obj)

    def pretty(self, value: np.dtype) -> str:
        return dtypes.name_of(value)


@dataclass(frozen=True)
class Enum(ParamType):
    """One of a fixed set of names (JAX's enums such as ``RoundingMethod``)."""

    choices: tuple[str, ...]
    name: str = "enum"

    def normalize(self, value: Any) -> str:
        if isinstance(value, enum.Enum):
            value = value.name
        if not isinstance(value, str) or value not in self.choices:
            raise ParamError(f"expected one of {self.choices}, got {value!r}")
        return value


@dataclass(frozen=True)
class Optional(ParamType):
    inner: ParamType
    name: str = "optional"

    def normalize(self, value: Any) -> Any:
        return None if value is None else self.inner.normalize(value)

    def encode(self, value: Any) -> Any:
        return None if value is None else self.inner.encode(value)

    def decode(self, obj: Any) -> Any:
        return None if obj is None else self.inner.decode(obj)

    def pretty(self, value: Any) -> str:
        return "None" if value is None else self.inner.pretty(value)


@dataclass(frozen=True)
class TupleOf(ParamType):
    """A tuple of ``inner`` values; ``length`` fixes its size when given."""

    inner: ParamType
    length: int | None = None
    max_length: int = 1 << 16
    name: str = "tuple"

    def normalize(self, value: Any) -> tuple[Any, ...]:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | np.ndarray):
            raise ParamError(f"expected a sequence, got {type(value).__name__}")
        if self.length is not None and len(value) != self.length:
            raise ParamError(f"expected {self.length} items, got {len(value)}")
        if len(value) > self.max_length:
            raise ParamError("sequence too long")
        return tuple(self.inner.normalize(v) for v in value)

    def encode(self, value: tuple[Any, ...]) -> list[Any]:
        return [self.inner.encode(v) for v in value]

    def decode(self, obj: Any) -> tuple[Any, ...]:
        if not isinstance(obj, list):
            raise ParamError("expected a JSON array")
        if self.length is not None and len(obj) != self.length:
            raise ParamError(f"expected {self.length} items, got {len(obj)}")
        return tuple(self.inner.decode(v) for v in obj)

    def pretty(self, value: tuple[Any, ...]) -> str:
        inner = ", ".join(self.inner.pretty(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"


class _NoneOnly(ParamType):
    name = "none"

    def normalize(self, value: Any) -> None:
        if value is not None:
            raise ParamError("only None is supported (single-device reference)")
        return None


INT = _Int()
BOOL = _Bool()
STR = _Str()
DTYPE = _DType()
NONE_ONLY = _NoneOnly()
INTS = TupleOf(INT)
BOOLS = TupleOf(BOOL)
OPT_DTYPE = Optional(DTYPE)
OPT_INTS = Optional(INTS)
#: ``dot_general``'s ``((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))``
DIMENSION_NUMBERS = TupleOf(TupleOf(INTS, length=2), length=2)
#: ``pad``'s ``((low, high, interior), ...)``
PADDING_CONFIG = TupleOf(TupleOf(INT, length=3))
ACCURACY = NONE_ONLY
#: ``dot_general``'s precision: ``None`` or a pair of precision names
PRECISION = Optional(TupleOf(Optional(Enum(("DEFAULT", "HIGH", "HIGHEST"))), length=2))


@dataclass(frozen=True)
class Param:
    type: ParamType
    default: Any = ...  # Ellipsis: required

    @property
    def required(self) -> bool:
        return self.default is ...


def normalize_params(prim_name: str, specs: dict[str, Param], given: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults, coerce values and reject unknown or missing params."""
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise PrimitiveError("FJ-PRIM-PARAM", f"{prim_name}: unknown params {unknown}")
    out: dict[str, Any] = {}
    for key, spec in specs.items():
        if key in given:
            try:
                out[key] = spec.type.normalize(given[key])
            except ParamError as exc:
                raise PrimitiveError("FJ-PRIM-PARAM", f"{prim_name}: param {key!r}: {exc}") from None
        elif spec.required:
            raise PrimitiveError("FJ-PRIM-PARAM", f"{prim_name}: missing required param {key!r}")
        else:
            out[key] = spec.default
    return out


def encode_params(specs: dict[str, Param], params: dict[str, Any]) -> dict[str, Any]:
    return {key: specs[key].type.encode(params[key]) for key in specs}


def decode_params(prim_name: str, specs: dict[str, Param], obj: Any, where: str) -> dict[str, Any]:
    """Decode a JSON params object exactly: every declared key, nothing else."""
    if not isinstance(obj, dict):
        raise IRError("FJ-IR-PARAM", f"{prim_name}: params must be a JSON object", where=where)
    keys = set(obj)
    expected = set(specs)
    if keys != expected:
        missing, extra = sorted(expected - keys), sorted(keys - expected)
        raise IRError(
            "FJ-IR-PARAM", f"{prim_name}: params missing {missing} / unexpected {extra}", where=where
        )
    out: dict[str, Any] = {}
    for key, spec in specs.items():
        try:
            out[key] = spec.type.decode(obj[key])
        except ParamError as exc:
            raise IRError(
                "FJ-IR-PARAM", f"{prim_name}: param {key!r}: {exc}", where=f"{where}.{key}"
            ) from None
    return out
