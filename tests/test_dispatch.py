"""Dispatch: stacks as data, the composition proof, order sensitivity, checked against live JAX."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import frankenjax_ref as fj
import frankenjax_ref.numpy as fnp
from frankenjax_ref import dispatch, ledger
from frankenjax_ref.errors import DispatchError

jax.config.update("jax_enable_x64", True)


def scalar_program():  # type: ignore[no-untyped-def]
    return fj.make_jaxpr(lambda x: fnp.sin(x) * x)(1.0)


def vector_program():  # type: ignore[no-untyped-def]
    return fj.make_jaxpr(lambda x: fnp.sum(fnp.tanh(x) * x))(np.ones(3))


JAX_SCALAR = lambda x: [jnp.sin(x) * x]  # noqa: E731
JAX_VECTOR = lambda x: [jnp.sum(jnp.tanh(x) * x)]  # noqa: E731


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("vmap(grad)", ["vmap", "grad"]),
        ("vmap(grad(f))", ["vmap", "grad"]),
        ("jit,vmap,grad", ["jit", "vmap", "grad"]),
        ("jit", ["jit"]),
        (" jacfwd ( jacrev ) ", ["jacfwd", "jacrev"]),
    ],
)
def test_parse_stack(text: str, names: list[str]) -> None:
    stack = dispatch.parse_stack(text)
    assert [t.name for t in stack] == names
    assert dispatch.stack_from_json(dispatch.stack_to_json(stack)) == stack


@pytest.mark.parametrize("text", ["", "vmap(grad", "vmap)grad(", "warp", "jit,,grad", "grad(x)y", "3"])
def test_bad_stacks_are_parse_errors(text: str) -> None:
    with pytest.raises(DispatchError) as exc:
        dispatch.parse_stack(text)
    assert exc.value.code == "FJ-DISPATCH-PARSE"


@pytest.mark.parametrize(
    "obj",
    [
        {"transform": "jit"},
        [{"transform": "grad", "params": {"argnum": 0}}],
        [{"transform": "vmap", "params": {"in_axes": "x"}}],
        [{"transform": "grad", "params": {"argnums": True}}],
        [{"params": {}}],
        [{"transform": "jit", "extra": 1}],
    ],
)
def test_bad_json_stacks(obj: object) -> None:
    with pytest.raises(DispatchError) as exc:
        dispatch.stack_from_json(obj)
    assert exc.value.code == "FJ-DISPATCH-PARSE"


def _jax_run(f, stack, args, n_in):  # type: ignore[no-untyped-def]
    return dispatch.apply_stack(jax, stack, f, n_in)(*args)


@pytest.mark.parametrize(
    ("program", "jax_fn", "stack", "args"),
    [
        (scalar_program, JAX_SCALAR, "jit", [np.float64(0.3)]),
        (scalar_program, JAX_SCALAR, "grad", [np.float64(0.3)]),
        (scalar_program, JAX_SCALAR, "jit(grad)", [np.float64(0.3)]),
        (scalar_program, JAX_SCALAR, "grad(jit)", [np.float64(0.3)]),
        (scalar_program, JAX_SCALAR, "grad(grad)", [np.float64(0.3)]),
        (scalar_program, JAX_SCALAR, "vmap(grad)", [np.linspace(-1, 1, 5)]),
        (scalar_program, JAX_SCALAR, "jvp", [np.float64(0.3), np.float64(1.5)]),
        (scalar_program, JAX_SCALAR, "vjp", [np.float64(0.3), np.float64(2.0)]),
        (scalar_program, JAX_SCALAR, "jvp(grad)", [np.float64(0.3), np.float64(1.0)]),
        (scalar_program, JAX_SCALAR, "vmap(jvp)", [np.linspace(0, 1, 4), np.ones(4)]),
        (vector_program, JAX_VECTOR, "vmap(grad)", [np.arange(12.0).reshape(4, 3) / 10]),
        (vector_program, JAX_VECTOR, "jit(vmap(grad))", [np.arange(12.0).reshape(4, 3) / 10]),
        (vector_program, JAX_VECTOR, "hessian", [np.array([0.1, -0.4, 0.7])]),
        (vector_program, JAX_VECTOR, "jacfwd(grad)", [np.array([0.1, -0.4, 0.7])]),
        (vector_program, JAX_VECTOR, "jacrev(grad)", [np.array([0.1, -0.4, 0.7])]),
        (vector_program, JAX_VECTOR, "value_and_grad", [np.array([0.1, -0.4, 0.7])]),
    ],
)
def test_dispatch_matches_jax(program, jax_fn, stack, args) -> None:  # type: ignore[no-untyped-def]
    closed = program()
    result = dispatch.run(closed, stack, args)
    expected = _jax_run(jax_fn, dispatch.parse_stack(stack), args, len(closed.jaxpr.invars))
    assert len(result.outputs) == len(expected)
    for got, want in zip(result.outputs, expected, strict=True):
        want = np.asarray(want)
        assert np.shape(got) == want.shape and np.asarray(got).dtype == want.dtype
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-14)
    assert len(result.proof.evidence) == len(dispatch.parse_stack(stack))


def test_order_matters_vmap_grad_works_grad_vmap_raises_as_jax_does() -> None:
    closed = scalar_program()
    xs = np.linspace(-1, 1, 4)
    ok = dispatch.run(closed, "vmap(grad)", [xs])
    np.testing.assert_allclose(ok.outputs[0], np.cos(xs) * xs + np.sin(xs))
    with pytest.raises(TypeError, match="scalar"):
        _jax_run(JAX_SCALAR, dispatch.parse_stack("grad(vmap)"), [xs], 1)
    with pytest.raises(DispatchError) as exc:
        dispatch.run(closed, "grad(vmap)", [xs])
    assert exc.value.code == "FJ-DISPATCH-PROOF"
    assert "FJ-GRAD-NONSCALAR" in exc.value.message
    assert exc.value.where == "stack[0]"


def test_order_both_ways_same_when_commuting() -> None:
    closed = vector_program()
    xs = np.arange(12.0).reshape(4, 3) / 10
    a = dispatch.run(closed, "jit(vmap)", [xs]).outputs[0]
    b = dispatch.run(closed, "vmap(jit)", [xs]).outputs[0]
    np.testing.assert_array_equal(a, b)


def test_proof_evidence_is_bound_and_checked() -> None:
    closed = vector_program()
    stack = dispatch.parse_stack("vmap(grad)")
    proof = dispatch.build_proof(closed, stack, [np.ones((2, 3))])
    assert [e.transform for e in proof.evidence] == ["vmap", "grad"]
    assert [e.index for e in proof.evidence] == [0, 1]
    assert proof.evidence[1].in_signature == "(f64[3]) -> (f64[])"
    assert proof.evidence[0].out_signature == "(f64[2,3]) -> (f64[2,3])"
    assert proof.signature == "vmap(grad(f))" and proof.stack_hash == dispatch.stack_hash(stack)
    # tampering with the proof or presenting it for another stack fails the checks
    swapped = dispatch.CompositionProof(
        proof.signature, proof.stack, proof.stack_hash, proof.evidence[::-1], proof.program_signature
    )
    for bad, other in [(swapped, stack), (proof, dispatch.parse_stack("grad(vmap)")), (proof, stack[:1])]:
        with pytest.raises(DispatchError) as exc:
            dispatch.check_proof(bad, other)
        assert exc.value.code == "FJ-DISPATCH-PROOF"
    dup = dispatch.CompositionProof(
        proof.signature,
        proof.stack,
        proof.stack_hash,
        [proof.evidence[0], dispatch.Evidence(1, "grad", {}, "", "", proof.evidence[0].evidence_id)],
        proof.program_signature,
    )
    with pytest.raises(DispatchError, match="duplicate"):
        dispatch.check_proof(dup, stack)


def test_bad_arity_fails_the_proof_at_the_program() -> None:
    with pytest.raises(DispatchError) as exc:
        dispatch.run(scalar_program(), "jit", [np.float64(1.0), np.float64(2.0)])
    assert exc.value.code == "FJ-DISPATCH-PROOF" and "FJ-IR-ARITY" in exc.value.message


def test_dispatch_decisions_are_in_the_ledger() -> None:
    with ledger.using(ledger.Ledger()) as led:
        dispatch.run(scalar_program(), "grad", [np.float64(0.5)])
        with pytest.raises(DispatchError):
            dispatch.run(scalar_program(), "grad(vmap)", [np.ones(2)])
    kinds = [(r.kind, r.action) for r in led.records if r.kind == "dispatch"]
    assert kinds == [("dispatch", "run"), ("dispatch", "refuse")]
    assert led.verify() == len(led.records)


def test_stack_depth_limit() -> None:
    with pytest.raises(DispatchError) as exc:
        dispatch.build_proof(
            scalar_program(), dispatch.parse_stack(",".join(["jit"] * 17)), [np.float64(1.0)]
        )
    assert exc.value.code == "FJ-DISPATCH-PROOF"


def test_the_cache_key_finds_a_staged_program() -> None:
    """The first run of (program, stack, argument signature) proves and stages it; the next only runs it."""
    dispatch.clear_program_cache()
    closed = scalar_program()
    with ledger.using(ledger.Ledger()) as led:
        first = dispatch.run(closed, "jit(grad)", [np.float64(0.5)])
        again = dispatch.run(closed, "jit(grad)", [np.float64(1.5)])
        other_stack = dispatch.run(closed, "grad", [np.float64(0.5)])
        other_dtype = dispatch.run(closed, "jit(grad)", [0.5])  # weakly typed
    assert not first.cache_hit and again.cache_hit and not other_stack.cache_hit and not other_dtype.cache_hit
    assert again.proof == first.proof and again.cache_key == first.cache_key
    assert other_dtype.cache_key == first.cache_key  # same key, another signature (weak): another program
    direct = fj.jit(fj.grad(lambda x: fj.eval_jaxpr(closed, x)[0]))(np.float64(1.5))
    np.testing.assert_array_equal(again.outputs[0], direct)
    hits = [r.evidence["cache_hit"] for r in led.records if r.kind == "dispatch"]
    assert hits == [False, True, False, False]


def test_the_program_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    dispatch.clear_program_cache()
    monkeypatch.setattr(dispatch, "PROGRAM_CACHE_SIZE", 2)
    closed = scalar_program()
    for stack in ("jit", "grad", "jit(grad)"):
        dispatch.run(closed, stack, [np.float64(0.5)])
    assert len(dispatch._program_cache) == 2
    assert not dispatch.run(closed, "jit", [np.float64(0.5)]).cache_hit  # the oldest was dropped
    assert dispatch.run(closed, "jit(grad)", [np.float64(0.5)]).cache_hit
