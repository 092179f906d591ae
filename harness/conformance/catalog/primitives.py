"""Per-primitive cases, generated from the reference's primitive registry.

For every registered primitive (:func:`frankenjax_ref.primitives.rule_coverage`)
the catalog needs a *recipe*: how many operands, of which shapes, with which
params. Recipes for primitives with shape-dependent params are written below
(:data:`RECIPES`); any other primitive gets a mechanical recipe: the
reference's abstract evaluation is probed with 1, 2 and 3 same-dtype
operands and the arity that type-checks becomes an elementwise recipe with
default params. A primitive for which neither works is reported as
uncovered (``Catalog.uncovered``), and a test fails until it gets a recipe.

Every variant is swept over :data:`~harness.conformance.catalog.inputs.CANDIDATE_DTYPES`
(bool, int32, int64, float32, float64, complex64, complex128). JAX decides
which it accepts: a dtype JAX rejects while tracing becomes one *rejection
case* (the reference must reject it too, with ``FJ-PRIM-DTYPE``) and the rest
of that dtype's cases are recorded as not applicable.

Per accepted dtype: ordinary inputs and edge inputs under ``[]`` (eager),
``jit``, ``vmap``, ``jvp`` and — for floating and complex dtypes of
differentiable primitives — ``grad`` of the primitive summed to a real
scalar; subnormal inputs (floating and complex operands) and empty arrays
(where the primitive allows them) under ``[]`` and ``jit``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.conformance.catalog import inputs as gen
from harness.conformance.catalog.model import CaseSpec, ExpectedError, Operand, Uncovered
from harness.conformance.catalog.stacks import is_derivative, stack

ParamsFn = Callable[[str], dict[str, Any]]
DtypesFn = Callable[[str], tuple[str, ...]]


@dataclass(frozen=True)
class Variant:
    """One way to call a primitive: operand shapes, dtypes and params as functions of the swept dtype."""

    slug: str
    arity: int
    shapes: tuple[tuple[int, ...], ...] | None = None  # None: elementwise (shape chosen per input set)
    empty_shapes: tuple[tuple[int, ...], ...] | None = None
    params: ParamsFn = field(default=lambda d: {})
    operand_dtypes: DtypesFn | None = None
    domains: tuple[str, ...] = ()
    differentiable: bool = True
    grad_may_raise: ExpectedError | None = None
    #: what JAX may raise under any stack for the swept dtype (JAX accepts the trace but fails later)
    may_raise: Callable[[str], ExpectedError | None] | None = None
    dtypes: tuple[str, ...] = gen.CANDIDATE_DTYPES

    def dtypes_for(self, d: str) -> tuple[str, ...]:
        return self.operand_dtypes(d) if self.operand_dtypes else (d,) * self.arity

    def domain(self, i: int) -> str:
        return self.domains[i] if i < len(self.domains) else "any"


def _fixed(**params: Any) -> ParamsFn:
    """Params that do not depend on the swept dtype."""
    return lambda _d: dict(params)


def _unary(domain: str = "any", **kw: Any) -> list[Variant]:
    return [Variant("", 1, empty_shapes=((0,),), domains=(domain,), **kw)]


def _binary(domains: tuple[str, str] = ("any", "any"), **kw: Any) -> list[Variant]:
    return [Variant("", 2, empty_shapes=((0,), (0,)), domains=domains, **kw)]


_ACC = {"accuracy": None}
_NO_RULE = ExpectedError("NotImplementedError", ("FJ-RULE-MISSING",))
_SELECT_SHAPES = ExpectedError("TypeError", ("FJ-PRIM-SHAPE",))


def _complex_order(d: str) -> ExpectedError | None:
    """JAX traces some ordering-based primitives on complex values, then rejects the comparison inside."""
    return ExpectedError("TypeError", ("FJ-PRIM-DTYPE",)) if d in gen.COMPLEXES else None


_NONDIFF: dict[str, Any] = {"differentiable": False}


def _acc_unary(domain: str = "any") -> list[Variant]:
    return [Variant("", 1, empty_shapes=((0,),), domains=(domain,), params=lambda d: dict(_ACC))]


def _reduction(name: str, differentiable: bool = True, extra: dict[str, Any] | None = None) -> list[Variant]:
    ex = extra or {}
    return [
        Variant(
            "axes=1",
            1,
            ((2, 3),),
            ((0, 3),),
            params=lambda d: {"axes": (1,), **ex},
            differentiable=differentiable,
        ),
        Variant(
            "axes=0,1",
            1,
            ((2, 3),),
            ((0, 3),),
            params=lambda d: {"axes": (0, 1), **ex},
            differentiable=differentiable,
        ),
    ]


def _argminmax() -> list[Variant]:
    """argmax/argmin along each axis of a matrix, with both index dtypes."""
    return [
        Variant(
            f"axes={axis}",
            1,
            ((2, 3),),
            None,
            params=_fixed(axes=(axis,), index_dtype=index),
            differentiable=False,
            may_raise=_complex_order,
        )
        for axis, index in ((1, "int32"), (0, "int64"))
    ]


def _convert_variants() -> list[Variant]:
    out = []
    for target in gen.CANDIDATE_DTYPES:
        out.append(
            Variant(
                f"to={target}",
                1,
                empty_shapes=((0,),),
                params=_fixed(new_dtype=target, weak_type=False, sharding=None),
                differentiable=gen.is_inexact(target),
            )
        )
    return out


_DOT = "dimension_numbers"

RECIPES: dict[str, list[Variant]] = {
    # --- elementwise, one operand
    "abs": _unary(),
    "neg": _unary(),
    "sign": _unary(),
    "square": _unary(),
    "floor": _unary(),
    "ceil": _unary(),
    "is_finite": _unary(differentiable=False),
    "not": _unary(differentiable=False),
    "copy": _unary(),
    "stop_gradient": _unary(),
    "real": _unary(),
    "imag": _unary(),
    "sin": _acc_unary(),
    "cos": _acc_unary(),
    "tan": _acc_unary("unit"),
    "tanh": _acc_unary(),
    "exp": _acc_unary(),
    "exp2": _acc_unary(),
    "expm1": _acc_unary(),
    "logistic": _acc_unary(),
    "log": _acc_unary("positive"),
    "log1p": _acc_unary("gt_minus1"),
    "sqrt": _acc_unary("positive"),
    "rsqrt": _acc_unary("positive"),
    "cbrt": _acc_unary(),
    "asin": _unary("unit"),
    "acos": _unary("unit"),
    "atan": _unary(),
    "sinh": _unary(),
    "cosh": _unary(),
    "asinh": _unary(),
    "acosh": _unary("ge1"),
    "atanh": _unary("unit"),
    "conj": [Variant("", 1, empty_shapes=((0,),), params=lambda d: {"input_dtype": d})],
    "round": [
        Variant("away", 1, empty_shapes=((0,),), params=lambda d: {"rounding_method": "AWAY_FROM_ZERO"}),
        Variant("even", 1, empty_shapes=((0,),), params=lambda d: {"rounding_method": "TO_NEAREST_EVEN"}),
    ],
    "integer_pow": [Variant(f"y={y}", 1, empty_shapes=((0,),), params=_fixed(y=y)) for y in (2, 3, -2, 0)],
    # --- elementwise, two operands
    "add": _binary(),
    "sub": _binary(),
    "mul": [Variant("", 2, empty_shapes=((0,), (0,)), params=lambda d: {"out_dtype": None})],
    "div": _binary(("any", "nonzero")),
    "rem": _binary(("any", "nonzero")),
    "max": _binary(),
    "min": _binary(),
    "atan2": _binary(),
    # add_any accumulates tangents, never booleans (JAX traces it on bool but its impl rejects bool)
    "add_any": _binary(dtypes=tuple(d for d in gen.CANDIDATE_DTYPES if d != "bool")),
    "complex": _binary(),
    "pow": [
        Variant("", 2, empty_shapes=((0,), (0,)), domains=("positive", "exponent")),
        Variant(
            "exp=int32",
            2,
            empty_shapes=((0,), (0,)),
            domains=("positive", "exponent"),
            operand_dtypes=lambda d: (d, "int32"),
        ),
    ],
    "nextafter": _binary(may_raise=lambda d: _NO_RULE),
    "and": _binary(**_NONDIFF),
    "or": _binary(**_NONDIFF),
    "xor": _binary(**_NONDIFF),
    "eq": _binary(**_NONDIFF),
    "ne": _binary(**_NONDIFF),
    "lt": _binary(**_NONDIFF),
    "le": _binary(**_NONDIFF),
    "gt": _binary(**_NONDIFF),
    "ge": _binary(**_NONDIFF),
    # --- elementwise, three operands
    "select_n": [
        Variant("pred=bool", 3, empty_shapes=((0,), (0,), (0,)), operand_dtypes=lambda d: ("bool", d, d)),
        Variant(
            "pred=int32",
            4,
            empty_shapes=((0,),) * 4,
            operand_dtypes=lambda d: ("int32", d, d, d),
            domains=("index",),
        ),
    ],
    "clamp": [
        Variant(
            "",
            3,
            empty_shapes=((0,), (0,), (0,)),
            domains=("small", "any", "small"),
            may_raise=_complex_order,
        ),
        # JAX's clamp JVP selects a scalar bound's tangent against the operand's zeros: shape error
        Variant(
            "scalar_bounds",
            3,
            ((), (4,), ()),
            domains=("small", "any", "small"),
            may_raise=lambda d: _complex_order(d) or _SELECT_SHAPES,
        ),
    ],
    # --- conversion
    "convert_element_type": _convert_variants(),
    # --- shape
    "broadcast_in_dim": [
        Variant(
            "row",
            1,
            ((3,),),
            None,
            params=lambda d: {"shape": (2, 3), "broadcast_dimensions": (1,), "sharding": None},
        ),
        Variant(
            "size1",
            1,
            ((2, 1),),
            None,
            params=lambda d: {"shape": (2, 4), "broadcast_dimensions": (0, 1), "sharding": None},
        ),
    ],
    "concatenate": [
        Variant("dim=1", 2, ((2, 3), (2, 2)), ((2, 0), (2, 2)), params=lambda d: {"dimension": 1})
    ],
    "pad": [
        Variant(
            "grow", 2, ((2, 3), ()), ((0, 3), ()), params=lambda d: {"padding_config": ((1, 0, 0), (0, 2, 1))}
        ),
        Variant(
            "negative", 2, ((2, 3), ()), None, params=lambda d: {"padding_config": ((-1, 1, 0), (1, -1, 1))}
        ),
    ],
    "reshape": [
        Variant(
            "3x2",
            1,
            ((2, 3),),
            None,
            params=lambda d: {"new_sizes": (3, 2), "dimensions": None, "sharding": None},
        ),
        Variant(
            "flat",
            1,
            ((2, 3),),
            None,
            params=lambda d: {"new_sizes": (6,), "dimensions": None, "sharding": None},
        ),
    ],
    "rev": [
        Variant("dims=0", 1, ((2, 3),), ((0, 3),), params=lambda d: {"dimensions": (0,)}),
        Variant("dims=0,1", 1, ((2, 3),), None, params=lambda d: {"dimensions": (0, 1)}),
    ],
    "slice": [
        Variant(
            "unit",
            1,
            ((4, 5),),
            None,
            params=lambda d: {"start_indices": (1, 0), "limit_indices": (3, 5), "strides": None},
        ),
        Variant(
            "strided",
            1,
            ((4, 5),),
            None,
            params=lambda d: {"start_indices": (0, 1), "limit_indices": (4, 5), "strides": (2, 2)},
        ),
    ],
    "squeeze": [Variant("dims=0", 1, ((1, 3),), ((1, 0),), params=lambda d: {"dimensions": (0,)})],
    "transpose": [
        Variant("2d", 1, ((2, 3),), ((0, 3),), params=lambda d: {"permutation": (1, 0)}),
        Variant("3d", 1, ((2, 3, 4),), None, params=lambda d: {"permutation": (2, 0, 1)}),
    ],
    "iota": [
        Variant(
            "1d",
            0,
            (),
            None,
            params=lambda d: {"dtype": d, "shape": (5,), "dimension": 0, "sharding": None},
            differentiable=False,
        ),
        Variant(
            "2d",
            0,
            (),
            None,
            params=lambda d: {"dtype": d, "shape": (2, 3), "dimension": 1, "sharding": None},
            differentiable=False,
        ),
    ],
    # --- reductions
    "reduce_sum": _reduction("reduce_sum", extra={"out_sharding": None}),
    "reduce_max": _reduction("reduce_max"),
    "reduce_min": _reduction("reduce_min"),
    "reduce_prod": _reduction("reduce_prod"),
    "reduce_and": _reduction("reduce_and", differentiable=False),
    "reduce_or": _reduction("reduce_or", differentiable=False),
    "argmax": _argminmax(),
    "argmin": _argminmax(),
    # --- linear algebra
    "dot_general": [
        Variant(
            "vec",
            2,
            ((3,), (3,)),
            ((0,), (0,)),
            params=lambda d: {
                _DOT: (((0,), (0,)), ((), ())),
                "precision": None,
                "preferred_element_type": None,
                "out_sharding": None,
            },
        ),
        Variant(
            "matmul",
            2,
            ((2, 3), (3, 4)),
            ((2, 0), (0, 4)),
            params=lambda d: {
                _DOT: (((1,), (0,)), ((), ())),
                "precision": None,
                "preferred_element_type": None,
                "out_sharding": None,
            },
        ),
        Variant(
            "batched",
            2,
            ((2, 2, 3), (2, 3, 4)),
            None,
            params=lambda d: {
                _DOT: (((2,), (1,)), ((0,), (0,))),
                "precision": None,
                "preferred_element_type": None,
                "out_sharding": None,
            },
        ),
        Variant(
            "highest",
            2,
            ((2, 3), (3,)),
            None,
            params=lambda d: {
                _DOT: (((1,), (0,)), ((), ())),
                "precision": ("HIGHEST", "HIGHEST"),
                "preferred_element_type": None,
                "out_sharding": None,
            },
        ),
    ],
}

#: Registered primitives that get no per-primitive cases, and why (they are covered elsewhere or cannot be).
EXCLUDED: dict[str, str] = {
    "jit": "higher-order: covered by programs with nested jit (comp.nested_jit, jnp helpers)",
    "custom_jvp_call": "higher-order: covered by the custom.* programs",
    "custom_vjp_call": "higher-order: covered by the custom.* programs",
    "custom_lin": "internal to the reference's reverse mode of custom_vjp; never in a JAX program",
    "expand_dims": "not a JAX primitive (JAX expresses it with broadcast_in_dim/reshape); no oracle exists",
}

BATCH = 3


def _mechanical(name: str) -> list[Variant] | None:
    """An elementwise recipe found by probing the reference's abstract evaluation."""
    from frankenjax_ref.core.avals import ShapedArray
    from frankenjax_ref.core.primitive import abstract_eval, lookup
    from frankenjax_ref.errors import FJError

    prim = lookup(name)
    if any(p.required for p in prim.params.values()) or prim.sub_jaxprs:
        return None
    params = {k: p.default for k, p in prim.params.items()}
    for arity in (1, 2, 3):
        for d in gen.CANDIDATE_DTYPES:
            try:
                abstract_eval(prim, [ShapedArray((4,), gen.np_dtype(d))] * arity, params)
            except FJError:
                continue
            except TypeError:
                break
            return [Variant("", arity, empty_shapes=((0,),) * arity, params=_fixed(**params))]
    return None


