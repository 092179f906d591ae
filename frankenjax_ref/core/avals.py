"""Abstract values: what the type checker and the tracers know about an array.

A :class:`ShapedArray` is a dtype, a static shape and JAX's weak-type bit.
It is immutable and hashable so it can key caches (``jit``'s trace cache,
``transpose_jaxpr``'s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from frankenjax_ref.core import dtypes
from frankenjax_ref.errors import FJError, PrimitiveError


@dataclass(frozen=True, slots=True)
class ShapedArray:
    shape: tuple[int, ...]
    dtype: np.dtype
    weak_type: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))
        object.__setattr__(self, "weak_type", bool(self.weak_type))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def update(self, **changes: object) -> ShapedArray:
        fields = {"shape": self.shape, "dtype": self.dtype, "weak_type": self.weak_type}
        fields.update(changes)
        return ShapedArray(**fields)  # type: ignore[arg-type]

    def strip_weak(self) -> ShapedArray:
        return self if not self.weak_type else ShapedArray(self.shape, self.dtype, False)

    def str_short(self) -> str:
        """JAX's short form: ``f64[2,3]``, ``~f64[]`` for weak types."""
        dims = ",".join(str(d) for d in self.shape)
        return f"{'~' if self.weak_type else ''}{dtypes.short_name(self.dtype)}[{dims}]"

    def __repr__(self) -> str:
        return f"ShapedArray({self.str_short()})"

    def to_json(self) -> dict[str, object]:
        return {"dtype": dtypes.name_of(self.dtype), "shape": list(self.shape), "weak_type": self.weak_type}


def tangent_aval(aval: ShapedArray) -> ShapedArray:
    """The aval of a tangent (or cotangent) of ``aval``: float0 for ints/bools.

    A weakly typed primal has weakly typed tangents, as in JAX (``to_tangent_aval``): the
    gradient of a function at a Python float is a weak float64.
    """
    dtype = dtypes.tangent_dtype(aval.dtype)
    return ShapedArray(aval.shape, dtype, aval.weak_type and dtype != dtypes.float0)


def get_aval(x: object) -> ShapedArray:
    """The aval of a concrete value or a tracer.

    Python scalars are weakly typed (x64 semantics); NumPy values are strong.
    """
    aval = getattr(x, "aval", None)
    if isinstance(aval, ShapedArray):
        return aval
    if dtypes.is_python_scalar(x):
        return ShapedArray((), dtypes.scalar_dtype(x), weak_type=not isinstance(x, bool))
    if isinstance(x, (np.ndarray, np.generic)):
        return ShapedArray(np.shape(x), dtypes.canonicalize(x.dtype), False)
    raise PrimitiveError(
        "FJ-PRIM-DTYPE",
        f"{type(x).__name__} is not a valid array value",
        hint="pass NumPy arrays, NumPy scalars or Python scalars",
    )


def is_array_like(x: object) -> bool:
    try:
        get_aval(x)
    except FJError:
        return False
    return True
