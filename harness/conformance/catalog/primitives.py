"""Per-primitive cases, generated from the primitives' case specs (:mod:`harness.conformance.specs`).

Every catalog variant of a primitive's spec row is swept over
:data:`~harness.conformance.catalog.inputs.CANDIDATE_DTYPES` (bool, int32, int64, float32,
float64, complex64, complex128). JAX decides which it accepts: a dtype JAX rejects while tracing
becomes one *rejection case* (the reference must reject it too, with ``FJ-PRIM-DTYPE``) and the
rest of that dtype's cases are recorded as not applicable.

Per accepted dtype: ordinary inputs and edge inputs under ``[]`` (eager), ``jit``, ``vmap``,
``jvp`` and -- for floating and complex dtypes of differentiable primitives -- ``grad`` of the
primitive summed to a real scalar; subnormal inputs (floating and complex operands), non-finite
complex inputs and empty arrays (where the variant gives empty shapes) under ``[]`` and ``jit``.
A variant's ``stacks`` can narrow that.

Elementwise variants (every operand's shape ``None``) take :data:`~harness.conformance.specs.CATALOG_SHAPE`
for ordinary inputs and pair edge values across operands (every pair once); explicit shapes are
filled with each dtype's edge values, cycling. An :class:`~harness.conformance.specs.Ints` operand
(an index) keeps its values in range in every input set.

A primitive whose row has no catalog variant is reported as uncovered (``Catalog.uncovered``)
with the row's reason (``no_catalog``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.conformance.catalog import inputs as gen
from harness.conformance.catalog.model import CaseSpec, ExpectedError, Operand, Uncovered
from harness.conformance.catalog.stacks import is_derivative, stack
from harness.conformance.specs import CATALOG_SHAPE, Ints, PrimitiveSpec, Variant, spec_for, specs

BATCH = 3


def _encode_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    from frankenjax_ref.core.params import encode_params, normalize_params
    from frankenjax_ref.core.primitive import lookup

    prim = lookup(name)
    return encode_params(prim.params, normalize_params(name, prim.params, params))


def _tier(entries: tuple[dict[str, Any], ...]) -> str:
    return "composite" if is_derivative(entries) else "default"


def primitive_cases(name: str, family: str) -> list[CaseSpec]:
    """Every case of primitive ``name`` (empty when its row has no catalog variant)."""
    row = spec_for(name)
    out: list[CaseSpec] = []
    for v in row.catalog_variants():
        for d in gen.CANDIDATE_DTYPES:
            if v.accepts(d) and d not in row.catalog_skip_dtypes:
                out.extend(_variant_cases(row, v, d, family))
    return out


def _ordinary(rng: np.random.Generator, shape: tuple[int, ...], dtype: str, domain: str | Ints) -> np.ndarray:
    if isinstance(domain, Ints):
        return rng.integers(domain.lo, domain.hi, size=shape).astype(gen.np_dtype(dtype))
    return gen.ordinary(rng, shape, dtype, domain)


def _in_range(a: np.ndarray, domain: str | Ints) -> np.ndarray:
    """An index operand's edge inputs: its range, cycling (out-of-range indices are undefined)."""
    if not isinstance(domain, Ints):
        return a
    return (domain.lo + np.arange(a.size) % (domain.hi - domain.lo)).astype(a.dtype).reshape(a.shape)


def _program(
    row: PrimitiveSpec, v: Variant, params: dict[str, Any], post: str | None
) -> tuple[str, dict[str, Any]]:
    """The catalog program: ``lax.<name>`` binds the primitive; ``spec.<name>`` calls the row's ``jax_fn``."""
    name = row.primitive
    args: dict[str, Any] = {"primitive": name, "params": params}
    kind = "lax"
    if row.jax_fn is not None:
        kind = "spec"
        args["variant"] = v.label
    if post:
        args["post"] = post
        return f"sum({kind}.{name})", args
    return f"{kind}.{name}", args