def recipe_for(name: str) -> list[Variant] | None:
    return RECIPES.get(name) or _mechanical(name)


def _encode_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    from frankenjax_ref.core.params import encode_params, normalize_params
    from frankenjax_ref.core.primitive import lookup

    prim = lookup(name)
    return encode_params(prim.params, normalize_params(name, prim.params, params))


def _tier(entries: tuple[dict[str, Any], ...]) -> str:
    return "composite" if is_derivative(entries) else "default"


def primitive_cases(name: str, family: str) -> list[CaseSpec]:
    """Every case for primitive ``name`` (empty when it has no recipe)."""
    variants = recipe_for(name)
    if not variants:
        return []
    out: list[CaseSpec] = []
    for v in variants:
        for d in v.dtypes:
            out.extend(_variant_cases(name, family, v, d))
    return out


def _variant_cases(name: str, family: str, v: Variant, d: str) -> list[CaseSpec]:
    op_dtypes = v.dtypes_for(d)
    params = _encode_params(name, v.params(d))
    base = ".".join(p for p in ("prim", name, v.slug, d) if p)
    program_args = {"primitive": name, "params": params}
    cases: list[CaseSpec] = []

    def add(
        input_set: str,
        slug: str,
        entries: tuple[dict[str, Any], ...],
        operands: tuple[Operand, ...],
        args: list[np.ndarray],
        *,
        post: str | None = None,
        may_raise: ExpectedError | None = None,
    ) -> None:
        pa = dict(program_args, post=post) if post else dict(program_args)
        program = f"sum(lax.{name})" if post else f"lax.{name}"
        cases.append(
            CaseSpec(
                case_id=f"{base}.{input_set}.{slug}",
                family=family,
                program=program,
                program_args=pa,
                operands=operands,
                stack=entries,
                inputs=tuple(args),
                input_set=input_set,
                tier=_tier(entries),
                primitive=name,
                may_raise=may_raise or (v.may_raise(d) if v.may_raise else None),
                sweep_group=base,
            )
        )

    sets: list[tuple[str, tuple[tuple[int, ...], ...] | None]] = []
    elementwise = v.shapes is None
    normal_shapes = tuple((4,) for _ in range(v.arity)) if elementwise else v.shapes
    sets.append(("normal", normal_shapes))
    sets.append(("edge", None if elementwise else v.shapes))
    if any(gen.is_inexact(od) for od in op_dtypes):
        sets.append(("subnormal", None if elementwise else v.shapes))
    if any(od in gen.COMPLEXES for od in op_dtypes):
        sets.append(("nonfinite", None if elementwise else v.shapes))
    if v.empty_shapes is not None:
        sets.append(("empty", v.empty_shapes))

    grad_ok = v.differentiable and gen.is_inexact(d) and v.arity > 0
    argnums = tuple(i for i, od in enumerate(op_dtypes) if gen.is_inexact(od))
    for input_set, shapes in sets:
        rng = gen.rng_for(f"{base}.{input_set}")
        if input_set in ("edge", "subnormal", "nonfinite"):
            if shapes is None:
                args = gen.edge_operands(op_dtypes, kind=input_set)
            else:
                args = [
                    gen.shaped_edges(od, s, offset=3 * i, kind=input_set)
                    for i, (od, s) in enumerate(zip(op_dtypes, shapes, strict=True))
                ]
            # an index operand (select_n's int32 predicate) stays in range: out-of-range is undefined
            args = [
                (np.arange(a.size) % (v.arity - 1)).astype(a.dtype).reshape(a.shape)
                if v.domain(i) == "index"
                else a
                for i, a in enumerate(args)
            ]
        elif input_set == "empty":
            args = [np.zeros(s, gen.np_dtype(od)) for od, s in zip(op_dtypes, shapes or (), strict=True)]
        else:
            args = [
                gen.ordinary(rng, s, od, v.domain(i))
                for i, (od, s) in enumerate(zip(op_dtypes, shapes or (), strict=True))
            ]
        operands = tuple(Operand(tuple(a.shape), od) for a, od in zip(args, op_dtypes, strict=True))
        add(input_set, "eager", (), operands, args)
        add(input_set, "jit", stack("jit"), operands, args)
        if input_set in ("empty", "subnormal") or v.arity == 0:
            continue
        # vmap: a batch of examples along a new leading axis
        if input_set == "edge":
            batch = [np.stack([a, np.roll(a, 1)]) for a in args]
        else:
            batch = [
                np.stack([gen.ordinary(rng, a.shape, od, v.domain(i)) for _ in range(BATCH)])
                for i, (a, od) in enumerate(zip(args, op_dtypes, strict=True))
            ]
        add(input_set, "vmap", stack("vmap"), operands, batch)
        # jvp: primals then tangents (float0 for integers and bools)
        tangents = [gen.tangent_like(rng, a) for a in args]
        add(input_set, "jvp", stack("jvp"), operands, [*args, *tangents])
        if grad_ok and argnums:
            nums: Any = argnums[0] if len(argnums) == 1 else argnums
            add(
                input_set,
                "grad",
                stack(("grad", {"argnums": nums})),
                operands,
                args,
                post="sum",
                may_raise=v.grad_may_raise,
            )
    return cases


def coverage_plan() -> tuple[list[str], list[Uncovered]]:
    """Primitives with a recipe, and the registered ones without (with the reason)."""
    import frankenjax_ref.primitives  # noqa: F401
    from frankenjax_ref.core.primitive import PRIMITIVES

    covered, uncovered = [], []
    for name in sorted(PRIMITIVES):
        if name in EXCLUDED:
            uncovered.append(Uncovered(name, EXCLUDED[name]))
        elif recipe_for(name):
            covered.append(name)
        else:
            uncovered.append(Uncovered(name, "no recipe and the mechanical probe found no elementwise arity"))
    return covered, uncovered
