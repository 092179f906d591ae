"""The case catalog: programs, input generators and transform stacks, as data.

:func:`build_catalog` returns every case (:class:`CaseSpec`) with its inputs
already generated (deterministically), grouped in families — one fixture
bundle per family:

============================  ==================================================================
family                        contents
============================  ==================================================================
``seed``                      the Rust v1 seed programs under jit, grad, vmap, vmap(grad), jit(vmap)
``prim.<module>``             every registered primitive (grouped by the reference module that
                              declares it: elementwise, logic, conversion, shape, reductions,
                              linalg, ad_util), swept over the candidate dtypes, on ordinary
                              and edge inputs under [], jit, vmap, jvp, grad; subnormal and
                              empty inputs under [] and jit
``composition``               MLP layer, logsumexp, softmax cross-entropy, layer norm, polynomial,
                              nested jit, under jit, grad, vmap, jit(grad), vmap(grad), grad(grad),
                              jacfwd, jacrev, hessian
``custom``                    custom_jvp / custom_vjp programs under the stacks that reach their rules
============================  ==================================================================

Case ids are stable and readable: ``prim.<primitive>[.<variant>].<dtype>.<input set>.<stack>``
(``prim.integer_pow.y=3.float32.edge.jvp``), ``seed.<program>.<dtype>.<stack>[.<i>]``,
``comp.<program>.<dtype>.<input set>.<stack>``. :func:`select` filters by
shell-style patterns (``fnmatch``) on ids or family names.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterable, Sequence

from harness.conformance.catalog.model import CaseSpec, Catalog, ExpectedError, Operand, Uncovered

__all__ = [
    "CaseSpec",
    "Catalog",
    "ExpectedError",
    "Operand",
    "Uncovered",
    "build_catalog",
    "select",
]


@functools.cache
def build_catalog() -> Catalog:
    """The whole catalog (cached: building it is deterministic)."""
    from frankenjax_ref.primitives import family_of
    from harness.conformance.catalog.compositions import composition_cases, custom_cases
    from harness.conformance.catalog.primitives import coverage_plan, primitive_cases
    from harness.conformance.catalog.seeds import seed_cases

    cases: list[CaseSpec] = list(seed_cases())
    covered, uncovered = coverage_plan()
    for name in covered:
        cases.extend(primitive_cases(name, f"prim.{family_of(name)}"))
    cases.extend(composition_cases())
    cases.extend(custom_cases())
    ids = [c.case_id for c in cases]
    if len(set(ids)) != len(ids):  # pragma: no cover - a catalog bug
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise AssertionError(f"duplicate case ids: {dup[:5]}")
    return Catalog(tuple(cases), tuple(uncovered))


def _matches(case: CaseSpec, pattern: str) -> bool:
    return fnmatch.fnmatchcase(case.case_id, pattern) or fnmatch.fnmatchcase(case.family, pattern)


def select(cases: Iterable[CaseSpec], patterns: Sequence[str] | None) -> list[CaseSpec]:
    """Cases whose id or family matches any of ``patterns`` (all cases when there is none).

    A pattern without wildcards matches ids that start with it (``prim.sin``
    selects every sin case).
    """
    items = list(cases)
    if not patterns:
        return items
    globs = [p if any(ch in p for ch in "*?[") else f"{p}*" for p in patterns]
    return [c for c in items if any(_matches(c, g) for g in globs)]
