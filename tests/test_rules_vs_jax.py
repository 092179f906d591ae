"""Every transform rule of every primitive against JAX 0.10.2 (x64, CPU).

The rule tables are read mechanically from ``rule_coverage()``:

* every primitive with a ``jvp`` rule: ``fj.jvp`` against ``jax.jvp`` on random
  (smooth) float and complex inputs, or — for primitives whose operands cannot
  carry a tangent (integers, booleans, no operands) — the rule called directly
  with ``float0`` tangents against ``jax.jvp``;
* every primitive with a ``transpose`` rule: ``fj.vjp`` of the primitive as a
  function of its linear operands against ``jax.vjp`` and
  ``jax.linear_transpose``;
* every primitive with a ``batch`` rule: ``fj.vmap`` against ``jax.vmap`` with
  ``in_axes`` variations (0, 1, -1 and None mixes);
* every primitive *without* a jvp rule must fail with ``FJ-RULE-MISSING``
  where JAX fails too.

A spy on the rule table checks that each rule really ran. Cases come from
``jax_helpers.CASES`` (the main variants of the primitives' case specs,
``harness.conformance.specs``). As in the primitive tests, one jitted JAX
program per (rule, family) evaluates every check at once, once per
Hypothesis-chosen seed, because compiling dominates the cost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
import pytest
from jax_helpers import (
    CASES,
    JAX_NS,
    Domain,
    PrimCase,
    assert_close,
    dtype_id,
    jax_callable,
    random_array,
    ref_callable,
    seeded,
    tolerance,
)

import frankenjax_ref as fj
import frankenjax_ref.lax as flax
from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import get_aval, tangent_aval
from frankenjax_ref.core.primitive import PRIMITIVES, abstract_eval
from frankenjax_ref.errors import FJError, RuleMissingError
from frankenjax_ref.interpreters.ad_util import Zero, instantiate
from frankenjax_ref.interpreters.batching import batch_rules
from frankenjax_ref.interpreters.jvp import jvp_rules
from frankenjax_ref.interpreters.transpose import transpose_rules
from frankenjax_ref.primitives import family_of, rule_coverage
from frankenjax_ref.tree import tree_leaves
from harness.conformance.specs import spec_for
from harness.conformance.specs.custom import custom_vjp_fn
from harness.conformance.specs.jit import trace

#: Hypothesis seeds per (rule, family) by default
EXAMPLES = 2
#: the size of a vmapped axis (no case dimension is 7, so a misplaced axis cannot hide)
B = 7

COVERAGE = {c.primitive: c for c in rule_coverage()}
TABLES: dict[str, dict[Any, Any]] = {"jvp": jvp_rules, "transpose": transpose_rules, "batch": batch_rules}
FAMILIES = sorted({family_of(name) for name in COVERAGE})


def with_rule(rule: str) -> list[str]:
    return sorted(name for name, c in COVERAGE.items() if getattr(c, rule))


def main_cases(name: str) -> list[PrimCase]:
    return [c for c in CASES[name] if c.main]


# --- checks: a reference computation and the JAX one, on the same numpy arguments ---------------------


@dataclass
class Check:
    """``ref(*args)`` and ``jax(*args)`` must agree (leaf by leaf) for ``args = inputs(seed)``."""

    prim: str
    what: str
    inputs: Callable[[int], list[np.ndarray]]
    ref: Callable[..., Any]
    jax: Callable[..., Any]


def _leaves(tree: Any) -> list[np.ndarray]:
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(tree)]


def _compare(check: Check, args: list[np.ndarray], expected: Any) -> None:
    got = [np.asarray(instantiate(x)) for x in tree_leaves(check.ref(*args))]
    want = _leaves(expected)
    assert len(got) == len(want), f"{check.what}: {len(got)} results, JAX has {len(want)}"
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        tier = "rules" if dtypes.is_inexact(dtypes.canonicalize(w.dtype)) else "exact"
        assert_close(g, w, tolerance(tier, w.dtype), what=f"{check.what} result {i}")


class Spies:
    """Counting wrappers around rule-table entries, to prove that a rule ran."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, rule: str, names: Sequence[str]):
        self.calls: Counter[str] = Counter()
        table = TABLES[rule]
        for name in names:
            prim = PRIMITIVES[name]
            original = table[prim]

            def spy(*args: Any, _name: str = name, _rule: Any = original, **kwargs: Any) -> Any:
                self.calls[_name] += 1
                return _rule(*args, **kwargs)

            monkeypatch.setitem(table, prim, spy)

    def unused(self, names: Sequence[str]) -> list[str]:
        return [n for n in names if not self.calls[n]]


