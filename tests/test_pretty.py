"""pformat: jax.make_jaxpr-style text, exact on hand-written programs."""

from __future__ import annotations

import json
from typing import Any

import ir_cases
import numpy as np
import pytest

from frankenjax_ref import ir, lax
from frankenjax_ref.core.ir import ClosedJaxpr, Jaxpr, Var

SPEC_EXAMPLE = """\
{ lambda a:f64[3]; b:f64[3] c:~f64[]. let
    d:f64[3] = sin b
    e:f64[3] = mul d 2.0:f64[]
    f:f64[3] = add e a
    g:f64[] = reduce_sum[axes=(0,) out_sharding=None] f
    h:f64[3] = jit[
      name=inner
      jaxpr={ lambda ; i:f64[3]. let j:f64[3] = integer_pow[y=3] i in (j,) }
    ] f
  in (g, h) }"""

NESTED = """\
{ lambda a:f32[2]; b:f32[2]. let
    c:f32[2] = add b a
    d:f32[2] = jit[
      name=level1
      jaxpr={ lambda e:f32[2]; f:f32[2]. let
          g:f32[2] = add f e
          h:f32[2] = jit[
            name=level0
            jaxpr={ lambda ; i:f32[2]. let j:f32[2] = neg i in (j,) }
          ] g
          k:f32[2] = mul h 0.5:f32[]
        in (k,) }
    ] c
    l:f32[2] = mul d 0.5:f32[]
  in (l,) }"""

BASE_DOC = """\
{ lambda a:f64[3]; b:f64[3] c:~f64[]. let
    d:f64[3] = mul b 2.0:f64[]
    e:f64[3] = add d a
    f:f64[3] = jit[
      name=inner
      jaxpr={ lambda ; g:f64[3]. let h:f64[3] = sin g in (h,) }
    ] e
  in (f, c, 7:i32[]) }"""


def test_spec_example() -> None:
    assert ir.pformat(ir_cases.spec_example()) == SPEC_EXAMPLE
    assert str(ir_cases.spec_example()) == SPEC_EXAMPLE


def test_nested_jaxprs_indent_relative_to_their_param() -> None:
    assert ir.pformat(ir_cases.nested_jit(depth=2)) == NESTED


def test_hand_written_document() -> None:
    assert ir.pformat(ir.loads(json.dumps(ir_cases.base_doc()))) == BASE_DOC


def test_one_line_forms() -> None:
    assert ir.pformat(ir_cases.identity_with_literals()) == (
        "{ lambda ; a:f32[2,2]. let  in (a, 1.5:f64[], 3:i32[], True:bool[]) }"
    )
    assert ir.pformat(ir_cases.float0_passthrough()) == (
        "{ lambda ; a:float0[3] b:f64[3]. let c:f64[3] = sin b in (a, c) }"
    )
    two = ir_cases.trace(lambda x: lax.cos(lax.sin(x)), ir_cases.aval("float64"))
    assert ir.pformat(two) == "{ lambda ; a:f64[]. let b:f64[] = sin a; c:f64[] = cos b in (c,) }"


def test_literals_print_like_jax() -> None:
    text = ir.pformat(ir_cases.literals_every_dtype())
    for fragment in [
        "True:bool[]",
        "-128:i8[]",
        "18446744073709551615:u64[]",
        "-2.5:bf16[]",
        "(-0+1.5j):c64[]",
        "inf:f64[]",
        "-0.0:f64[]",
        "5e-324:f64[]",
        "nan:f32[]",
        "9.183549615799121e-41:bf16[]",
        "2.0:f64[]",
    ]:
        assert fragment in text, fragment


def test_printing_survives_serialization() -> None:
    for closed in ir_cases.all_programs().values():
        assert ir.pformat(ir.loads(ir.dumps(closed))) == ir.pformat(closed)


def test_printing_never_fails_on_ill_formed_programs() -> None:
    j = ir_cases.shape_ops().jaxpr
    stray = Var(j.invars[0].aval)
    text = ir.pformat(ClosedJaxpr(Jaxpr((), j.invars, (stray, "junk"), j.equations)))  # type: ignore[arg-type]
    assert text.endswith("in (h, <str>) }")


def test_long_names() -> None:
    x = ir_cases.aval("float32")

    def f(a: Any) -> Any:
        for _ in range(30):
            a = lax.neg(a)
        return a

    text = ir.pformat(ir_cases.trace(f, x))
    assert "ba:f32[] = neg z" in text and text.endswith("in (be,) }")


def _jax_cases() -> list[tuple[Any, Any, list[np.ndarray]]]:
    jax = pytest.importorskip("jax")
    return [
        (
            lambda x, y: lax.reduce_sum(lax.mul(lax.sin(x), y), axes=(0,)),
            lambda x, y: jax.lax.reduce_sum_p.bind(
                jax.lax.mul(jax.lax.sin(x), y), axes=(0,), out_sharding=None
            ),
            [np.ones(3), np.ones(3)],
        ),
        (
            lambda x: [lax.reshape(x, (3, 2)), lax.convert_element_type(x, np.float32)],
            lambda x: [jax.lax.reshape(x, (3, 2)), jax.lax.convert_element_type(x, np.float32)],
            [np.ones((2, 3))],
        ),
        (
            lambda x: lax.broadcast_in_dim(x, (4, 3), (1,)),
            lambda x: jax.lax.broadcast_in_dim(x, (4, 3), (1,)),
            [np.ones(3)],
        ),
        (lambda x: lax.mul(x, 2.0), lambda x: jax.lax.mul(x, 2.0), [np.ones(3)]),
        (
            lambda x, y: lax.dot_general(x, y, (((1,), (0,)), ((), ()))),
            lambda x, y: jax.lax.dot_general(x, y, (((1,), (0,)), ((), ()))),
            [np.ones((2, 3), np.float32), np.ones((3, 4), np.float32)],
        ),
        (
            lambda x: lax.transpose(lax.rev(x, (0,)), (1, 0)),
            lambda x: jax.lax.transpose(jax.lax.rev(x, (0,)), (1, 0)),
            [np.ones((2, 3))],
        ),
    ]


def test_flat_programs_print_exactly_as_jax_prints_them() -> None:
    jax = pytest.importorskip("jax")
    with jax.enable_x64(True):
        for f, g, args in _jax_cases():
            mine = ir.pformat(ir_cases.trace(f, *(ir_cases.aval(a.dtype, a.shape) for a in args)))
            assert mine == str(jax.make_jaxpr(g)(*args))
