"""The tolerance policy: how an output of the reference is compared with JAX's.

:func:`compare` checks one array, :func:`compare_outputs` a case's list of
outputs; both return :class:`Comparison` records (never raise on a
mismatch). The policy, in order:

1. **Shapes and dtypes are always exact.** A ``float32`` where JAX gave
   ``float64`` is a mismatch whatever the values.
2. **Booleans and integers are exact**, whatever the tolerance says.
3. **float0** (tangents of integers) carries no data: shape and dtype only.
4. **Floating point** (complex: each of the real and imaginary parts):

   * NaN equals NaN (any payload); NaN against a number is a mismatch;
   * infinities are exact: ``inf`` only matches ``inf`` of the same sign;
   * signed zeros are exact: ``-0.0`` against ``+0.0`` is a mismatch, unless
     the case's tolerance sets ``signed_zeros: false``;
   * a finite pair passes when ``|actual - expected| <= atol + rtol * |expected|``
     **or** when they are at most ``max_ulp`` units in the last place apart
     (ULP distance counts representable values between them, so ``+0.0`` and
     the smallest subnormal are 1 apart).

Tolerances come in per-dtype tiers (:data:`TIERS`), chosen by the catalog
per case and written into every fixture, so a bundle is self-describing:

* ``exact`` — bitwise equality up to NaN payload (atol = rtol = 0, max_ulp = 0);
* ``default`` — single primitives and the seed programs: JAX's own test-suite
  defaults (``jax._src.test_util.default_tolerance``: 1e-6 for float32,
  1e-15 for float64) as both atol and rtol, or 4 ULP;
* ``composite`` — derivatives and multi-primitive programs, where the order of
  floating-point operations legitimately differs between XLA and NumPy: 1e-5
  (float32) / 1e-12 (float64), or 64 ULP.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from frankenjax_ref.core import dtypes

#: Comparator names a case may carry.
COMPARATORS = ("exact", "allclose", "error")


@dataclass(frozen=True)
class Tolerance:
    """How close a float result must be; ints, bools, shapes and dtypes are always exact."""

    atol: float = 0.0
    rtol: float = 0.0
    max_ulp: int = 0
    signed_zeros: bool = True
    tier: str = "exact"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> Tolerance:
        return cls(
            atol=float(obj.get("atol", 0.0)),
            rtol=float(obj.get("rtol", 0.0)),
            max_ulp=int(obj.get("max_ulp", 0)),
            signed_zeros=bool(obj.get("signed_zeros", True)),
            tier=str(obj.get("tier", "custom")),
        )


EXACT = Tolerance()

#: (atol, rtol, max_ulp) per tier and float dtype name; complex uses its component dtype.
TIERS: dict[str, dict[str, tuple[float, float, int]]] = {
    "exact": {d: (0.0, 0.0, 0) for d in ("bfloat16", "float16", "float32", "float64")},
    "default": {
        "bfloat16": (1e-2, 1e-2, 4),
        "float16": (1e-3, 1e-3, 4),
        "float32": (1e-6, 1e-6, 4),
        "float64": (1e-15, 1e-15, 4),
    },
    "composite": {
        "bfloat16": (5e-2, 5e-2, 64),
        "float16": (1e-2, 1e-2, 64),
        "float32": (1e-5, 1e-5, 64),
        "float64": (1e-12, 1e-12, 64),
    },
}

_COMPONENT = {dtypes.complex64: dtypes.float32, dtypes.complex128: dtypes.float64}
_INT_VIEW = {2: (np.int16, np.uint16), 4: (np.int32, np.uint32), 8: (np.int64, np.uint64)}


def _float_name(dtype: np.dtype) -> str | None:
    d = _COMPONENT.get(np.dtype(dtype), np.dtype(dtype))
    return dtypes.name_of(d) if d in dtypes.FLOATING else None


def tolerance_for(dtype_or_dtypes: Any, tier: str = "default") -> Tolerance:
    """The tier's tolerance for a dtype, or the loosest over several dtypes (exact when none is float)."""
    if tier not in TIERS:
        raise ValueError(f"unknown tolerance tier {tier!r} (known: {', '.join(TIERS)})")
    items = dtype_or_dtypes if isinstance(dtype_or_dtypes, (list, tuple)) else [dtype_or_dtypes]
    best = (0.0, 0.0, 0)
    found = False
    for d in items:
        name = _float_name(dtypes.canonicalize(d)) if not isinstance(d, str) or d != "float0" else None
        if name is None:
            continue
        found = True
        a, r, u = TIERS[tier][name]
        best = (max(best[0], a), max(best[1], r), max(best[2], u))
    if not found:
        return Tolerance(tier=tier)
    return Tolerance(atol=best[0], rtol=best[1], max_ulp=best[2], tier=tier)


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one output; ``kind`` names the first rule that failed."""

    ok: bool
    kind: str  # ok | shape | dtype | value | nan | inf | signed_zero
    message: str
    size: int = 0
    mismatches: int = 0
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    max_ulp: float | None = None
    worst_index: list[int] | None = None
    expected_value: str | None = None
    actual_value: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: _json_float(v) for k, v in asdict(self).items()}


def _json_float(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return "inf" if v > 0 else ("-inf" if v < 0 else "nan")
    return v


def ulp_distance(expected: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Units in the last place between two finite float arrays of the same dtype (float64 result).

    Floats are mapped to integers that preserve order (``-0.0`` and ``+0.0``
    both map to 0), so the distance is the count of representable values
    between the two. Distances above 2**63 are approximate.
    """
    e = np.ascontiguousarray(expected)
    a = np.ascontiguousarray(actual)
    sint, uint = _INT_VIEW[e.dtype.itemsize]
    lowest = int(np.iinfo(np.dtype(sint)).min)  # type: ignore[type-var]

    def ordered(x: np.ndarray) -> np.ndarray:
        v = x.view(sint)
        return np.where(v < 0, sint(lowest) - v, v).astype(sint)

    oe, oa = ordered(e).view(uint), ordered(a).view(uint)
    diff = oa - oe  # modulo 2**bits
    neg = (uint(0) - diff).astype(uint)
    return np.minimum(diff, neg).astype(np.float64)