def where_jax_works(checks: Sequence[Check]) -> list[Check]:
    """The checks JAX can trace; for the others the reference must fail too, with a typed error
    (``FJ-RULE-MISSING`` where JAX has no rule; e.g. ``FJ-TRANSFORM-CUSTOM-VJP`` for jvp of a
    custom_vjp function, ``FJ-PRIM-DTYPE`` for clamp's derivative on complex numbers)."""
    kept = []
    for c in checks:
        args = c.inputs(0)
        try:
            jax.jit(c.jax).trace(*args).lower()
        except (TypeError, NotImplementedError, ValueError) as exc:
            with pytest.raises(FJError) as info:
                c.ref(*args)
            if isinstance(exc, NotImplementedError):
                assert info.value.code == "FJ-RULE-MISSING", f"{c.what}: JAX: {exc}; reference: {info.value}"
            else:
                assert info.value.code != "FJ-RULE-MISSING", f"{c.what}: JAX: {exc}; reference: {info.value}"
            continue
        kept.append(c)
    return kept


def run_checks(checks: Sequence[Check], examples: int) -> None:
    """All checks in one jitted JAX program, for ``examples`` Hypothesis-chosen seeds."""
    program = jax.jit(lambda all_args: [c.jax(*args) for c, args in zip(checks, all_args, strict=True)])

    @seeded(examples)
    def check_seed(seed: int) -> None:
        all_args = [c.inputs(seed) for c in checks]
        outs = program(all_args)
        errors = []
        for c, args, out in zip(checks, all_args, outs, strict=True):
            try:
                _compare(c, args, out)
            except AssertionError as exc:
                errors.append(f"seed {seed}: {exc}")
        assert not errors, "\n".join(errors)

    check_seed()


# --- helpers ------------------------------------------------------------------------------------------------


def _jax_accepts(case: PrimCase, dtype: np.dtype) -> bool:
    if case.only_dtypes is not None and dtype not in case.only_dtypes:
        return False
    try:
        params = case.params(dtype, case.avals(dtype))
        jax.jit(jax_callable(case, params)).trace(*case.sample(dtype)).lower()
    except (TypeError, ValueError, NotImplementedError, FJError):
        return False
    return True


def _dtypes(case: PrimCase, preferred: Sequence[np.dtype], fallback: Sequence[np.dtype]) -> list[np.dtype]:
    """The ``preferred`` dtypes JAX accepts for the case, else the first accepted ``fallback`` one."""
    chosen = [d for d in preferred if _jax_accepts(case, d)]
    if chosen:
        return chosen
    return [next(d for d in fallback if _jax_accepts(case, d))]


INEXACT = (dtypes.float64, dtypes.complex128)
EXACT = (dtypes.int32, dtypes.bool_, dtypes.uint8)


