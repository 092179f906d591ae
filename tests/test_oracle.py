"""The oracle: from_jax / to_jax, running JAX under a stack, and the missing-JAX path."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")

import jax.numpy as jnp  # noqa: E402
from jax import lax  # noqa: E402

import frankenjax_ref as fj  # noqa: E402
from frankenjax_ref import ir  # noqa: E402
from frankenjax_ref.dispatch import parse_stack, program_function  # noqa: E402
from frankenjax_ref.interpreters.eval import eval_jaxpr  # noqa: E402
from harness.oracle import NO_JAX_ENV, OracleError, from_jax, load_jax, run_stack, to_jax  # noqa: E402
from harness.oracle.convert import DROPPED_JIT_PARAMS  # noqa: E402

load_jax()


def _close(a: object, b: object) -> None:
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)


def test_literals_consts_and_weak_types() -> None:
    const = np.array([1.0, 2.0, 3.0])

    def f(x, n):
        return x * 2.0 + const, n + 1

    traced = jax.make_jaxpr(f)(np.ones(3), np.int32(4))
    closed = from_jax(traced)
    assert len(closed.consts) == 1 and closed.consts[0].tolist() == [1.0, 2.0, 3.0]
    lits = [x for e in closed.jaxpr.equations for x in e.inputs if isinstance(x, ir.Literal)]
    assert {(lit.aval.dtype.name, float(lit.value)) for lit in lits} == {("float64", 2.0), ("int32", 1.0)}
    # JAX's weak-type bit survives (the jaxpr's avals are taken as they are)
    jweak = {(str(v.aval.dtype), v.aval.weak_type) for e in traced.jaxpr.eqns for v in e.invars}
    fweak = {(x.aval.dtype.name, x.aval.weak_type) for e in closed.jaxpr.equations for x in e.inputs}
    assert jweak == fweak
    out = eval_jaxpr(closed, np.ones(3), np.asarray(4, np.int32))
    assert out[0].tolist() == [3.0, 4.0, 5.0] and out[1] == 5


def test_nested_jit_is_kept_as_a_call_without_sharding_params() -> None:
    inner = jax.jit(lambda a: jnp.sin(a) * a)
    traced = jax.make_jaxpr(lambda x: inner(x) + 1.0)(np.ones(2))
    jeqn = traced.jaxpr.eqns[0]
    assert jeqn.primitive.name == "jit" and set(jeqn.params) >= DROPPED_JIT_PARAMS
    closed = from_jax(traced)
    eqn = closed.jaxpr.equations[0]
    assert eqn.primitive.name == "jit" and set(eqn.params) == {"name"} and eqn.params["name"] == "<lambda>"
    assert [e.primitive.name for e in eqn.sub_jaxprs["jaxpr"].jaxpr.equations] == ["sin", "mul"]
    _close(eval_jaxpr(closed, np.array([0.5, 2.0]))[0], np.sin([0.5, 2.0]) * [0.5, 2.0] + 1)


def test_params_become_the_references_declared_types() -> None:
    def f(x):
        r = lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)
        d = lax.dot_general(x, x, (((0,), (0,)), ((), ())), precision=lax.Precision.HIGHEST)
        c = lax.convert_element_type(x, jnp.int32)
        return r, d, c, jnp.argmax(x)

    closed = from_jax(jax.make_jaxpr(f)(np.array([0.5, 1.5, -2.5])))
    params = {e.primitive.name: dict(e.params) for e in closed.jaxpr.walk()}
    assert params["round"]["rounding_method"] == "TO_NEAREST_EVEN"
    assert params["dot_general"]["precision"] == ("HIGHEST", "HIGHEST")
    assert params["convert_element_type"]["new_dtype"] == np.dtype(np.int32)
    assert params["argmax"]["index_dtype"] == np.dtype(np.int64)
    r, d, c, m = eval_jaxpr(closed, np.array([0.5, 1.5, -2.5]))
    assert r.tolist() == [0.0, 2.0, -2.0] and float(d) == 8.75 and c.tolist() == [0, 1, -2] and int(m) == 1


def test_unsupported_primitives_are_listed_together() -> None:
    def f(x):
        return jnp.cumsum(x), jnp.sort(x), lax.cummax(x)

    with pytest.raises(OracleError) as err:
        from_jax(jax.make_jaxpr(f)(np.ones(4)))
    assert err.value.code == "FJ-ORACLE-UNSUPPORTED"
    for name in ("cumsum", "sort", "cummax"):
        assert f"primitive '{name}'" in err.value.message


def _roundtrip(closed: ir.ClosedJaxpr, *args: np.ndarray) -> ir.ClosedJaxpr:
    specs = [jax.ShapeDtypeStruct(np.shape(a), np.asarray(a).dtype) for a in args]
    return from_jax(jax.make_jaxpr(to_jax(closed))(*specs))


def _programs() -> list[tuple[str, ir.ClosedJaxpr, tuple[np.ndarray, ...]]]:
    x = np.array([0.25, -1.5, 2.0])
    m = np.arange(6.0).reshape(2, 3)
    out = []

    # programs written for JAX, converted once
    def jax_prog(a, b):
        h = jnp.tanh(a @ b.T) * 2.0
        return jnp.sum(jax.nn.relu(h)), jnp.where(a > 0, a, -a), lax.round(a), jnp.clip(a, -1, 1)

    out.append(("jax", from_jax(jax.make_jaxpr(jax_prog)(x, m)), (x, m)))

    @jax.custom_vjp
    def g(v):
        return jnp.sin(v)

    g.defvjp(lambda v: (jnp.sin(v), (jnp.cos(v),)), lambda r, ct: (ct * r[0] * 3.0,))
    out.append(("custom_vjp", from_jax(jax.make_jaxpr(lambda v: g(v) * v)(x)), (x,)))
    # programs staged by the reference itself
    from frankenjax_ref import numpy as fnp

    ref = fj.make_jaxpr(lambda a, n: (fnp.exp(a) - a * 3, n * 2 + 1))(x, np.arange(3, dtype=np.int32))
    out.append(("reference", ref, (x, np.arange(3, dtype=np.int32))))
    nested = fj.make_jaxpr(fj.jit(lambda a: fnp.sum(fnp.sin(a)) ** 2))(x)
    out.append(("reference_jit", nested, (x,)))
    return out


@pytest.mark.parametrize("name, closed, args", _programs(), ids=lambda v: v if isinstance(v, str) else "")
def test_round_trip_evaluates_equal(name: str, closed: ir.ClosedJaxpr, args: tuple[np.ndarray, ...]) -> None:
    again = _roundtrip(closed, *args)
    for a, b in zip(eval_jaxpr(closed, *args), eval_jaxpr(again, *args), strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    # and JAX runs the canonical program to the same values
    for a, b in zip(eval_jaxpr(closed, *args), to_jax(closed)(*args), strict=True):
        _close(a, b)


def test_to_jax_fills_the_dropped_jit_params_with_jax_defaults() -> None:
    closed = fj.make_jaxpr(fj.jit(lambda a: a * 2.0))(np.ones(2))
    traced = jax.make_jaxpr(to_jax(closed))(np.ones(2))
    eqn = next(e for e in traced.jaxpr.eqns if e.primitive.name == "jit")
    assert set(eqn.params) >= DROPPED_JIT_PARAMS
    assert eqn.params["donated_invars"] == (False,) and eqn.params["inline"] is False


def test_custom_rules_are_kept_and_honoured_by_the_reference() -> None:
    @jax.custom_jvp
    def f(v):
        return jnp.sin(v)

    f.defjvp(lambda p, t: (f(p[0]), 10.0 * t[0]))  # a deliberately "wrong" rule: the reference must use it
    closed = from_jax(jax.make_jaxpr(lambda v: jnp.sum(f(v)))(np.ones(3)))
    kinds = [e.primitive.name for e in closed.jaxpr.equations]
    assert "custom_jvp_call" in kinds
    g = fj.grad(lambda v: program_function(closed)(v)[0])(np.ones(3))
    assert g.tolist() == [10.0, 10.0, 10.0]
    np.testing.assert_array_equal(g, jax.grad(lambda v: jnp.sum(f(v)))(np.ones(3)))


def test_run_stack_uses_the_shared_stack_code() -> None:
    def f(a):
        return jnp.sin(a) * a

    x = np.linspace(-1, 1, 4)
    (g,) = run_stack(f, parse_stack("vmap(grad)"), [x])
    _close(g, np.cos(x) * x + np.sin(x))
    _, tangent = run_stack(f, parse_stack("jvp"), [x, np.ones(4)], n_in=1)
    _close(tangent, np.cos(x) * x + np.sin(x))
    ints = run_stack(
        lambda n: n * 2, parse_stack("jvp"), [np.arange(3), np.zeros(3, jax.dtypes.float0)], n_in=1
    )
    assert ints[1].dtype.names == ("float0",)


def test_missing_jax_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.oracle import jax_available, jax_versions

    monkeypatch.setenv(NO_JAX_ENV, "1")
    with pytest.raises(OracleError) as err:
        load_jax()
    assert err.value.code == "FJ-ORACLE-UNAVAILABLE"
    assert jax_available() is False
    assert jax_versions()["jax"] is None
    with pytest.raises(OracleError):
        from_jax(None)
