"""Input generators: ordinary values per domain, edge values per dtype, empty arrays.

Everything is deterministic: the generator of a case is seeded from a
SHA-256 of the case's key, so the same catalog yields the same arrays on
every machine (and the captured bundles store the arrays anyway).

Edge values per dtype (:func:`edge_values`):

* floats: ``±0``, ``±1``, ``0.5``, ``-2.5``, ``±inf``, NaN, the largest
  finite value (both signs), a large and a tiny magnitude (``1e±20`` for
  float32, ``1e±200`` for float64);
* subnormals are a set of their own (:func:`subnormal_values`: ``±0``, the
  smallest subnormal, a mid subnormal, the smallest normal, both signs),
  because XLA's CPU backend flushes subnormal inputs and results to zero;
* integers: ``0``, ``±1``, ``2``, ``-3``, ``7``, ``100``, the extremes and
  their neighbours;
* bool: both values;
* complex: pairs of a smaller float edge set for the real and imaginary parts;
  pairs with an inf or NaN part are the ``nonfinite`` set of their own
  (XLA's complex kernels do not follow C99 Annex G there; the reference follows
  XLA's, except in dot products: KD-0005).

Binary elementwise primitives get the full cross product of edge values (every
pair appears once), so ``inf - inf``, ``0 / 0``, ``-0.0 * x`` and integer
overflow are all exercised.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from frankenjax_ref.core import dtypes

FLOATS = ("float32", "float64")
COMPLEXES = ("complex64", "complex128")
INTS = ("int32", "int64")
#: The dtypes every primitive is swept over; JAX decides which it accepts.
CANDIDATE_DTYPES = ("bool", "int32", "int64", "float32", "float64", "complex64", "complex128")


def np_dtype(name: str) -> np.dtype:
    return dtypes.from_name(name)


def is_inexact(name: str) -> bool:
    return name in FLOATS or name in COMPLEXES or name in ("float16", "bfloat16")


def rng_for(key: str) -> np.random.Generator:
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
    return np.random.default_rng(seed)


#: Ranges of ordinary values by domain name (floats; integers use their own ranges).
DOMAINS: dict[str, tuple[float, float]] = {
    "any": (-3.0, 3.0),
    "positive": (0.1, 4.0),
    "unit": (-0.95, 0.95),
    "ge1": (1.05, 4.0),
    "gt_minus1": (-0.9, 4.0),
    "nonzero": (0.5, 3.0),  # magnitude; the sign is random
    "small": (-1.0, 1.0),
    "exponent": (-2.0, 2.0),
}


def _float_values(rng: np.random.Generator, shape: tuple[int, ...], domain: str) -> np.ndarray:
    lo, hi = DOMAINS.get(domain, DOMAINS["any"])
    x = rng.uniform(lo, hi, size=shape)
    if domain == "nonzero":
        x = x * rng.choice([-1.0, 1.0], size=shape)
    return np.round(x, 3)


def ordinary(rng: np.random.Generator, shape: tuple[int, ...], dtype: str, domain: str = "any") -> np.ndarray:
    """Ordinary values of ``dtype`` in ``domain``."""
    d = np_dtype(dtype)
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype in INTS or d in dtypes.INTEGER:
        if domain == "nonzero":
            v = rng.integers(1, 6, size=shape) * rng.choice([-1, 1], size=shape)
        elif domain in ("positive", "ge1"):
            v = rng.integers(1, 6, size=shape)
        elif domain == "index":
            v = rng.integers(0, 3, size=shape)
        elif domain == "exponent":
            v = rng.integers(0, 4, size=shape)
        else:
            v = rng.integers(-5, 6, size=shape)
        return v.astype(d)
    if dtype in COMPLEXES:
        re = _float_values(rng, shape, domain if domain != "ge1" else "positive")
        im = _float_values(rng, shape, "small")
        return (re + 1j * im).astype(d)
    return _float_values(rng, shape, domain).astype(d)


def subnormal_values(dtype: str) -> np.ndarray:
    """Values around the bottom of the float range, as a 1-d array (edge values for non-floats).

    ``±0``, the smallest subnormal, a mid subnormal (half the smallest normal),
    the smallest normal (all with both signs), ``1`` and ``0.5``. XLA's CPU
    backend treats subnormal inputs and results as zero (FTZ/DAZ), so these
    cases are kept apart from the other edge values.
    """
    d = np_dtype(dtype)
    if dtype in COMPLEXES:
        comp = dtypes.float32 if dtype == "complex64" else dtypes.float64
        fi = np.finfo(comp)  # type: ignore[type-var]
        s, tiny = float(fi.smallest_subnormal), float(fi.tiny)
        parts = np.array([0.0, s, -s, tiny / 2, 1.0], dtype=comp)
        out = np.empty(len(parts) ** 2, d)
        out.real, out.imag = np.repeat(parts, len(parts)), np.tile(parts, len(parts))
        return out
    if d not in dtypes.FLOATING:
        return edge_values(dtype)
    info = np.finfo(d)
    s, tiny = float(info.smallest_subnormal), float(info.tiny)
    return np.array([0.0, -0.0, s, -s, tiny / 2, -tiny / 2, tiny, -tiny, 1.0, 0.5], dtype=d)


def _complex_edges(dtype: str, nonfinite: bool) -> np.ndarray:
    """Complex edge values: every pair of real/imaginary parts from a small set.

    With ``nonfinite`` only the pairs with an infinite or NaN part, otherwise
    only the finite pairs. XLA's complex kernels do not follow C99 Annex G for
    inf/NaN components (NumPy does), so those inputs form a set of their own,
    which a reviewed known divergence can name (KD-0005: complex dot products)
    without touching the finite edge values (signed zeros, tiny, large).
    """
    comp = dtypes.float32 if dtype == "complex64" else dtypes.float64
    parts = np.array([0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, np.nan, 1e-3], dtype=comp)
    re = np.repeat(parts, len(parts))
    im = np.tile(parts, len(parts))
    finite = np.isfinite(re) & np.isfinite(im)
    keep = ~finite if nonfinite else finite
    out = np.empty(int(keep.sum()), np_dtype(dtype))
    out.real, out.imag = re[keep], im[keep]
    return out


def edge_values(dtype: str, kind: str = "edge") -> np.ndarray:
    """The edge values of ``dtype`` as a 1-d array.

    ``kind="subnormal"``: :func:`subnormal_values`; ``kind="nonfinite"``: for
    complex dtypes the values with an inf/NaN part, for others the ordinary edges.
    """
    if kind == "subnormal":
        return subnormal_values(dtype)
    d = np_dtype(dtype)
    if dtype == "bool":
        return np.array([False, True])
    if d in dtypes.INTEGER:
        iinfo = np.iinfo(d)
        lo, hi = int(iinfo.min), int(iinfo.max)
        return np.array([0, 1, -1, 2, -3, 7, 100, lo, hi, lo + 1, hi - 1], dtype=d)
    if dtype in COMPLEXES:
        return _complex_edges(dtype, nonfinite=kind == "nonfinite")
    info = np.finfo(d)
    big, small = (1e20, 1e-20) if d == dtypes.float32 else (1e200, 1e-200)
    vals: list[float] = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -2.5,
        np.inf,
        -np.inf,
        np.nan,
        info.max,
        -info.max,
        big,
        small,
    ]
    with np.errstate(over="ignore"):
        return np.array(vals, dtype=d)


def edge_operands(
    dtypes_: Sequence[str], shape: tuple[int, ...] | None = None, kind: str = "edge"
) -> list[np.ndarray]:
    """Edge inputs for ``len(dtypes_)`` operands.

    Without ``shape`` (elementwise primitives): 1-d arrays where the first two
    operands form the cross product of their edge values (a subset for complex
    pairs) and further operands cycle. With ``shape``: each operand filled with
    its edge values, cycling, each starting at a different offset.
    """
    edges = [edge_values(d, kind) for d in dtypes_]
    if shape is not None:
        n = int(np.prod(shape)) if shape else 1
        out = []
        for i, e in enumerate(edges):
            idx = (np.arange(n) + 3 * i) % len(e)
            out.append(e[idx].reshape(shape))
        return out
    if len(edges) == 1:
        return [edges[0]]
    a, b = edges[0], edges[1]
    if len(a) * len(b) <= 400:
        xs, ys = np.repeat(a, len(b)), np.tile(b, len(a))
    else:  # complex x complex: pair every value of a with a permuted b
        n = max(len(a), len(b))
        xs = a[np.arange(n) % len(a)]
        ys = b[(np.arange(n) * 37 + 11) % len(b)]
    out = [xs, ys]
    for e in edges[2:]:
        out.append(e[(np.arange(len(xs)) * 7 + 5) % len(e)])
    return out


def shaped_edges(dtype: str, shape: tuple[int, ...], offset: int = 0, kind: str = "edge") -> np.ndarray:
    """An array of ``shape`` filled with the edge values of ``dtype``, cycling from ``offset``."""
    e = edge_values(dtype, kind)
    n = int(np.prod(shape)) if shape else 1
    return e[(np.arange(n) + offset) % len(e)].reshape(shape)


def tangent_like(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """A tangent for primal ``x``: float0 zeros for integers and bools, small values otherwise."""
    if x.dtype == np.bool_ or x.dtype in dtypes.INTEGER:
        return np.zeros(x.shape, dtypes.float0)
    name = dtypes.name_of(x.dtype)
    return ordinary(rng, x.shape, name, "small")


def batched(rng: np.random.Generator, make: object, size: int) -> np.ndarray:
    """Stack ``size`` examples made by ``make()`` along a new leading axis."""
    return np.stack([make() for _ in range(size)])  # type: ignore[operator]
