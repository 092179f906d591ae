"""What a primitive's case spec is: operands, params variants, and what each consumer needs to know.

One :class:`PrimitiveSpec` per registered primitive, written once in the spec module of its family,
feeds three generators:

* the conformance **catalog** (:mod:`harness.conformance.catalog.primitives`): every variant swept
  over bool, int32, int64, float32, float64, complex64 and complex128, on normal, edge, subnormal,
  non-finite (complex) and empty inputs, under the variant's ``stacks``;
* the live-JAX **unit tests** (``tests/jax_helpers.py``: ``tests/test_primitives_vs_jax.py`` and
  ``tests/test_rules_vs_jax.py``): every variant against JAX for all 15 dtypes (``main`` variants;
  the others for float32 by default and all dtypes in the slow sweep), and every rule of the
  primitive on its ``main`` variants;
* the **fuzz seed** of the IR deserializer (:mod:`harness.fuzz.seeds`): one program binding the
  primitive once (:class:`Seed`).

An operand whose shape is ``None`` is elementwise: it takes the shape of the result, chosen by each
generator (:data:`CATALOG_SHAPE`, :data:`UNIT_SHAPE`, :data:`SEED_SHAPE`); the catalog then pairs
edge values across operands (every pair of edge values once) and the unit tests build an edge
grid. Explicit shapes are used as written (``()`` for a scalar).

A variant field left ``None`` takes the row's value (``tier``, ``scale``, ``differentiable``,
``may_raise``, ``reject_code``), so shared facts are written once per primitive.

Nothing here imports JAX: a primitive whose JAX side is not a plain ``bind`` gives ``jax_fn(ns,
params)``, built from a namespace (``ns.lax``, ``ns.jnp``, ``ns.api``: JAX's or the reference's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from frankenjax_ref.core.avals import ShapedArray
from harness.conformance.catalog.model import ExpectedError

Shape = tuple[int, ...]

#: shapes an elementwise operand (``Arg(shape=None)``) takes in each generator
CATALOG_SHAPE: Shape = (4,)
UNIT_SHAPE: Shape = (2, 3)
SEED_SHAPE: Shape = (3,)

#: the stacks the catalog can run a variant under (``grad`` only for differentiable variants)
ALL_STACKS = ("eager", "jit", "vmap", "jvp", "grad")


@dataclass(frozen=True)
class Ints:
    """Integer values in ``[lo, hi)`` (an index operand, a small exponent), wherever values are drawn:
    the catalog's ordinary and edge inputs, the unit tests' random inputs and edge pool."""

    lo: int
    hi: int

    def __post_init__(self) -> None:
        if self.hi <= self.lo:
            raise ValueError(f"empty integer range [{self.lo}, {self.hi})")


#: The derivative-test range of each named domain (smooth: away from poles, kinks and branch cuts).
#: The catalog draws its ordinary values from ``harness.conformance.catalog.inputs.DOMAINS``.
SMOOTH: dict[str, tuple[float, float]] = {
    "any": (-2.0, 2.0),
    "small": (-1.0, 1.0),
    "positive": (0.5, 3.0),
    "unit": (-0.9, 0.9),
    "ge1": (1.2, 3.0),
    "gt_minus1": (-0.5, 2.0),
    "nonzero": (0.5, 2.0),
    "exponent": (-2.0, 2.0),
}


@dataclass(frozen=True)
class Arg:
    """One operand: its shape (``None``: elementwise), dtype name (``None``: the swept dtype), values.

    ``domain`` names where ordinary values come from (``harness.conformance.catalog.inputs.DOMAINS``:
    ``any``, ``positive``, ``unit``, ``ge1``, ``gt_minus1``, ``nonzero``, ``small``, ``exponent``) or
    is an :class:`Ints` range; ``smooth`` overrides the domain's derivative-test range.
    """

    shape: Shape | None = None
    dtype: str | None = None
    domain: str | Ints = "any"
    smooth: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.domain, str) and self.domain not in SMOOTH:
            raise ValueError(f"unknown domain {self.domain!r} (known: {sorted(SMOOTH)})")
        if self.dtype is not None:
            from frankenjax_ref.core import dtypes

            dtypes.from_name(self.dtype)  # an unknown name raises here, not in some generator later

    def smooth_range(self) -> tuple[float, float]:
        if self.smooth is not None:
            return self.smooth
        return SMOOTH[self.domain] if isinstance(self.domain, str) else SMOOTH["any"]

    def dtype_for(self, swept: str) -> str:
        return self.dtype or swept


#: params as a function of the swept dtype and the operand avals (a sub-jaxpr traced at them)
ParamsFn = Callable[[np.dtype, Sequence[ShapedArray]], dict[str, Any]]
#: what JAX may raise for a swept dtype name under any stack (it traces, then fails)
MayRaise = ExpectedError | Callable[[str], ExpectedError | None]
#: the reference's error code where JAX rejects the operands, per dtype
RejectCode = str | Callable[[np.dtype], str]
#: the JAX-side function of a primitive that is not a plain bind: ``jax_fn(ns, params)``
JaxFn = Callable[[Any, dict[str, Any]], Callable[..., Any]]
#: the magnitude an accumulation's tolerance is relative to: ``scale(*inputs, **params)``
ScaleFn = Callable[..., Any]

_AUTO: Any = "auto"


@dataclass(frozen=True)
class Variant:
    """One way to call the primitive: operands and params, and where it is used.

    ``empty``: operand shapes of the catalog's ``empty`` input set (default: ``(0,)`` for every
    operand of an elementwise variant, none otherwise). ``edge``: the unit tests' deterministic
    input layout, ``"grid"`` (every combination of edge values; the default for elementwise
    variants), ``"pairs"`` (every ordered pair along axis 1, for reductions over axis 1) or
    ``None`` (ones). ``main``: run for every dtype and by the rule tests (the others run for
    float32 unless the sweep is slow). ``catalog`` / ``unit``: which generators use it.
    ``dtypes``: the only dtype names it is swept over (default: all). ``stacks``: the catalog
    stacks it runs under. ``jaxprs``: the sub-jaxpr params of a higher-order primitive (built by
    tracing a body with the reference at the operand avals); the catalog never needs them, as
    JAX's trace of the program carries them.
    """

    label: str
    args: tuple[Arg, ...]
    params: Mapping[str, Any] | ParamsFn = field(default_factory=dict)
    jaxprs: ParamsFn | None = None
    empty: tuple[Shape, ...] | None = _AUTO
    edge: str | None = _AUTO
    main: bool = True
    catalog: bool = True
    unit: bool = True
    dtypes: tuple[str, ...] | None = None
    stacks: tuple[str, ...] = ALL_STACKS
    # None: the row's value
    tier: str | None = None
    scale: ScaleFn | None = None
    differentiable: bool | None = None
    may_raise: MayRaise | None = None
    reject_code: RejectCode | None = None

    def __post_init__(self) -> None:
        if self.empty is _AUTO:
            object.__setattr__(self, "empty", ((0,),) * len(self.args) if self.elementwise else None)
        if self.edge is _AUTO:
            object.__setattr__(self, "edge", "grid" if self.elementwise else None)
        if self.edge not in (None, "grid", "pairs"):
            raise ValueError(f"variant {self.label!r}: unknown edge layout {self.edge!r}")
        unknown = set(self.stacks) - set(ALL_STACKS)
        if unknown:
            raise ValueError(f"variant {self.label!r}: unknown stacks {sorted(unknown)}")

    @property
    def elementwise(self) -> bool:
        """Every operand takes the result's shape (each generator picks it)."""
        return bool(self.args) and all(a.shape is None for a in self.args)

    def plain_params_for(self, dtype: np.dtype, avals: Sequence[ShapedArray]) -> dict[str, Any]:
        """The params without sub-jaxprs (what a catalog case records)."""
        return dict(self.params(dtype, avals)) if callable(self.params) else dict(self.params)

    def params_for(self, dtype: np.dtype, avals: Sequence[ShapedArray]) -> dict[str, Any]:
        """Every param the reference binds the primitive with (sub-jaxprs included)."""
        params = self.plain_params_for(dtype, avals)
        if self.jaxprs is not None:
            params.update(self.jaxprs(dtype, avals))
        return params

    def may_raise_for(self, dtype: str) -> ExpectedError | None:
        if self.may_raise is None or isinstance(self.may_raise, ExpectedError):
            return self.may_raise
        return self.may_raise(dtype)

    def reject_code_for(self, dtype: np.dtype) -> str:
        code = self.reject_code
        assert code is not None  # resolved by the row
        return code if isinstance(code, str) else code(dtype)

    def accepts(self, dtype: str) -> bool:
        return self.dtypes is None or dtype in self.dtypes