def _rng(seed: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([seed, salt])


def _tangent_like(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """A random tangent for ``x`` (float0 zeros for integers and booleans)."""
    d = tangent_aval(get_aval(x)).dtype
    if d == dtypes.float0:
        return np.zeros(x.shape, dtypes.float0)
    return random_array(rng, x.shape, d, Domain("range", -1.0, 1.0))


def _jax_float0(x: Any) -> Any:
    """JAX's float0 zeros for a float0 placeholder (the reference's float0 is the same NumPy dtype)."""
    return np.zeros(x.shape, jax.dtypes.float0)


def _split(args: Sequence[Any], n: int) -> tuple[list[Any], list[Any]]:
    return list(args[:n]), list(args[n:])


# --- JVP ----------------------------------------------------------------------------------------------------


def jvp_checks(case: PrimCase, dtype: np.dtype) -> list[Check]:
    avals = case.avals(dtype)
    params = case.params(dtype, avals)
    ref_f, jax_f = ref_callable(case, params), jax_callable(case, params)
    n = len(avals)
    differentiable = [dtypes.is_inexact(a.dtype) for a in avals]
    what = f"jvp {case.id} {dtype_id(dtype)}"

    def inputs(seed: int) -> list[np.ndarray]:
        primals = case.random_inputs(dtype, seed, smooth=True)
        rng = _rng(seed, 1)
        return primals + [_tangent_like(rng, p) for p, d in zip(primals, differentiable, strict=True) if d]

    def full_tangents(primals: list[Any], given: list[Any], float0: Callable[[Any], Any]) -> list[Any]:
        it = iter(given)
        return [next(it) if d else float0(p) for p, d in zip(primals, differentiable, strict=True)]

    if any(differentiable):

        def ref(*args: Any) -> Any:
            primals, tans = _split(args, n)
            return fj.jvp(
                ref_f, primals, full_tangents(primals, tans, lambda p: np.zeros(p.shape, dtypes.float0))
            )

    else:  # no operand can carry a nonzero tangent: the interpreter never calls the rule, so call it
        prim = PRIMITIVES[case.primitive]
        rule_params = prim.normalize_params(params)

        def ref(*args: Any) -> Any:
            zeros = [Zero(tangent_aval(get_aval(p))) for p in args]
            out, tan = jvp_rules[prim](list(args), zeros, **rule_params)
            return out, [instantiate(t) for t in tan] if prim.multiple_results else instantiate(tan)

    def jax_jvp(*args: Any) -> Any:
        primals, tans = _split(args, n)
        return jax.jvp(jax_f, tuple(primals), tuple(full_tangents(primals, tans, _jax_float0)))

    return [Check(case.primitive, what, inputs, ref, jax_jvp)]


@pytest.mark.parametrize("family", FAMILIES)
def test_jvp_rules_match_jax(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [n for n in with_rule("jvp") if family_of(n) == family]
    spies = Spies(monkeypatch, "jvp", names)
    checks = where_jax_works(build_checks("jvp", names))
    if checks:
        run_checks(checks, EXAMPLES)
    assert not spies.unused(names), f"jvp rules never exercised: {spies.unused(names)}"


@pytest.mark.parametrize("name", [n for n in sorted(COVERAGE) if not COVERAGE[n].jvp])
def test_missing_jvp_rule_fails_in_both(name: str) -> None:
    """A primitive JAX cannot differentiate has no jvp rule in the reference either, with a typed error."""
    case = main_cases(name)[0]
    dtype = next(d for d in (*INEXACT, *EXACT) if case.only_dtypes is None or d in case.only_dtypes)
    (check,) = jvp_checks(case, dtype)
    args = check.inputs(0)
    with pytest.raises((NotImplementedError, TypeError)):  # custom_lin: JAX refuses the jvp before it
        check.jax(*args)
    with pytest.raises(RuleMissingError) as info:
        check.ref(*args)
    assert info.value.code == "FJ-RULE-MISSING" and info.value.primitive == name and info.value.rule == "jvp"


def test_every_jvp_rule_is_registered_where_jax_has_one() -> None:
    """The converse: a primitive JAX can differentiate (some case, some dtype) has a jvp rule."""
    from jax._src.interpreters import ad as jax_ad
    from jax_helpers import jax_primitive

    for name in sorted(COVERAGE):
        if spec_for(name).jax_fn is not None:
            continue  # not a JAX primitive of the same name (compared through a JAX function above)
        jax_prim = jax_primitive(name)
        jax_has = jax_prim in jax_ad.primitive_jvps or jax_prim in jax_ad.primitive_linearizations
        if jax_has:
            assert COVERAGE[name].jvp, f"JAX has a jvp rule for {name}, the reference does not"


# --- transpose ----------------------------------------------------------------------------------------------


def _linear_jit_params(dtype: np.dtype) -> tuple[dict[str, Any], Callable[..., Any]]:
    """A jit whose body is linear (jit's main case body, x sin x, is not), written once for both."""

    def body(lax: Any) -> Callable[[Any], Any]:
        return lambda x: lax.sub(lax.neg(x), lax.mul(x, np.asarray(2, x.dtype)))

    closed = trace(body(flax), CASES["jit"][0].avals(dtype))
    return {"name": "linear", "jaxpr": closed}, JAX_NS.api.jit(body(JAX_NS.lax))


def transpose_checks(case: PrimCase, dtype: np.dtype) -> list[Check]:
    avals = case.avals(dtype)
    if case.primitive == "jit":
        params, jax_f = _linear_jit_params(dtype)
    else:
        params = case.params(dtype, avals)
        jax_f = jax_callable(case, params)
    ref_f = ref_callable(case, params)
    prim = PRIMITIVES[case.primitive]
    out_avals = abstract_eval(prim, avals, prim.normalize_params(params))
    if any(tangent_aval(a).dtype == dtypes.float0 for a in out_avals):
        return []  # an integer result is not a linear function of its inputs (convert to int32)
    n = len(avals)
    checks = []
    # which operands the primitive is transposed in (its spec's linear_in, one check per set; default: all)
    for linear in spec_for(case.primitive).linear_in or (tuple(range(n)),):

        def inputs(seed: int, linear: tuple[int, ...] = linear) -> list[np.ndarray]:
            operands = case.random_inputs(dtype, seed, smooth=True)
            rng = _rng(seed, 2)
            cts = [
                random_array(rng, a.shape, tangent_aval(a).dtype, Domain("range", -1.0, 1.0))
                for a in out_avals
            ]
            return operands + cts

        def restrict(f: Callable[..., Any], fixed: list[Any], linear: tuple[int, ...]) -> Callable[..., Any]:
            def g(*lin: Any) -> Any:
                full = list(fixed)
                for i, v in zip(linear, lin, strict=True):
                    full[i] = v
                return f(*full)

            return g

        def ref(*args: Any, linear: tuple[int, ...] = linear) -> Any:
            operands, cts = _split(args, n)
            _, pullback = fj.vjp(restrict(ref_f, operands, linear), *(operands[i] for i in linear))
            ct_in = pullback(cts if prim.multiple_results else cts[0])
            return ct_in, ct_in

        def jax_vjp(*args: Any, linear: tuple[int, ...] = linear) -> Any:
            operands, cts = _split(args, n)
            f = restrict(jax_f, operands, linear)
            lin_primals = [operands[i] for i in linear]
            out, pullback = jax.vjp(f, *lin_primals)
            ct = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(out), cts)
            return pullback(ct), jax.linear_transpose(f, *lin_primals)(ct)

        what = f"transpose {case.id} {dtype_id(dtype)} in operands {linear}"
        checks.append(Check(case.primitive, what, inputs, ref, jax_vjp))
    return checks


def custom_vjp_checks(dtype: np.dtype) -> list[Check]:
    """custom_lin's transpose: the reverse mode of a custom_vjp function runs the user's bwd."""
    case = main_cases("custom_vjp_call")[0]
    params = case.params(dtype, case.avals(dtype))
    ref_f = ref_callable(case, params)
    jax_f = custom_vjp_fn(JAX_NS)

    def inputs(seed: int) -> list[np.ndarray]:
        (x,) = case.random_inputs(dtype, seed, smooth=True)
        return [x, random_array(_rng(seed, 3), x.shape, dtype, Domain("range", -1.0, 1.0))]

    def ref(x: Any, ct: Any) -> Any:
        out, pullback = fj.vjp(lambda v: ref_f(v)[0], x)
        return out, pullback(ct)

    def jax_vjp(x: Any, ct: Any) -> Any:
        out, pullback = jax.vjp(jax_f, x)
        return out, pullback(ct)

    return [Check("custom_lin", f"vjp of custom_vjp {dtype_id(dtype)}", inputs, ref, jax_vjp)]


@pytest.mark.parametrize("family", sorted({family_of(n) for n in with_rule("transpose")}))
def test_transpose_rules_match_jax(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [n for n in with_rule("transpose") if family_of(n) == family]
    spies = Spies(monkeypatch, "transpose", names)
    run_checks(where_jax_works(build_checks("transpose", names)), EXAMPLES)
    assert not spies.unused(names), f"transpose rules never exercised: {spies.unused(names)}"


# --- batching -----------------------------------------------------------------------------------------------


def in_axes_variants(ranks: Sequence[int]) -> list[tuple[int | None, ...]]:
    """0 everywhere, 1 everywhere (if every operand has rank >= 1), -1 everywhere, each operand
    unmapped in turn, and a mix of 1, -1 and 0."""
    n = len(ranks)
    variants: list[tuple[int | None, ...]] = [(0,) * n, (-1,) * n]
    if all(r >= 1 for r in ranks):
        variants.append((1,) * n)
    if n >= 2:
        variants += [tuple(None if j == i else 0 for j in range(n)) for i in range(n)]
        variants.append(tuple((1 if r >= 1 else 0, -1, 0)[i % 3] for i, r in enumerate(ranks)))
    unique: list[tuple[int | None, ...]] = []
    for v in variants:
        if v not in unique:
            unique.append(v)
    return unique


def _batched_shape(shape: tuple[int, ...], axis: int | None) -> tuple[int, ...]:
    if axis is None:
        return shape
    position = axis % (len(shape) + 1)
    return (*shape[:position], B, *shape[position:])


def batch_checks(case: PrimCase, dtype: np.dtype) -> list[Check]:
    params = case.params(dtype, case.avals(dtype))
    ref_f, jax_f = ref_callable(case, params), jax_callable(case, params)
    checks = []
    for in_axes in in_axes_variants([len(o.shape) for o in case.operands]):

        def inputs(seed: int, in_axes: tuple[int | None, ...] = in_axes) -> list[np.ndarray]:
            rng = _rng(seed, 4)
            return [
                random_array(rng, _batched_shape(o.shape, a), o.dtype_for(dtype), o.smooth_domain(dtype))
                for o, a in zip(case.operands, in_axes, strict=True)
            ]

        def ref(*args: Any, in_axes: tuple[int | None, ...] = in_axes) -> Any:
            return fj.vmap(ref_f, in_axes=in_axes)(*args)

        def jax_vmap(*args: Any, in_axes: tuple[int | None, ...] = in_axes) -> Any:
            return jax.vmap(jax_f, in_axes=in_axes)(*args)

        what = f"vmap {case.id} {dtype_id(dtype)} in_axes={in_axes}"
        checks.append(Check(case.primitive, what, inputs, ref, jax_vmap))
    return checks


def nullary_batch_checks(case: PrimCase, dtype: np.dtype) -> list[Check]:
    """A primitive without operands (iota) is never batched by vmap: its rule, called directly,
    must return the unbatched value and no batch dimension."""
    prim = PRIMITIVES[case.primitive]
    params = prim.normalize_params(case.params(dtype, []))
    jax_f = jax_callable(case, params)

    def ref() -> Any:
        out, dim = batch_rules[prim](B, [], [], **params)
        assert dim is None, f"{case.id}: batch rule returned batch dim {dim} for an unbatched value"
        return out

    return [Check(case.primitive, f"batch rule of {case.id} {dtype_id(dtype)}", lambda seed: [], ref, jax_f)]


def custom_lin_batch_error() -> None:
    """custom_lin's batch rule: vmap of the jvp of a custom_vjp function fails in both, in the rule's bind."""
    case = main_cases("custom_vjp_call")[0]
    params = case.params(dtypes.float64, case.avals(dtypes.float64))
    ref_f = ref_callable(case, params)
    x = case.random_inputs(dtypes.float64, 0, smooth=True)[0][None].repeat(B, 0)
    with pytest.raises(TypeError):
        jax.vmap(lambda v, t: jax.jvp(custom_vjp_fn(JAX_NS), (v,), (t,)))(x, x)
    with pytest.raises(FJError) as info:
        fj.vmap(lambda v, t: fj.jvp(lambda u: ref_f(u)[0], (v,), (t,)))(x, x)
    assert info.value.code == "FJ-TRANSFORM-CUSTOM-VJP"


@pytest.mark.parametrize("family", FAMILIES)
def test_batch_rules_match_jax(family: str, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [n for n in with_rule("batch") if family_of(n) == family]
    spies = Spies(monkeypatch, "batch", names)
    if "custom_lin" in names:
        custom_lin_batch_error()
    checks = where_jax_works(build_checks("batch", names))
    if checks:
        run_checks(checks, EXAMPLES)
    assert not spies.unused(names), f"batch rules never exercised: {spies.unused(names)}"


# --- all checks of a rule, and their staged types ----------------------------------------------------


def build_checks(rule: str, names: Sequence[str]) -> list[Check]:
    """The checks of ``rule`` for the primitives ``names`` (each primitive's main cases)."""
    checks: list[Check] = []
    for name in names:
        if rule == "transpose" and name == "custom_lin":
            for dtype in INEXACT:
                checks.extend(custom_vjp_checks(dtype))
            continue
        if rule == "batch" and name == "custom_lin":
            continue  # errors in both: custom_lin_batch_error
        for case in main_cases(name) if rule != "batch" else main_cases(name)[:1]:
            if rule == "jvp":
                for dtype in _dtypes(case, INEXACT, EXACT):
                    checks.extend(jvp_checks(case, dtype))
            elif rule == "transpose":
                for dtype in _dtypes(case, INEXACT, ()):
                    checks.extend(transpose_checks(case, dtype))
            else:
                dtype = _dtypes(case, (), (dtypes.float64, *EXACT, dtypes.complex128))[0]
                checks.extend(
                    batch_checks(case, dtype) if case.operands else nullary_batch_checks(case, dtype)
                )
    return checks


def _weakly(f: Callable[..., Any], make_weak: Callable[[Any], Any]) -> Callable[..., Any]:
    """``f`` with its inexact arguments made weakly typed first."""

    def g(*args: Any) -> Any:
        return f(*(make_weak(a) if dtypes.is_inexact(dtypes.canonicalize(a.dtype)) else a for a in args))

    return g


@pytest.mark.parametrize("rule", ["jvp", "transpose", "batch"])
def test_rule_output_types_match_jax(rule: str) -> None:
    """Staged with weakly typed inexact operands (tangents and cotangents too), every check's results
    have JAX's shapes, dtypes and weak types: rules must neither lose nor invent weak types.

    Primitives whose params carry a traced jaxpr (jit, custom_*) are left out: the jaxpr, traced
    once from strong operands, fixes their result types, where JAX's functions retrace."""
    from jax_helpers import make_weak_jax, make_weak_ref

    names = [n for n in with_rule(rule) if not PRIMITIVES[n].sub_jaxprs]
    mismatches = []
    for c in build_checks(rule, names):
        args = c.inputs(0)
        try:
            traced = jax.make_jaxpr(_weakly(c.jax, make_weak_jax))(*args)
        except (TypeError, NotImplementedError, ValueError):
            continue  # JAX rejects it: the reference's error is checked by the value tests
        expected = [(v.aval.shape, np.dtype(v.aval.dtype), v.aval.weak_type) for v in traced.jaxpr.outvars]
        ref_out = fj.make_jaxpr(
            _weakly(lambda *a, c=c: [instantiate(x) for x in tree_leaves(c.ref(*a))], make_weak_ref)
        )(*args)
        got = [(a.shape, a.dtype, a.weak_type) for a in ref_out.out_avals]
        if rule == "transpose":  # the check returns its cotangents twice (vjp and linear_transpose)
            expected = expected[: len(expected) // 2]
            got = got[: len(got) // 2]
        if got != expected:
            mismatches.append(f"{c.what}: reference {got}, JAX {expected}")
    assert not mismatches, "\n".join(mismatches)


# --- coverage ----------------------------------------------------------------------------------------


def test_every_rule_table_entry_is_covered_by_a_test() -> None:
    """Each family test above iterates ``rule_coverage()``; every primitive belongs to a family
    tested for each rule it has, and every primitive without a jvp rule has a failure test."""
    for rule in ("jvp", "transpose", "batch"):
        covered = {n for n in with_rule(rule) if family_of(n) in FAMILIES}
        assert covered == set(with_rule(rule))
