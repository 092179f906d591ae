"""validate(): well-formedness and type checking of in-memory IR."""

# These tests build ill-typed IR on purpose.
# mypy: disable-error-code="arg-type"

from __future__ import annotations

from typing import Any

import ir_cases
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from frankenjax_ref import ir
from frankenjax_ref.core.avals import ShapedArray
from frankenjax_ref.core.ir import ClosedJaxpr, Equation, Jaxpr, Literal, Var
from frankenjax_ref.core.primitive import PRIMITIVES, abstract_eval_rules
from frankenjax_ref.errors import IRError

PROGRAMS = ir_cases.all_programs()


def code_of(closed: Any, limits: ir.Limits | None = None) -> str:
    with pytest.raises(IRError) as info:
        ir.validate(closed, limits)
    return info.value.code


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_traced_programs_are_valid(name: str) -> None:
    ir.validate(PROGRAMS[name])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ir_cases.programs())
def test_random_traced_programs_are_valid(closed: ClosedJaxpr) -> None:
    ir.validate(closed)


def test_in_memory_errors() -> None:
    good = PROGRAMS["shape_ops"]
    j = good.jaxpr
    e0 = j.equations[0]
    stray = Var(j.invars[0].aval)
    scalar = j.invars[0].aval.update(shape=())
    cases: list[tuple[Any, str]] = [
        (ClosedJaxpr(Jaxpr(j.constvars, j.invars, (stray,), j.equations)), "FJ-IR-UNBOUND-VAR"),
        (ClosedJaxpr(Jaxpr((), j.invars + j.invars, j.outvars, j.equations)), "FJ-IR-DUPLICATE-BINDER"),
        (ClosedJaxpr(Jaxpr((), j.invars, j.outvars, (e0, e0, *j.equations[1:]))), "FJ-IR-DUPLICATE-BINDER"),
        (ClosedJaxpr(j, (np.zeros(3),)), "FJ-IR-ARITY"),
        (
            ClosedJaxpr(Jaxpr((), j.invars, (Literal(np.zeros(2), j.invars[0].aval),), ())),
            "FJ-IR-TYPE-MISMATCH",
        ),
        (ClosedJaxpr(Jaxpr((), j.invars, (Literal(np.float32(1), scalar),), ())), "FJ-IR-TYPE-MISMATCH"),
        (ClosedJaxpr(Jaxpr((), j.invars, (Literal(1.0, scalar),), ())), "FJ-IR-SCHEMA"),
        (ClosedJaxpr(Jaxpr((), j.invars, ("a",), ())), "FJ-IR-SCHEMA"),
        (ClosedJaxpr(Jaxpr((), j.invars, j.invars, ("eqn",))), "FJ-IR-SCHEMA"),
        (
            ClosedJaxpr(
                Jaxpr((), j.invars, j.invars, (Equation(e0.primitive, e0.inputs, e0.outputs, {}, {}),))
            ),
            "FJ-IR-PARAM",
        ),
        (
            ClosedJaxpr(
                Jaxpr(
                    (),
                    j.invars,
                    j.invars,
                    (Equation(e0.primitive, e0.inputs, e0.outputs, {**e0.params, "new_sizes": "x"}),),
                )
            ),
            "FJ-IR-PARAM",
        ),
        (ClosedJaxpr(Jaxpr((), (Var(ShapedArray((1,) * 20, np.dtype("float32"))),), (), ())), "FJ-IR-LIMIT"),
        (ClosedJaxpr(Jaxpr((), (Var(ShapedArray((), np.dtype("U3"))),), (), ())), "FJ-IR-DTYPE"),
        (ClosedJaxpr(Jaxpr((), (Var("f32[]"),), (), ())), "FJ-IR-SCHEMA"),
        (ClosedJaxpr(Jaxpr((stray,), (), (), ()), ("not an array",)), "FJ-IR-SCHEMA"),
        (ClosedJaxpr(Jaxpr((stray,), (), (), ()), (np.zeros(3, np.float32),)), "FJ-IR-TYPE-MISMATCH"),
        ("not a program", "FJ-IR-SCHEMA"),
    ]
    for closed, code in cases:
        assert code_of(closed) == code, code


def test_declared_output_types_are_checked() -> None:
    j = PROGRAMS["shape_ops"].jaxpr
    e0 = j.equations[0]
    out = e0.outputs[0]
    for wrong in (
        out.aval.update(weak_type=True),
        out.aval.update(shape=(6,)),
        out.aval.update(dtype=np.dtype("float32")),
    ):
        eqn = Equation(e0.primitive, e0.inputs, (Var(wrong),), e0.params)
        with pytest.raises(IRError) as info:
            ir.validate(ClosedJaxpr(Jaxpr((), j.invars, (), (eqn,))))
        assert info.value.code == "FJ-IR-TYPE-MISMATCH"
        assert info.value.where == "jaxpr.equations[0] (reshape)"


def test_unregistered_primitive() -> None:
    from frankenjax_ref.core.primitive import Primitive

    j = PROGRAMS["shape_ops"].jaxpr
    e0 = j.equations[0]
    fake = Primitive.__new__(Primitive)
    fake.name, fake.params, fake.multiple_results, fake.sub_jaxprs = "reshape", e0.primitive.params, False, ()
    eqn = Equation(fake, e0.inputs, e0.outputs, e0.params)
    assert code_of(ClosedJaxpr(Jaxpr((), j.invars, (), (eqn,)))) == "FJ-IR-UNKNOWN-PRIMITIVE"


def test_depth_and_count_limits() -> None:
    nested = ir_cases.nested_jit(depth=4)
    ir.validate(nested, ir.Limits(max_depth=4))
    assert code_of(nested, ir.Limits(max_depth=3)) == "FJ-IR-LIMIT"
    assert code_of(nested, ir.Limits(max_equations=5)) == "FJ-IR-LIMIT"
    assert code_of(nested, ir.Limits(max_vars=4)) == "FJ-IR-LIMIT"
    assert code_of(PROGRAMS["consts_every_dtype"], ir.Limits(max_total_elements=10)) == "FJ-IR-LIMIT"


def test_a_crashing_rule_becomes_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in a rule must not escape loads() as a bare exception; __cause__ keeps it for triage."""
    sin_p = PRIMITIVES["sin"]

    def broken(x: ShapedArray, **params: Any) -> ShapedArray:
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(abstract_eval_rules, sin_p, broken)
    with pytest.raises(IRError) as info:
        ir.validate(PROGRAMS["spec_example"])
    assert info.value.code == "FJ-IR-TYPE-MISMATCH"
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert "rule failed" in info.value.message


def test_dumps_refuses_invalid_programs() -> None:
    j = PROGRAMS["shape_ops"].jaxpr
    stray = Var(j.invars[0].aval)
    bad = ClosedJaxpr(Jaxpr((), j.invars, (stray,), ()))
    for check in (True, False):
        with pytest.raises(IRError) as info:
            ir.dumps(bad, check=check)
        assert info.value.code == "FJ-IR-UNBOUND-VAR"