@dataclass(frozen=True)
class Seed:
    """The fuzz seed: the primitive bound once, at ``dtype`` (``None``: the first of
    :data:`SEED_DTYPES` the reference traces) with the variant labelled ``variant`` (default: the
    first), elementwise operands of :data:`SEED_SHAPE`; ``shapes`` / ``params`` override the
    variant's."""

    dtype: str | None = None
    variant: str | None = None
    shapes: tuple[Shape, ...] | None = None
    params: Mapping[str, Any] | None = None


#: dtypes tried, in order, for a :class:`Seed` without one
SEED_DTYPES = ("float64", "float32", "int32", "bool", "complex64")

_INHERITED = ("tier", "scale", "differentiable", "may_raise", "reject_code")


@dataclass(frozen=True)
class PrimitiveSpec:
    """Everything the generators need to know about one primitive (its variants resolved).

    ``tier``: the unit tests' tolerance class (``tests/jax_helpers.py`` ``TOLERANCES``), and
    ``scale`` the magnitude it is relative to. ``differentiable``: the catalog adds ``grad``
    cases for inexact dtypes. ``may_raise``: JAX traces, then raises (a rule JAX lacks).
    ``reject_code``: the reference's code where JAX rejects a dtype. ``jax_fn``: the JAX side
    when it is not ``bind`` of the JAX primitive named ``jax_name`` (default: the same name).
    ``jax_always_raises``: JAX cannot evaluate the primitive on its own (only a transform of it).
    ``linear_in``: the operand sets the transpose rule is tested in (default: all operands).
    ``seed``: ``None`` when :mod:`harness.fuzz.seeds` builds the primitive's seed itself.
    ``no_catalog``: why the catalog has no case for it (it then needs no catalog variant).
    ``catalog_skip_dtypes``: swept dtypes the catalog leaves out (with the reason in a comment).
    """

    primitive: str
    variants: tuple[Variant, ...]
    tier: str = "exact"
    scale: ScaleFn | None = None
    differentiable: bool = True
    may_raise: MayRaise | None = None
    reject_code: RejectCode = "FJ-PRIM-DTYPE"
    jax_fn: JaxFn | None = None
    jax_name: str | None = None
    jax_always_raises: bool = False
    linear_in: tuple[tuple[int, ...], ...] | None = None
    seed: Seed | None = field(default_factory=Seed)
    no_catalog: str = ""
    catalog_skip_dtypes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        resolved = []
        for v in self.variants:
            inherited = {k: getattr(self, k) for k in _INHERITED if getattr(v, k) is None}
            resolved.append(replace(v, **inherited) if inherited else v)
        object.__setattr__(self, "variants", tuple(resolved))
        labels = [v.label for v in self.variants]
        if len(set(labels)) != len(labels):
            raise ValueError(f"{self.primitive}: duplicate variant labels {labels}")
        if not any(v.unit and v.main for v in self.variants):
            raise ValueError(f"{self.primitive}: no main unit-test variant")
        if not self.no_catalog and not self.catalog_variants():
            raise ValueError(f"{self.primitive}: no catalog variant and no reason (no_catalog)")

    @property
    def elementwise(self) -> bool:
        """The primitive maps elements to elements (its operands broadcast to the result): the unit
        tests then locate per-element allowances in the broadcast operands."""
        return any(v.elementwise for v in self.variants)

    @property
    def jax_primitive(self) -> str:
        return self.jax_name or self.primitive

    def catalog_variants(self) -> list[Variant]:
        """The variants the catalog sweeps (none when the row says why not: ``no_catalog``)."""
        return [] if self.no_catalog else [v for v in self.variants if v.catalog]

    def unit_variants(self) -> list[Variant]:
        return [v for v in self.variants if v.unit]

    def variant(self, label: str) -> Variant:
        for v in self.variants:
            if v.label == label:
                return v
        raise KeyError(f"{self.primitive} has no variant {label!r}")


