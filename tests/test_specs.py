"""The primitives' case specs (harness/conformance/specs) and what is generated from them.

One test says every registered primitive has a spec row and every consumer covers it (the
catalog, or the row's stated reason why not; the unit tests' main cases; the fuzz seed). The
others check the model's refusals and defaults, and that a primitive whose JAX side is a function
(``jax_fn``) goes through the catalog, a live capture and conformance like a plain ``bind``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import frankenjax_ref.primitives  # noqa: F401  (fills the registry)
from frankenjax_ref.core.primitive import PRIMITIVES
from frankenjax_ref.errors import FJError
from harness.conformance.catalog import build_catalog
from harness.conformance.specs import (
    Arg,
    Ints,
    PrimitiveSpec,
    Variant,
    binary,
    coverage_problems,
    spec,
    spec_for,
    specs,
    unary,
)


@pytest.fixture
def fresh_catalog() -> Iterator[None]:
    """Build the catalog again around a test that changes spec rows."""
    build_catalog.cache_clear()
    yield
    build_catalog.cache_clear()


def test_every_primitive_has_a_spec_row_and_every_consumer_covers_it() -> None:
    """The one coverage check: a row per registered primitive, and from it catalog cases (or the
    row's reason), main unit-test cases and a fuzz seed program."""
    from jax_helpers import CASES

    from harness.fuzz.seeds import ir_seeds

    assert coverage_problems() == []
    assert set(specs()) == set(PRIMITIVES)
    catalog = build_catalog()
    in_catalog = {c.primitive for c in catalog.cases if c.primitive}
    uncovered = {u.primitive: u.reason for u in catalog.uncovered}
    for name, row in specs().items():
        if row.no_catalog:
            assert uncovered.get(name) == row.no_catalog and name not in in_catalog
        else:
            assert name in in_catalog and name not in uncovered
        assert any(c.main for c in CASES[name]), f"{name} has no main unit-test case"
    seeds = ir_seeds()
    assert {f"prim-{name}.json" for name in PRIMITIVES} <= set(seeds)


def test_rows_refuse_what_no_generator_can_use() -> None:
    with pytest.raises(ValueError, match="duplicate variant labels"):
        spec("neg", unary(), unary())
    with pytest.raises(ValueError, match="no main unit-test variant"):
        spec("neg", unary(main=False))
    with pytest.raises(ValueError, match="no catalog variant"):
        spec("neg", unary(catalog=False))
    with pytest.raises(ValueError, match="unknown domain"):
        Arg(domain="positve")
    with pytest.raises(FJError, match="unknown dtype"):
        Arg(dtype="int33")
    with pytest.raises(ValueError, match="empty integer range"):
        Ints(3, 3)
    with pytest.raises(ValueError, match="unknown edge layout"):
        unary(edge="diagonal")
    with pytest.raises(ValueError, match="unknown stacks"):
        unary(stacks=("eager", "pmap"))
    with pytest.raises(KeyError, match="no case spec row"):
        spec_for("no_such_primitive")


def test_variants_take_the_rows_facts_unless_they_say_otherwise() -> None:
    row = spec("div", binary(broadcast_tier="div-broadcast"), tier="complex-arith", differentiable=False)
    assert [(v.label, v.tier, v.differentiable) for v in row.variants] == [
        ("", "complex-arith", False),
        ("size1", "div-broadcast", False),
        ("scalar", "div-broadcast", False),
    ]
    # elementwise variants default to an empty set and an edge grid; explicit shapes to neither
    same, _, scalar = row.variants
    assert same.elementwise and same.empty == ((0,), (0,)) and same.edge == "grid"
    assert not scalar.elementwise and scalar.empty is None and scalar.edge is None
    assert [v.label for v in row.catalog_variants()] == [""] and len(row.unit_variants()) == 3
    assert row.elementwise and not spec("iota", Variant("", (), {})).elementwise


def test_a_row_with_defaults_feeds_every_generator(
    monkeypatch: pytest.MonkeyPatch, fresh_catalog: None
) -> None:
    """A row written with nothing but operands and params (the seed's dtype found by probing), for a
    non-elementwise primitive with a fixed-dtype index operand, generates catalog cases, unit-test
    cases and a seed program."""
    from jax_helpers import prim_case

    from harness.conformance.catalog.primitives import primitive_cases
    from harness.fuzz.seeds import _primitive_program

    row: PrimitiveSpec = spec(
        "select_n",
        Variant("idx", (Arg((2, 3), "int32", Ints(0, 2)), Arg((2, 3)), Arg((2, 3)))),
    )
    monkeypatch.setitem(specs(), "select_n", row)
    cases = primitive_cases("select_n", "prim.logic")
    ids = {c.case_id for c in cases}
    assert "prim.select_n.idx.float64.edge.vmap" in ids and "prim.select_n.idx.float64.normal.grad" in ids
    assert "prim.select_n.idx.int32.normal.grad" not in ids  # no gradient of an integer sweep
    for c in cases:
        if c.input_set != "empty":
            which = c.inputs[0]
            assert which.dtype == np.int32 and which.min() >= 0 and which.max() <= 1, c.case_id
    (unit,) = [prim_case(row, v) for v in row.unit_variants()]
    assert unit.main and unit.operands[0].domain.kind == "ints" and unit.edge is None
    closed = _primitive_program("select_n")
    assert [str(v.aval.dtype) for v in closed.jaxpr.invars] == ["int32", "float64", "float64"]


def test_a_jax_fn_primitive_goes_through_capture_and_conformance(
    monkeypatch: pytest.MonkeyPatch, fresh_catalog: None, tmp_path: Path
) -> None:
    """jit's row (whose JAX side is ``jax.jit`` of a body, not a bind) put in the catalog: its cases
    are ``spec.jit`` programs, JAX traces them (capture, strict) and the reference agrees."""
    from harness.conformance.capture import capture
    from harness.conformance.runner import run_conformance

    row = dataclasses.replace(spec_for("jit"), no_catalog="")
    monkeypatch.setitem(specs(), "jit", row)
    cases = [c for c in build_catalog().cases if c.case_id.startswith("prim.jit.float64.normal.")]
    assert {c.program for c in cases} == {"spec.jit", "sum(spec.jit)"}
    result = capture(output_dir=tmp_path, patterns=["prim.jit.float64.normal.*"], strict=True, jobs=0)
    assert result.ok and result.captured == 5
    report = run_conformance([tmp_path], report_dir=tmp_path / "report", jobs=0)
    assert report.totals["cases"] == 5 and report.totals["pass"] == 5, report.results