def _variant_cases(row: PrimitiveSpec, v: Variant, d: str, family: str) -> list[CaseSpec]:
    name = row.primitive
    op_dtypes = tuple(a.dtype_for(d) for a in v.args)
    shapes = tuple(a.shape if a.shape is not None else CATALOG_SHAPE for a in v.args)
    from frankenjax_ref.core.avals import ShapedArray

    avals = [ShapedArray(s, gen.np_dtype(od)) for s, od in zip(shapes, op_dtypes, strict=True)]
    # sub-jaxpr params are left out: JAX's trace of the program carries them
    params = _encode_params(name, v.plain_params_for(gen.np_dtype(d), avals))
    base = ".".join(p for p in ("prim", name, v.label, d) if p)
    arity = len(v.args)
    cases: list[CaseSpec] = []

    def add(
        input_set: str,
        slug: str,
        entries: tuple[dict[str, Any], ...],
        operands: tuple[Operand, ...],
        args: list[np.ndarray],
        *,
        post: str | None = None,
    ) -> None:
        if slug not in v.stacks:
            return
        program, program_args = _program(row, v, params, post)
        may_raise: ExpectedError | None = v.may_raise_for(d)
        cases.append(
            CaseSpec(
                case_id=f"{base}.{input_set}.{slug}",
                family=family,
                program=program,
                program_args=program_args,
                operands=operands,
                stack=entries,
                inputs=tuple(args),
                input_set=input_set,
                tier=_tier(entries),
                primitive=name,
                may_raise=may_raise,
                sweep_group=base,
            )
        )

    elementwise = v.elementwise
    sets: list[tuple[str, tuple[tuple[int, ...], ...] | None]] = [("normal", shapes)]
    sets.append(("edge", None if elementwise else shapes))
    if any(gen.is_inexact(od) for od in op_dtypes):
        sets.append(("subnormal", None if elementwise else shapes))
    if any(od in gen.COMPLEXES for od in op_dtypes):
        sets.append(("nonfinite", None if elementwise else shapes))
    if v.empty is not None:
        sets.append(("empty", v.empty))

    grad_ok = bool(v.differentiable) and gen.is_inexact(d) and arity > 0
    argnums = tuple(i for i, od in enumerate(op_dtypes) if gen.is_inexact(od))
    domains = [a.domain for a in v.args]
    for input_set, set_shapes in sets:
        rng = gen.rng_for(f"{base}.{input_set}")
        if input_set in ("edge", "subnormal", "nonfinite"):
            if set_shapes is None:
                args = gen.edge_operands(op_dtypes, kind=input_set)
            else:
                args = [
                    gen.shaped_edges(od, s, offset=3 * i, kind=input_set)
                    for i, (od, s) in enumerate(zip(op_dtypes, set_shapes, strict=True))
                ]
            args = [_in_range(a, dom) for a, dom in zip(args, domains, strict=True)]
        elif input_set == "empty":
            args = [np.zeros(s, gen.np_dtype(od)) for od, s in zip(op_dtypes, set_shapes or (), strict=True)]
        else:
            args = [
                _ordinary(rng, s, od, dom)
                for od, s, dom in zip(op_dtypes, set_shapes or (), domains, strict=True)
            ]
        operands = tuple(Operand(tuple(a.shape), od) for a, od in zip(args, op_dtypes, strict=True))
        add(input_set, "eager", (), operands, args)
        add(input_set, "jit", stack("jit"), operands, args)
        if input_set in ("empty", "subnormal") or arity == 0:
            continue
        # vmap: a batch of examples along a new leading axis
        if input_set == "edge":
            batch = [np.stack([a, np.roll(a, 1)]) for a in args]
        else:
            batch = [
                np.stack([_ordinary(rng, a.shape, od, dom) for _ in range(BATCH)])
                for a, od, dom in zip(args, op_dtypes, domains, strict=True)
            ]
        add(input_set, "vmap", stack("vmap"), operands, batch)
        # jvp: primals then tangents (float0 for integers and bools)
        tangents = [gen.tangent_like(rng, a) for a in args]
        add(input_set, "jvp", stack("jvp"), operands, [*args, *tangents])
        if grad_ok and argnums:
            nums: Any = argnums[0] if len(argnums) == 1 else argnums
            add(input_set, "grad", stack(("grad", {"argnums": nums})), operands, args, post="sum")
    return cases


def coverage_plan() -> tuple[list[str], list[Uncovered]]:
    """Primitives with catalog variants, and the registered ones without (with the reason)."""
    import frankenjax_ref.primitives  # noqa: F401
    from frankenjax_ref.core.primitive import PRIMITIVES

    rows = specs()
    covered, uncovered = [], []
    for name in sorted(PRIMITIVES):
        row = rows.get(name)
        if row is None:
            uncovered.append(Uncovered(name, "no case spec row (harness/conformance/specs)"))
        elif not row.catalog_variants():
            uncovered.append(Uncovered(name, row.no_catalog))
        else:
            covered.append(name)
    return covered, uncovered
