"""Every registered primitive, for every dtype, against JAX 0.10.2 (x64, CPU).

For each case of :data:`jax_helpers.CASES` (generated from the primitives' case specs,
``harness.conformance.specs``) and each of the 15 dtypes:

* if JAX rejects the operands (tracing or lowering them under ``jit``), the
  reference must reject them too, with a ``PrimitiveError`` (coded
  ``FJ-PRIM-DTYPE``, or the case's ``reject_code``);
* otherwise the reference must accept them, its ``abstract_eval`` must give
  JAX's output avals (shape, dtype and weak type, for strong, weak and mixed
  operands), and its ``impl`` must give JAX's values, per the tolerance
  policy of ``jax_helpers``, on deterministic inputs (edge-value grids for
  elementwise primitives and reductions) and on random inputs drawn from
  Hypothesis-chosen seeds.

Compiling dominates the cost of running JAX, and one XLA executable holding
many primitives compiles about three times faster than one per primitive, so
the tests run per (family, dtype): one jitted JAX program evaluates every case
of the family at once, for the fixed inputs and then for each random example
(same shapes, so it compiles once).

A primitive registered without a spec row fails ``tests/test_specs.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
import pytest
from jax_helpers import (
    ALL_DTYPES,
    VARIANT_DTYPES,
    PrimCase,
    all_cases,
    dtype_id,
    flush_subnormals,
    has_subnormals,
    jax_callable,
    jax_out_avals,
    jax_trace,
    mismatches,
    report,
    seeded,
    tolerance,
)

import frankenjax_ref.primitives  # noqa: F401  (fills the registry)
from frankenjax_ref.core import dtypes
from frankenjax_ref.core.avals import ShapedArray
from frankenjax_ref.core.primitive import PRIMITIVES, abstract_eval, impl_rules
from frankenjax_ref.errors import FJError, PrimitiveError
from frankenjax_ref.primitives import family_of

#: Hypothesis examples (seeds) per (family, dtype) in the default run, and in the slow sweep
EXAMPLES = 3
SLOW_EXAMPLES = 40

FAMILIES = sorted({family_of(c.primitive) for c in all_cases()})


# --- the reference's side --------------------------------------------------------------------------


def _as_list(out: Any, multiple: bool) -> list[Any]:
    if multiple or isinstance(out, (list, tuple)):
        return list(out)
    return [out]


def _ref_impl(case: PrimCase, params: dict[str, Any], inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    prim = PRIMITIVES[case.primitive]
    out = impl_rules[prim](*inputs, **prim.normalize_params(params))
    return [np.asarray(o) for o in _as_list(out, prim.multiple_results)]


def _ref_avals(case: PrimCase, params: dict[str, Any], avals: list[ShapedArray]) -> list[ShapedArray]:
    prim = PRIMITIVES[case.primitive]
    return abstract_eval(prim, avals, prim.normalize_params(params))


def compare_values(
    case: PrimCase,
    params: dict[str, Any],
    inputs: Sequence[np.ndarray],
    expected: Sequence[np.ndarray],
    what: str,
) -> None:
    """The reference's impl against JAX's outputs: the tier's tolerance, then the documented allowances."""
    got = _ref_impl(case, params, inputs)
    assert len(got) == len(expected), f"{what}: {len(got)} outputs, JAX has {len(expected)}"
    prim = PRIMITIVES[case.primitive]
    scale = case.scale(*inputs, **prim.normalize_params(params)) if case.scale else 1.0
    subnormal_inputs = any(has_subnormals(x) for x in inputs)
    flushed: list[np.ndarray] | None = None
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        tol = tolerance(case.tier, _precision_dtype(case, inputs, e.dtype))
        bad = mismatches(g, e, tol, scale)
        if isinstance(bad, str):
            raise AssertionError(f"{what} output {i}: {bad}")
        if bad.any() and (subnormal_inputs or has_subnormals(g)):  # DIVERGENCES["ftz"]
            if flushed is None:
                flushed_in = [flush_subnormals(x) for x in inputs]
                flushed = [flush_subnormals(o) for o in _ref_impl(case, params, flushed_in)]
            bad &= np.asarray(mismatches(flushed[i], flush_subnormals(e), tol, scale))
        if bad.any():
            bad &= ~case.unchecked(inputs, g, scale, prim.normalize_params(params))
        shown = [x.tolist() for x in inputs] if sum(x.size for x in inputs) <= 12 else "(large)"
        report(g, e, bad, tol, what=f"{what} output {i}, inputs {shown}")