VariantLike = Variant | Iterable[Variant]


def spec(primitive: str, *variants: VariantLike, **fields: Any) -> PrimitiveSpec:
    """A row: ``spec("sin", unary(params=ACC), tier="elementary", seed=Seed("float32"))``."""
    flat: list[Variant] = []
    for v in variants:
        flat.extend([v] if isinstance(v, Variant) else v)
    return PrimitiveSpec(primitive, tuple(flat), **fields)


# --- shorthands for the common shapes of rows --------------------------------------------------------

#: the ``accuracy`` param of JAX's transcendental functions, at its default
ACC: Mapping[str, Any] = {"accuracy": None}


def by_dtype(fn: Callable[[np.dtype], dict[str, Any]]) -> ParamsFn:
    """Params that depend on the swept dtype only (``by_dtype(lambda d: {"input_dtype": d})``)."""
    return lambda dtype, avals: fn(dtype)


def unary(
    label: str = "",
    domain: str | Ints = "any",
    *,
    smooth: tuple[float, float] | None = None,
    params: Mapping[str, Any] | ParamsFn | None = None,
    **kw: Any,
) -> Variant:
    """An elementwise variant of one operand."""
    return Variant(label, (Arg(domain=domain, smooth=smooth),), params or {}, **kw)


def binary(
    domains: tuple[str, str] = ("any", "any"),
    *,
    smooth: tuple[tuple[float, float] | None, tuple[float, float] | None] = (None, None),
    params: Mapping[str, Any] | ParamsFn | None = None,
    broadcast_tier: str | None = None,
    **kw: Any,
) -> list[Variant]:
    """The same-shape elementwise variant, then lax's implicit broadcasting (a size-1 dimension
    ``size1``, a rank-0 operand ``scalar``), which the unit tests run (not the catalog) with
    ``broadcast_tier`` (default: the row's tier)."""
    x, y = (Arg(domain=d, smooth=s) for d, s in zip(domains, smooth, strict=True))
    p = params or {}
    return [
        Variant("", (x, y), p, **kw),
        Variant("size1", (x, replace(y, shape=(1, 3))), p, catalog=False, main=False, tier=broadcast_tier),
        Variant("scalar", (replace(x, shape=()), y), p, catalog=False, main=False, tier=broadcast_tier),
    ]
