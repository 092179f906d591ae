"""Pytrees and the tracer surface: Python protocols, concreteness and leaked tracers, as JAX."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import frankenjax_ref as fj
import frankenjax_ref.numpy as fnp
from frankenjax_ref.errors import TransformError
from frankenjax_ref.tree import (
    broadcast_prefix,
    flatten_as,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
)

TREES: list[Any] = [
    1.0,
    None,
    (1, 2),
    (1,),
    [1, (2, None), {"b": 3, "a": [4, 5]}],
    {"z": None, "y": (6,)},
    (),
]


@pytest.mark.parametrize("tree", TREES, ids=[repr(t) for t in TREES])
def test_flatten_matches_jax_and_round_trips(tree: Any) -> None:
    leaves, treedef = tree_flatten(tree)
    assert leaves == jax.tree_util.tree_leaves(tree)
    assert treedef.num_leaves == len(leaves)
    assert tree_unflatten(treedef, leaves) == tree
    assert tree_leaves(tree) == leaves
    assert str(treedef)  # printable
    assert tree_map(lambda x: x * 2, tree) == jax.tree_util.tree_map(lambda x: x * 2, tree)


def test_structure_errors_are_typed() -> None:
    _, treedef = tree_flatten((1, [2, 3]))
    with pytest.raises(TransformError) as exc:
        tree_unflatten(treedef, [1, 2, 3, 4])
    assert exc.value.code == "FJ-TRANSFORM-TREE"
    with pytest.raises(TransformError):
        flatten_as(treedef, (1, 2, 3))
    with pytest.raises(TransformError):
        tree_map(lambda a, b: a + b, (1, 2), [1, 2])


def test_broadcast_prefix() -> None:
    _, treedef = tree_flatten(((1, 2), {"a": 3, "b": None}, 4))
    assert broadcast_prefix(0, treedef, "in_axes") == [0, 0, 0, 0]
    assert broadcast_prefix((None, {"a": 1, "b": 0}, 0), treedef, "in_axes") == [None, None, 1, 0]
    for bad in [(0, 0), (0, [0], 0), ((0, 0), {"a": 0}, 0), ((0, 0), 0, "x")]:
        with pytest.raises(TransformError) as exc:
            broadcast_prefix(bad, treedef, "in_axes")
        assert exc.value.code == "FJ-VMAP-AXES"


def test_python_control_flow_on_a_jvp_tracer_is_concrete_as_in_jax() -> None:
    def f(x: Any) -> Any:
        return x * 2 if x > 0 else -x  # bool() of a tracer

    assert fj.grad(f)(3.0) == jax.grad(lambda x: x * 2 if x > 0 else -x)(3.0)
    assert fj.grad(f)(-3.0) == -1.0
    # int() reads the primal, so that factor carries no tangent (as in JAX)
    got = fj.jvp(lambda x: x * int(x), (2.5,), (1.0,))
    want = jax.jvp(lambda x: x * int(x), (2.5,), (1.0,))
    assert (float(got[0]), float(got[1])) == (float(want[0]), float(want[1]))


def test_jvp_checks_tangents_as_jax() -> None:
    """Structure, shape and dtype of tangents are checked separately, each with its own code."""
    cases = [
        ((np.ones(3),), (np.ones(3), np.ones(3)), TypeError, "FJ-TRANSFORM-TREE"),
        ((np.ones(3),), (np.ones(2),), ValueError, "FJ-TRANSFORM-SHAPE"),
        ((np.ones(3),), (np.ones(3, np.float32),), TypeError, "FJ-TRANSFORM-TYPE"),
        ((np.arange(3),), (np.ones(3),), TypeError, "FJ-TRANSFORM-TYPE"),  # an int primal needs float0
    ]
    for primals, tangents, jax_error, code in cases:
        with pytest.raises(jax_error):
            jax.jvp(lambda x: x * 2, primals, tangents)
        with pytest.raises(TransformError) as exc:
            fj.jvp(lambda x: x * 2, primals, tangents)
        assert exc.value.code == code


@pytest.mark.parametrize("convert", [float, complex], ids=["float", "complex"])
def test_float_and_complex_of_a_jvp_tracer_raise_as_in_jax(convert: Any) -> None:
    """Unlike bool() and int(), JAX refuses float() and complex() even with a concrete primal."""
    with pytest.raises(jax.errors.ConcretizationTypeError):
        jax.jvp(lambda x: convert(x) * x, (2.5,), (1.0,))
    runs = [lambda f: fj.jvp(f, (2.5,), (1.0,)), lambda f: fj.grad(f)(2.5), lambda f: fj.jit(f)(2.5)]
    for run in runs:
        with pytest.raises(TransformError) as exc:
            run(lambda x: abs(convert(x)) * x)
        assert exc.value.code == "FJ-TRANSFORM-CONCRETE"


@pytest.mark.parametrize("transform", [fj.jit, fj.vmap, fj.make_jaxpr])
def test_python_control_flow_on_an_abstract_tracer_is_a_typed_error(transform: Any) -> None:
    with pytest.raises(TransformError) as exc:
        transform(lambda x: x if x > 0 else -x)(np.ones(3) if transform is fj.vmap else 1.0)
    assert exc.value.code == "FJ-TRANSFORM-CONCRETE"
    with pytest.raises(jax.errors.TracerBoolConversionError):
        jax.jit(lambda x: x if x > 0 else -x)(1.0)


def test_index_and_len_of_tracers() -> None:
    assert fj.jit(lambda x: x[len(x) - 1])(np.arange(4.0)) == 3.0
    with pytest.raises(TypeError):
        fj.jit(lambda x: len(x))(1.0)
    with pytest.raises(TransformError) as exc:
        fj.jit(lambda x, i: x[int(i)])(np.arange(3.0), 1)
    assert exc.value.code == "FJ-TRANSFORM-CONCRETE"


def test_leaked_tracer_is_a_typed_error() -> None:
    leaked: list[Any] = []

    def f(x: Any) -> Any:
        leaked.append(x)
        return x * 2

    fj.grad(f)(1.0)
    with pytest.raises(TransformError) as exc:
        fj.grad(lambda y: leaked[0] * y)(2.0)
    assert exc.value.code == "FJ-TRANSFORM-LEAKED"


def test_tracer_repr_and_array_surface() -> None:
    seen: dict[str, Any] = {}

    def f(x: Any) -> Any:
        seen.update(shape=x.shape, dtype=x.dtype, ndim=x.ndim, size=x.size, repr=repr(x))
        return +x

    fj.jit(f)(np.ones((2, 3), np.float32))
    assert seen["shape"] == (2, 3) and seen["dtype"] == np.float32 and seen["ndim"] == 2 and seen["size"] == 6
    assert "f32[2,3]" in seen["repr"]


def test_pytree_arguments_and_results_under_every_transform() -> None:
    params = {"w": np.array([1.0, -2.0]), "b": 0.5}

    def loss(p: Any, x: Any) -> Any:
        return fnp.sum(fnp.tanh(p["w"] * x + p["b"]))

    def jloss(p: Any, x: Any) -> Any:
        return jnp.sum(jnp.tanh(p["w"] * x + p["b"]))

    x = np.array([0.3, 0.7])
    got, want = fj.grad(loss)(params, x), jax.grad(jloss)(params, x)
    assert sorted(got) == ["b", "w"]
    np.testing.assert_allclose(got["w"], want["w"])
    np.testing.assert_allclose(got["b"], want["b"])
    out = fj.jit(lambda p: {"sum": p["w"].sum(), "pair": (p["b"], [p["w"]])})(params)
    assert sorted(out) == ["pair", "sum"] and isinstance(out["pair"][1], list)