def _fmt(x: Any) -> str:
    return repr(x.item()) if hasattr(x, "item") else repr(x)


def compare(expected: Any, actual: Any, tolerance: Tolerance | None = None) -> Comparison:
    """Compare one output (``expected`` is JAX's) under ``tolerance`` (default: exact)."""
    tol = tolerance or EXACT
    e, a = np.asarray(expected), np.asarray(actual)
    if e.dtype != a.dtype:
        return Comparison(
            False, "dtype", f"dtype {_dname(a.dtype)} where JAX gives {_dname(e.dtype)}", e.size
        )
    if e.shape != a.shape:
        return Comparison(False, "shape", f"shape {list(a.shape)} where JAX gives {list(e.shape)}", e.size)
    if e.dtype == dtypes.float0 or e.size == 0:
        return Comparison(True, "ok", "equal", e.size)
    if e.dtype in _COMPONENT:
        comp = _COMPONENT[e.dtype]

        def parts(x: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(x).reshape(-1).view(comp).reshape(*x.shape, 2)

        return _compare_floats(parts(e), parts(a), tol, e.shape)
    if e.dtype in dtypes.FLOATING:
        return _compare_floats(e, a, tol, e.shape)
    bad = e != a
    n = int(np.count_nonzero(bad))
    if n == 0:
        return Comparison(True, "ok", "equal", e.size, 0, 0.0, 0.0, 0.0)
    idx = np.unravel_index(int(np.flatnonzero(bad)[0]), e.shape)
    return Comparison(
        False,
        "value",
        f"{n} of {e.size} elements differ (integers and booleans are exact)",
        e.size,
        n,
        worst_index=[int(i) for i in idx],
        expected_value=_fmt(e[idx]),
        actual_value=_fmt(a[idx]),
    )


def _compare_floats(e: np.ndarray, a: np.ndarray, tol: Tolerance, shape: tuple[int, ...]) -> Comparison:
    """Elementwise float policy; ``e``/``a`` may carry a trailing (re, im) axis for complex."""
    size = int(np.prod(shape)) if shape else 1
    with np.errstate(all="ignore"):
        e64, a64 = e.astype(np.float64), a.astype(np.float64)
        e_nan, a_nan = np.isnan(e64), np.isnan(a64)
        e_inf, a_inf = np.isinf(e64), np.isinf(a64)
        finite = ~(e_nan | a_nan | e_inf | a_inf)
        nan_bad = e_nan != a_nan
        inf_bad = (e_inf | a_inf) & ~(e_nan | a_nan) & (e64 != a64)
        zero_bad = (
            (e64 == 0) & (a64 == 0) & (np.signbit(e64) != np.signbit(a64))
            if tol.signed_zeros
            else np.zeros(e.shape, bool)
        )
        abs_err = np.where(finite, np.abs(a64 - e64), 0.0)
        rel_err = np.where(finite & (e64 != 0), abs_err / np.abs(np.where(e64 == 0, 1.0, e64)), 0.0)
        rel_err = np.where(finite & (e64 == 0) & (abs_err > 0), np.inf, rel_err)
        ulps = np.where(
            finite,
            ulp_distance(np.where(finite, e, 0).astype(e.dtype), np.where(finite, a, 0).astype(a.dtype)),
            0.0,
        )
        close = (abs_err <= tol.atol + tol.rtol * np.abs(e64)) | (ulps <= tol.max_ulp)
        value_bad = finite & ~close
    bad = nan_bad | inf_bad | zero_bad | value_bad
    stats = {
        "max_abs_err": float(abs_err.max()) if abs_err.size else 0.0,
        "max_rel_err": float(rel_err.max()) if rel_err.size else 0.0,
        "max_ulp": float(ulps.max()) if ulps.size else 0.0,
    }
    # per logical element (complex: either part)
    bad_el = bad.reshape(*shape, -1).any(axis=-1) if e.ndim > len(shape) else bad
    n = int(np.count_nonzero(bad_el))
    if n == 0:
        return Comparison(
            True,
            "ok",
            "within tolerance",
            size,
            0,
            stats["max_abs_err"],
            stats["max_rel_err"],
            stats["max_ulp"],
        )
    for kind, mask, text in (
        ("nan", nan_bad, "NaN where the other side has a number"),
        ("inf", inf_bad, "infinities differ"),
        ("signed_zero", zero_bad, "signs of zeros differ"),
        ("value", value_bad, "values differ beyond tolerance"),
    ):
        if mask.any():
            first = (
                int(np.flatnonzero(mask)[0])
                if kind != "value"
                else int(np.argmax(np.where(value_bad, ulps, -1)))
            )
            idx = np.unravel_index(first, e.shape)
            el = [int(i) for i in idx[: len(shape)]]
            return Comparison(
                False,
                kind,
                f"{n} of {size} elements mismatch: {text} (atol={tol.atol:g}, rtol={tol.rtol:g}, "
                f"max_ulp={tol.max_ulp})",
                size,
                n,
                worst_index=el,
                expected_value=_fmt(e[idx]),
                actual_value=_fmt(a[idx]),
                max_abs_err=stats["max_abs_err"],
                max_rel_err=stats["max_rel_err"],
                max_ulp=stats["max_ulp"],
            )
    raise AssertionError("unreachable")  # pragma: no cover


def _dname(d: np.dtype) -> str:
    try:
        return dtypes.name_of(d)
    except Exception:
        return str(d)


@dataclass(frozen=True)
class OutputsComparison:
    """All outputs of a case: ``ok`` when every output is within tolerance and counts match."""

    ok: bool
    kind: str
    message: str
    outputs: list[Comparison]

    @property
    def max_ulp(self) -> float:
        return max((c.max_ulp or 0.0 for c in self.outputs), default=0.0)

    @property
    def max_abs_err(self) -> float:
        return max((c.max_abs_err or 0.0 for c in self.outputs), default=0.0)

    @property
    def max_rel_err(self) -> float:
        return max((c.max_rel_err or 0.0 for c in self.outputs), default=0.0)


def compare_outputs(
    expected: Sequence[Any], actual: Sequence[Any], tolerance: Tolerance | None = None
) -> OutputsComparison:
    """Compare a case's outputs in order; a different count is an ``arity`` mismatch."""
    if len(expected) != len(actual):
        return OutputsComparison(False, "arity", f"{len(actual)} outputs where JAX gives {len(expected)}", [])
    results = [compare(e, a, tolerance) for e, a in zip(expected, actual, strict=True)]
    for i, r in enumerate(results):
        if not r.ok:
            return OutputsComparison(False, r.kind, f"output {i}: {r.message}", results)
    return OutputsComparison(True, "ok", "all outputs within tolerance", results)