def _precision_dtype(case: PrimCase, inputs: Sequence[np.ndarray], out: np.dtype) -> np.dtype:
    """The dtype whose tolerance applies: for accumulations, the least precise of the result and the
    inexact operands (a complex64 dot with a float64 preferred type is as precise as complex64)."""
    if case.tier not in ("accumulate", "reduction"):
        return out
    candidates = [np.dtype(out), *(x.dtype for x in inputs if dtypes.is_inexact(x.dtype))]
    inexact = [d for d in candidates if dtypes.is_inexact(d)]
    if not inexact:
        return out
    return max(inexact, key=lambda d: float(dtypes.finfo(dtypes.real_dtype(d)).eps))


def _weak_patterns(n: int) -> list[list[bool]]:
    patterns = [[False] * n, [True] * n] + [[i == j for j in range(n)] for i in range(n)]
    unique: list[list[bool]] = []
    for p in patterns:
        if p not in unique:
            unique.append(p)
    return unique


def check_abstract_eval(case: PrimCase, dtype: np.dtype) -> None:
    """Output avals (shape, dtype, weak type) for strong, weak and mixed operands, as JAX traces them."""
    for weak in _weak_patterns(len(case.operands)):
        avals = case.avals(dtype, weak)
        params = case.params(dtype, avals)
        try:
            expected = jax_out_avals(jax_callable(case, params), avals)
        except (TypeError, ValueError):
            with pytest.raises(PrimitiveError):
                _ref_avals(case, params, avals)
            continue
        got = _ref_avals(case, params, avals)
        assert got == expected, f"abstract_eval with weak={weak}: reference {got}, JAX {expected}"


# --- JAX's side, batched ---------------------------------------------------------------------------


def _jax_rejection(fn: Callable[..., Any], inputs: Sequence[np.ndarray], lower: bool) -> Exception | None:
    """JAX's error for these operands when tracing (and, if ``lower``, lowering) them under jit, or None."""
    try:
        traced = jax.jit(fn).trace(*inputs)
        if lower:
            traced.lower()
    except (TypeError, ValueError, NotImplementedError) as exc:
        return exc
    return None


@dataclass
class Accepted:
    case: PrimCase
    params: dict[str, Any]
    jax_fn: Callable[..., Any]


def _batched(accepted: Sequence[Accepted]) -> Callable[..., Any]:
    """One jitted JAX program running every accepted case on its own inputs."""

    def run(all_inputs: list[list[Any]]) -> list[list[Any]]:
        return [_as_list(a.jax_fn(*xs), False) for a, xs in zip(accepted, all_inputs, strict=True)]

    return jax.jit(run)


def check_case_dtype(case: PrimCase, dtype: np.dtype, lower: bool = False) -> Accepted | None:
    """Rejected by both, or accepted by both with JAX's abstract evaluation; the acceptance if accepted.

    JAX rejects some operands only when lowering (argmax of complex); lowering every case on its
    own is slow, so ``run_batch`` lowers the whole batch and retries with ``lower=True`` on failure.
    """
    prim = PRIMITIVES[case.primitive]
    inputs = case.fixed_inputs(dtype)
    try:
        params = case.params(dtype, case.avals(dtype))
        ref_error: FJError | None = None
    except FJError as exc:  # a jit body that does not accept the dtype
        params, ref_error = {}, exc
    fn = jax_callable(case, params)
    jax_error = _jax_rejection(fn, inputs, lower)
    if jax_error is None and not lower and ref_error is None:
        try:
            prim.bind(*inputs, **params)
        except FJError:  # JAX may yet reject it when lowering (argmax of complex)
            jax_error = _jax_rejection(fn, inputs, lower=True)
    if jax_error is not None:
        with pytest.raises(FJError) as info:
            if ref_error is not None:
                raise ref_error
            prim.bind(*inputs, **params)
        assert info.value.code == case.reject_code(dtype), f"JAX: {jax_error}; reference: {info.value}"
        return None
    assert not case.jax_always_raises, f"JAX evaluates {case.id}, which it is expected to reject"
    assert ref_error is None, f"JAX accepts {dtype_id(dtype)}, the reference does not: {ref_error}"
    try:
        prim.bind(*inputs, **params)
    except FJError as exc:
        raise AssertionError(f"JAX accepts these operands, the reference rejects them: {exc}") from None
    check_abstract_eval(case, dtype)
    return Accepted(case, params, fn)


def _check_cases(cases: Sequence[PrimCase], dtype: np.dtype, lower: bool) -> tuple[list[Accepted], list[str]]:
    failures: list[str] = []
    accepted: list[Accepted] = []
    for case in cases:
        try:
            acc = check_case_dtype(case, dtype, lower)
        except AssertionError as exc:
            failures.append(f"{case.id}: {exc}")
            continue
        if acc is not None:
            accepted.append(acc)
    return accepted, failures


def run_batch(cases: Sequence[PrimCase], dtype: np.dtype, examples: int) -> None:
    accepted, failures = _check_cases(cases, dtype, lower=False)
    try:
        _batched(accepted).trace([a.case.fixed_inputs(dtype) for a in accepted]).lower()
    except (TypeError, ValueError, NotImplementedError):
        accepted, failures = _check_cases(cases, dtype, lower=True)

    def compare_all(inputs_per_case: list[list[np.ndarray]], what: str) -> None:
        """Every case compared (one failing case does not hide the others), then one error for all."""
        outs = program([[np.asarray(x) for x in xs] for xs in inputs_per_case])
        errors = []
        for a, xs, expected in zip(accepted, inputs_per_case, outs, strict=True):
            try:
                compare_values(a.case, a.params, xs, [np.asarray(e) for e in expected], f"{a.case.id} {what}")
            except AssertionError as exc:
                errors.append(str(exc))
        assert not errors, "\n".join(errors)

    if accepted:
        program = _batched(accepted)
        try:
            compare_all([a.case.fixed_inputs(dtype) for a in accepted], f"{dtype_id(dtype)} fixed inputs")
        except AssertionError as exc:
            failures.append(str(exc))

        @seeded(examples)
        def random_inputs(seed: int) -> None:
            compare_all(
                [a.case.random_inputs(dtype, seed) for a in accepted], f"{dtype_id(dtype)} seed {seed}"
            )

        try:
            random_inputs()
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)


# --- the tests -------------------------------------------------------------------------------------


def _family_cases(family: str, dtype: np.dtype, everything: bool) -> list[PrimCase]:
    return [
        c
        for c in all_cases()
        if family_of(c.primitive) == family
        and (everything or c.main or dtype in VARIANT_DTYPES)
        and (c.only_dtypes is None or dtype in c.only_dtypes)
    ]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("family", FAMILIES)
def test_primitives_match_jax(family: str, dtype: np.dtype) -> None:
    """Main cases for every dtype; shape and param variants for a few dtypes (all of them when slow)."""
    run_batch(_family_cases(family, dtype, everything=False), dtype, EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_id)
@pytest.mark.parametrize("family", FAMILIES)
def test_primitives_match_jax_sweep(family: str, dtype: np.dtype) -> None:
    run_batch(_family_cases(family, dtype, everything=True), dtype, SLOW_EXAMPLES)


def _first_jax_dtype(case: PrimCase) -> np.dtype | None:
    """The first dtype JAX traces the case at, to one equation (convert to the same dtype has none)."""
    for d in ALL_DTYPES:
        avals = case.avals(d)
        try:
            params = case.params(d, avals)
            traced = jax_trace(jax_callable(case, params), avals)
        except (TypeError, ValueError, FJError):
            continue
        if len(traced.jaxpr.eqns) == 1 or case.jax_fn is not None:
            return d
    return None


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in all_cases()])
def test_case_is_valid_and_params_match_jax(case: PrimCase) -> None:
    """Each case runs in JAX for some dtype, and the reference declares JAX's param names."""
    if case.jax_always_raises:
        for d in case.only_dtypes or ALL_DTYPES:
            params = case.params(d, case.avals(d))
            assert _jax_rejection(jax_callable(case, params), case.sample(d), lower=True) is not None, (
                f"JAX evaluates {case.id} at {dtype_id(d)}, which it is expected to reject"
            )
        return
    dtype = _first_jax_dtype(case)
    assert dtype is not None, f"case {case.id} is rejected by JAX for every dtype (a broken case)"
    if case.jax_fn is not None:
        return  # compared through a JAX function, not a JAX primitive of the same name
    prim = PRIMITIVES[case.primitive]
    avals = case.avals(dtype)
    (eqn,) = jax_trace(jax_callable(case, case.params(dtype, avals)), avals).jaxpr.eqns
    assert set(eqn.params) == set(prim.params) | set(prim.sub_jaxprs)
