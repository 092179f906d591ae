"""Compositionality, Autodidax-style: the same programs through every transform, in JAX and in the reference.

Each program is written once, against a namespace (``ns.np``, ``ns.lax`` and
the transforms), and runs unchanged with ``jax.numpy``/``jax.lax`` and with
``frankenjax_ref.numpy``/``frankenjax_ref.lax``. Values and derivatives through
every composition, Hessians, every stack of {jit, grad, vmap, jvp, vjp} up to
depth 3 (including the ones JAX rejects, where the reference must raise the
typed error with the same meaning), pytrees, ``has_aux``, ``argnums``, vmap
axes, integer inputs with ``float0`` tangents, and differentiation through a
program evaluated from its jaxpr -- each compared with JAX computed live.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax_helpers import assert_close, tolerance

import frankenjax_ref as fj
import frankenjax_ref.lax as flax
import frankenjax_ref.numpy as fnp
from frankenjax_ref.core import dtypes
from frankenjax_ref.errors import FJError
from frankenjax_ref.tree import tree_flatten

# --- the two namespaces ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NS:
    name: str
    np: ModuleType
    lax: ModuleType
    jit: Callable[..., Any]
    grad: Callable[..., Any]
    value_and_grad: Callable[..., Any]
    vmap: Callable[..., Any]
    jvp: Callable[..., Any]
    vjp: Callable[..., Any]
    linearize: Callable[..., Any]
    jacfwd: Callable[..., Any]
    jacrev: Callable[..., Any]
    hessian: Callable[..., Any]


JAX = NS(
    "jax",
    jnp,
    jax.lax,
    jax.jit,
    jax.grad,
    jax.value_and_grad,
    jax.vmap,
    jax.jvp,
    jax.vjp,
    jax.linearize,
    jax.jacfwd,
    jax.jacrev,
    jax.hessian,
)
REF = NS(
    "ref",
    fnp,
    flax,
    fj.jit,
    fj.grad,
    fj.value_and_grad,
    fj.vmap,
    fj.jvp,
    fj.vjp,
    fj.linearize,
    fj.jacfwd,
    fj.jacrev,
    fj.hessian,
)


def assert_tree_close(got: Any, expected: Any, what: str) -> None:
    """Same pytree structure, leaves equal per the "rules" tolerance (exact for ints, bools, float0)."""
    got_leaves, got_tree = tree_flatten(got)
    exp_leaves, exp_tree = jax.tree_util.tree_flatten(expected)
    assert jax.tree_util.tree_structure(got) == exp_tree, f"{what}: structure {got_tree} != JAX's {exp_tree}"
    for i, (g, e) in enumerate(zip(got_leaves, exp_leaves, strict=True)):
        e = np.asarray(e)
        tier = "rules" if dtypes.is_inexact(dtypes.canonicalize(e.dtype)) else "exact"
        assert_close(np.asarray(g), e, tolerance(tier, e.dtype), what=f"{what} leaf {i}")


def same_error(jax_call: Callable[[], Any], ref_call: Callable[[], Any], code: str, what: str) -> None:
    """JAX raises, and the reference raises the typed error with the same meaning."""
    with pytest.raises((TypeError, ValueError)):
        jax_call()
    with pytest.raises(FJError) as info:
        ref_call()
    assert info.value.code == code, f"{what}: expected {code}, got {info.value}"


def both(fn: Callable[..., Any], what: str, *args: Any, jit: bool = True) -> None:
    """``fn(ns, *args)`` computed by the reference and by JAX must agree.

    JAX runs the whole computation under one ``jax.jit`` with ``args`` as arguments (not constants,
    which XLA would fold with its evaluator): dispatching it op by op compiles every primitive on its
    own, up to ten times slower. ``jit=False`` runs JAX eagerly (cheaper for small scalar programs,
    whose compiled primitives every test shares).
    """
    expected = jax.jit(lambda *a: fn(JAX, *a))(*args) if jit else fn(JAX, *args)
    assert_tree_close(fn(REF, *args), expected, what)


# --- the programs, written once ----------------------------------------------------------------------------


def polynomial(ns: NS, x: Any) -> Any:
    return 3.0 * x**4 - 2.0 * x**3 + x - 5.0


def sin_cos(ns: NS, x: Any) -> Any:
    return ns.np.sin(x) * ns.np.cos(x)


def mlp(ns: NS, params: dict[str, Any], x: Any) -> Any:
    """A two-layer tanh network's squared output (scalar), weights as arguments."""
    hidden = ns.np.tanh(ns.np.matmul(x, params["w1"]) + params["b1"])
    out = ns.np.matmul(hidden, params["w2"]) + params["b2"]
    return 0.5 * ns.np.sum(out * out)


def softmax_cross_entropy(ns: NS, logits: Any, labels: Any) -> Any:
    shifted = logits - ns.lax.stop_gradient(ns.np.max(logits))
    log_softmax = shifted - ns.np.log(ns.np.sum(ns.np.exp(shifted)))
    return -ns.np.sum(labels * log_softmax)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _mlp_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "w1": rng.normal(size=(3, 4)) * 0.5,
        "b1": rng.normal(size=(4,)) * 0.1,
        "w2": rng.normal(size=(4, 2)) * 0.5,
        "b2": rng.normal(size=(2,)) * 0.1,
    }


@dataclass(frozen=True)
class Program:
    """``fn(ns, first, *rest)``: derivatives are taken with respect to ``first``."""

    fn: Callable[..., Any]
    first: Callable[[np.random.Generator], Any]
    rest: Callable[[np.random.Generator], tuple[Any, ...]] = lambda rng: ()
    scalar_input: bool = False


PROGRAMS = {
    "polynomial": Program(polynomial, lambda rng: rng.uniform(-1.5, 1.5), scalar_input=True),
    "sin_cos": Program(sin_cos, lambda rng: rng.uniform(-2, 2), scalar_input=True),
    "mlp": Program(mlp, _mlp_params, lambda rng: (rng.normal(size=(5, 3)),)),
    "softmax_xent": Program(
        softmax_cross_entropy, lambda rng: rng.normal(size=(6,)), lambda rng: (np.eye(6)[2] * 0.7 + 0.05,)
    ),
}


def _ones_like(ns: NS, tree: Any) -> Any:
    return jax.tree_util.tree_map(lambda x: ns.np.ones_like(x) if ns is JAX else fnp.ones_like(x), tree)


def _batch(tree: Any, n: int, rng: np.random.Generator) -> Any:
    """``n`` perturbed copies of ``tree`` stacked on a new leading axis."""
    return jax.tree_util.tree_map(
        lambda x: np.stack([np.asarray(x) + 0.1 * rng.normal(size=np.shape(x)) for _ in range(n)]), tree
    )


#: composition name -> (ns, f, first, rest) -> value, where f(first, *rest) is the program
COMPOSITIONS: dict[str, Callable[[NS, Callable[..., Any], Any, tuple[Any, ...]], Any]] = {
    "value": lambda ns, f, x, rest: f(x, *rest),
    "jit": lambda ns, f, x, rest: ns.jit(f)(x, *rest),
    "grad": lambda ns, f, x, rest: ns.grad(f)(x, *rest),
    "value_and_grad": lambda ns, f, x, rest: ns.value_and_grad(f)(x, *rest),
    "jit(grad)": lambda ns, f, x, rest: ns.jit(ns.grad(f))(x, *rest),
    "grad(jit)": lambda ns, f, x, rest: ns.grad(ns.jit(f))(x, *rest),
    "jvp": lambda ns, f, x, rest: ns.jvp(lambda v: f(v, *rest), (x,), (_ones_like(ns, x),)),
    "vjp": lambda ns, f, x, rest: _vjp_apply(ns, lambda v: f(v, *rest), x),
    "linearize": lambda ns, f, x, rest: _linearize_apply(ns, lambda v: f(v, *rest), x),
    "vmap(grad)": lambda ns, f, x, rest: ns.vmap(ns.grad(f), in_axes=(0, *(None for _ in rest)))(x, *rest),
    "jit(vmap(grad))": lambda ns, f, x, rest: ns.jit(ns.vmap(ns.grad(f), in_axes=(0, *(None for _ in rest))))(
        x, *rest
    ),
    "jacfwd(jacrev)": lambda ns, f, x, rest: ns.jacfwd(ns.jacrev(f))(x, *rest),
    "jacrev(jacfwd)": lambda ns, f, x, rest: ns.jacrev(ns.jacfwd(f))(x, *rest),
    "jacfwd(jacfwd)": lambda ns, f, x, rest: ns.jacfwd(ns.jacfwd(f))(x, *rest),
    "hessian": lambda ns, f, x, rest: ns.hessian(f)(x, *rest),
    "jit(hessian)": lambda ns, f, x, rest: ns.jit(ns.hessian(f))(x, *rest),
    "vmap(hessian)": lambda ns, f, x, rest: ns.vmap(ns.hessian(f), in_axes=(0, *(None for _ in rest)))(
        x, *rest
    ),
}
#: compositions whose first input is a batch (of this many perturbed copies)
BATCHED = {"vmap(grad)": 3, "jit(vmap(grad))": 3, "vmap(hessian)": 2}
#: compositions that need a scalar input (grad of grad)
SCALAR_COMPOSITIONS: dict[str, Callable[[NS, Callable[..., Any], Any, tuple[Any, ...]], Any]] = {
    "grad(grad)": lambda ns, f, x, rest: ns.grad(ns.grad(f))(x, *rest),
    "grad(grad(grad))": lambda ns, f, x, rest: ns.grad(ns.grad(ns.grad(f)))(x, *rest),
    "jit(grad(grad))": lambda ns, f, x, rest: ns.jit(ns.grad(ns.grad(f)))(x, *rest),
    "grad(jit(grad))": lambda ns, f, x, rest: ns.grad(ns.jit(ns.grad(f)))(x, *rest),
}


def _vjp_apply(ns: NS, f: Callable[..., Any], x: Any) -> Any:
    out, pullback = ns.vjp(f, x)
    return out, pullback(_ones_like(ns, out))


def _linearize_apply(ns: NS, f: Callable[..., Any], x: Any) -> Any:
    out, f_jvp = ns.linearize(f, x)
    return out, f_jvp(_ones_like(ns, x))


def _program_compositions() -> list[Any]:
    params = []
    for pname, program in PROGRAMS.items():
        comps = dict(COMPOSITIONS)
        if program.scalar_input:
            comps.update(SCALAR_COMPOSITIONS)
        params += [pytest.param(pname, cname, id=f"{pname}-{cname}") for cname in comps]
    return params


@pytest.mark.parametrize(("program_name", "composition"), _program_compositions())
def test_program_through_composition(program_name: str, composition: str) -> None:
    program = PROGRAMS[program_name]
    rng = _rng(1)
    x, rest = program.first(rng), program.rest(rng)
    if composition in BATCHED:
        x = _batch(x, BATCHED[composition], rng)
    compose = COMPOSITIONS.get(composition) or SCALAR_COMPOSITIONS[composition]

    def run(ns: NS, x: Any, rest: tuple[Any, ...]) -> Any:
        return compose(ns, lambda *a: program.fn(ns, *a), x, rest)

    both(run, f"{program_name} {composition}", x, rest)


# --- every stack of {jit, grad, vmap, jvp, vjp} up to depth 3 ---------------------------------------------


def base(ns: NS, x: Any) -> Any:
    """A scalar function of a scalar: every transform of it is again one (vmap adds a batch axis)."""
    return ns.np.sin(x) * x**3 + ns.np.cos(2.0 * x)


def _transform(ns: NS, name: str, f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    if name == "jit":
        return ns.jit(f)
    if name == "grad":
        return ns.grad(f)
    if name == "vmap":
        return ns.vmap(f)
    if name == "jvp":
        return lambda x: ns.jvp(f, (x,), (_ones_like(ns, x),))[1]
    assert name == "vjp"
    return lambda x: _vjp_apply(ns, f, x)[1][0]


TRANSFORMS = ("jit", "grad", "vmap", "jvp", "vjp")
STACKS = [s for depth in (1, 2, 3) for s in itertools.product(TRANSFORMS, repeat=depth)]
#: sizes of the vmapped axes, outermost vmap first (distinct, so a swapped axis cannot hide)
VMAP_SIZES = (3, 2, 4)


def stacked(ns: NS, stack: tuple[str, ...]) -> Callable[[Any], Any]:
    """``stack[0](stack[1](...(base)))``."""
    f: Callable[[Any], Any] = lambda x: base(ns, x)  # noqa: E731
    for name in reversed(stack):
        f = _transform(ns, name, f)
    return f


def _jax_rejects_grad_of_nonscalar(stack: tuple[str, ...]) -> bool:
    """grad of a function whose output is batched by an inner vmap: JAX's scalar-output error."""
    return any(t == "grad" and "vmap" in stack[i + 1 :] for i, t in enumerate(stack))


@pytest.mark.parametrize("stack", STACKS, ids=lambda s: "(".join(s) + ")" * (len(s) - 1))
def test_transform_stack(stack: tuple[str, ...]) -> None:
    n_vmaps = stack.count("vmap")
    x = _rng(2).uniform(-1.5, 1.5, size=VMAP_SIZES[:n_vmaps])
    if _jax_rejects_grad_of_nonscalar(stack):
        same_error(
            lambda: stacked(JAX, stack)(x), lambda: stacked(REF, stack)(x), "FJ-GRAD-NONSCALAR", str(stack)
        )
        return
    both(lambda ns, x: stacked(ns, stack)(x), f"stack {stack}", x, jit=False)


@pytest.mark.parametrize("stack", STACKS, ids=lambda s: "(".join(s) + ")" * (len(s) - 1))
def test_transform_stack_types(stack: tuple[str, ...]) -> None:
    """The staged program's output types (dtype, shape and weak type) are JAX's: float32 arrays stay
    float32, and a Python float stays a weakly typed float64 through every transform."""
    if _jax_rejects_grad_of_nonscalar(stack):
        return  # the error is compared in test_transform_stack
    n_vmaps = stack.count("vmap")
    inputs = [np.zeros(VMAP_SIZES[:n_vmaps], np.float32) + np.float32(0.5)]
    if not n_vmaps:
        inputs.append(0.7)
    for x in inputs:
        (expected,) = [v.aval for v in jax.make_jaxpr(stacked(JAX, stack))(x).jaxpr.outvars]
        (got,) = fj.make_jaxpr(stacked(REF, stack))(x).out_avals
        assert (got.shape, got.dtype, got.weak_type) == (
            expected.shape,
            expected.dtype,
            expected.weak_type,
        ), f"{stack} on {type(x).__name__}: reference {got}, JAX {expected}"


def test_every_stack_is_generated() -> None:
    assert len(STACKS) == 5 + 25 + 125
    rejected = [s for s in STACKS if _jax_rejects_grad_of_nonscalar(s)]
    assert rejected and len(rejected) < len(STACKS)  # both outcomes are exercised


# --- pytrees, has_aux, argnums ---------------------------------------------------------------------


def tree_fn(ns: NS, params: dict[str, Any], scale: Any) -> Any:
    """Pytrees in and out: a dict holding a tuple and a list, returning a dict of a scalar and a tuple."""
    a, b = params["pair"]
    (c,) = params["list"]
    total = ns.np.sum(a * b) + ns.np.sum(ns.np.sin(c)) * scale
    return {"total": total, "parts": (a * scale, ns.np.cos(c))}


def _tree_args() -> tuple[dict[str, Any], float]:
    rng = _rng(3)
    return {"pair": (rng.normal(size=(3,)), rng.normal(size=(3,))), "list": [rng.normal(size=(2,))]}, 1.5


def test_pytrees_through_jvp_and_vjp() -> None:
    params, scale = _tree_args()
    both(
        lambda ns, p: ns.jvp(lambda q: tree_fn(ns, q, scale), (p,), (_ones_like(ns, p),)),
        "jvp pytree",
        params,
    )
    both(lambda ns, p: _vjp_apply(ns, lambda q: tree_fn(ns, q, scale), p), "vjp pytree", params)
    both(lambda ns, p, s: ns.jit(lambda q, t: tree_fn(ns, q, t))(p, s), "jit pytree", params, scale)


def test_grad_of_pytree_input() -> None:
    params, scale = _tree_args()
    for name, pick in (("grad", "total"), ("jacrev", "parts"), ("jacfwd", "parts")):
        both(
            lambda ns, p, name=name, pick=pick: getattr(ns, name)(lambda q: tree_fn(ns, q, scale)[pick])(p),
            f"{name} of a dict/tuple/list input",
            params,
        )


def test_has_aux() -> None:
    params, scale = _tree_args()

    def loss_with_aux(ns: NS) -> Callable[..., Any]:
        def f(p: Any) -> Any:
            out = tree_fn(ns, p, scale)
            return out["total"], {"parts": out["parts"], "n": 3}

        return f

    both(lambda ns, p: ns.grad(loss_with_aux(ns), has_aux=True)(p), "grad has_aux", params)
    both(
        lambda ns, p: ns.value_and_grad(loss_with_aux(ns), has_aux=True)(p), "value_and_grad has_aux", params
    )
    both(
        lambda ns, p: ns.jvp(loss_with_aux(ns), (p,), (_ones_like(ns, p),), has_aux=True),
        "jvp has_aux",
        params,
    )

    def vjp_aux(ns: NS, p: Any) -> Any:
        out, pullback, aux = ns.vjp(loss_with_aux(ns), p, has_aux=True)
        return out, pullback(_ones_like(ns, out)), aux

    both(vjp_aux, "vjp has_aux", params)
    same_error(
        lambda: jax.grad(lambda x: x, has_aux=True)(1.0),
        lambda: fj.grad(lambda x: x, has_aux=True)(1.0),
        "FJ-TRANSFORM-HAS-AUX",
        "has_aux without a pair",
    )


def three_args(ns: NS, x: Any, y: Any, z: Any) -> Any:
    return ns.np.sum(ns.np.sin(x) * y) + ns.np.sum(z * z * x)


@pytest.mark.parametrize("argnums", [0, 2, (0, 2), (1,), (2, 0, 1), -1, (0, -2)], ids=str)
def test_argnums(argnums: int | tuple[int, ...]) -> None:
    rng = _rng(4)
    args = (rng.normal(size=(3,)), rng.normal(size=(3,)), rng.normal(size=(3,)))

    def run(ns: NS, *a: Any) -> Any:
        f = lambda *b: three_args(ns, *b)  # noqa: E731
        return tuple(getattr(ns, t)(f, argnums=argnums)(*a) for t in ("grad", "jacrev", "jacfwd"))

    both(run, f"grad, jacrev, jacfwd with argnums={argnums}", *args)


def test_argnums_out_of_range() -> None:
    same_error(
        lambda: jax.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0),
        lambda: fj.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0),
        "FJ-TRANSFORM-ARGNUMS",
        "argnums=2 with two arguments",
    )


# --- vmap axes -------------------------------------------------------------------------------------


def pair_fn(ns: NS, a: Any, b: Any) -> Any:
    return ns.np.sin(a) * b + a


VMAP_CASES: dict[str, tuple[dict[str, Any], Callable[[np.random.Generator], tuple[Any, ...]]]] = {
    "in_axes=(0, None)": ({"in_axes": (0, None)}, lambda r: (r.normal(size=(4, 3)), r.normal(size=(3,)))),
    "in_axes=(None, 1)": ({"in_axes": (None, 1)}, lambda r: (r.normal(size=(3,)), r.normal(size=(3, 4)))),
    "in_axes=-1": ({"in_axes": -1}, lambda r: (r.normal(size=(3, 4)), r.normal(size=(3, 4)))),
    "in_axes=(1, -1)": ({"in_axes": (1, -1)}, lambda r: (r.normal(size=(3, 4, 2)), r.normal(size=(3, 2, 4)))),
    "in_axes=[0, 0]": ({"in_axes": [0, 0]}, lambda r: (r.normal(size=(4, 3)), r.normal(size=(4, 3)))),
    "out_axes=1": ({"out_axes": 1}, lambda r: (r.normal(size=(4, 3)), r.normal(size=(4, 3)))),
    "out_axes=-1": ({"out_axes": -1}, lambda r: (r.normal(size=(4, 3, 2)), r.normal(size=(4, 3, 2)))),
    "in_axes=(None, 0), out_axes=1": (
        {"in_axes": (None, 0), "out_axes": 1},
        lambda r: (r.normal(size=(3, 2)), r.normal(size=(4, 3, 2))),
    ),
}


@pytest.mark.parametrize("name", list(VMAP_CASES))
def test_vmap_axes(name: str) -> None:
    kwargs, make = VMAP_CASES[name]
    args = make(_rng(5))
    both(lambda ns, *a: ns.vmap(lambda x, y: pair_fn(ns, x, y), **kwargs)(*a), f"vmap {name}", *args)


def test_vmap_pytree_axes() -> None:
    rng = _rng(6)
    tree = {"a": rng.normal(size=(4, 3)), "b": rng.normal(size=(3,))}
    scale = rng.normal(size=(2, 4))

    def f(ns: NS, tree: Any, scale: Any) -> Any:
        def body(t: dict[str, Any], s: Any) -> Any:
            return {"x": pair_fn(ns, t["a"], t["b"]), "y": (ns.np.sum(s), t["b"])}

        return ns.vmap(body, in_axes=({"a": 0, "b": None}, 1), out_axes={"x": 1, "y": (0, None)})(tree, scale)

    both(f, "vmap with pytree in_axes and out_axes", tree, scale)


def test_nested_vmaps() -> None:
    rng = _rng(9)
    a, b, m = rng.normal(size=(3,)), rng.normal(size=(4,)), rng.normal(size=(2, 3, 4))

    def run(ns: NS, a: Any, b: Any, m: Any) -> Any:
        outer = ns.vmap(ns.vmap(lambda x, y: pair_fn(ns, x, y), in_axes=(None, 0)), in_axes=(0, None))(a, b)
        grads = ns.vmap(ns.vmap(ns.grad(lambda x: base(ns, x))))(m[:, :, 0])
        sums = ns.vmap(ns.vmap(lambda x: ns.np.sum(x * x), in_axes=1), in_axes=2)(m)
        return outer, grads, sums

    both(run, "nested vmaps: outer product, vmap(vmap(grad)), axes 2 then 1", a, b, m)


@pytest.mark.parametrize(
    ("what", "jax_call", "ref_call", "code"),
    [
        (
            "out_axes=None for a batched output",
            lambda: jax.vmap(lambda x: x, out_axes=None)(np.ones(3)),
            lambda: fj.vmap(lambda x: x, out_axes=None)(np.ones(3)),
            "FJ-VMAP-AXES",
        ),
        (
            "in_axes shorter than the arguments",
            lambda: jax.vmap(lambda x, y: x + y, in_axes=(0,))(np.ones(3), np.ones(3)),
            lambda: fj.vmap(lambda x, y: x + y, in_axes=(0,))(np.ones(3), np.ones(3)),
            "FJ-VMAP-AXES",
        ),
        (
            "axis out of range",
            lambda: jax.vmap(lambda x: x, in_axes=1)(np.ones(3)),
            lambda: fj.vmap(lambda x: x, in_axes=1)(np.ones(3)),
            "FJ-VMAP-AXES",
        ),
        (
            "inconsistent sizes",
            lambda: jax.vmap(lambda x, y: x * y)(np.ones(3), np.ones(4)),
            lambda: fj.vmap(lambda x, y: x * y)(np.ones(3), np.ones(4)),
            "FJ-VMAP-SIZE",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_vmap_errors(what: str, jax_call: Callable[[], Any], ref_call: Callable[[], Any], code: str) -> None:
    same_error(jax_call, ref_call, code, what)


# --- integer inputs: float0 tangents and cotangents -------------------------------------------------------


def mixed(ns: NS, x: Any, n: Any) -> Any:
    return ns.np.sin(x) * n + ns.np.sum(n)


def test_integer_inputs_have_float0_tangents() -> None:
    x, n = np.array([0.3, -1.2]), np.array([2, 3], dtype=np.int32)
    t0 = np.zeros(n.shape, dtypes.float0)  # the reference's float0 is JAX's: the same NumPy dtype

    def run(ns: NS, x: Any, n: Any) -> Any:
        jvp_out = ns.jvp(lambda a, b: mixed(ns, a, b), (x, n), (np.ones(2), t0))
        vjp_out = _vjp_apply(ns, lambda a: mixed(ns, a[0], a[1]), (x, n))
        grads = ns.grad(lambda a, b: ns.np.sum(mixed(ns, a, b)), argnums=(0, 1), allow_int=True)(x, n)
        int_jvp = ns.jvp(lambda b: b * 2, (n,), (t0,))
        return jvp_out, vjp_out, grads, int_jvp

    both(run, "jvp, vjp, grad(allow_int) with int inputs: float0 tangents", x, n)


def test_grad_of_integer_input_raises() -> None:
    n = np.array([2, 3], dtype=np.int32)
    same_error(
        lambda: jax.grad(lambda b: jnp.sum(b * 2.0))(n),
        lambda: fj.grad(lambda b: fnp.sum(b * 2.0))(n),
        "FJ-GRAD-INPUT-DTYPE",
        "grad of an int input",
    )
    same_error(
        lambda: jax.grad(lambda x: (x * 2).astype(jnp.int32))(1.5),
        lambda: fj.grad(lambda x: fnp.asarray(x * 2, fnp.int32))(1.5),
        "FJ-GRAD-OUTPUT-DTYPE",
        "grad of an int output",
    )
    same_error(
        lambda: jax.grad(lambda x: x * jnp.ones(2))(1.5),
        lambda: fj.grad(lambda x: x * fnp.ones(2))(1.5),
        "FJ-GRAD-NONSCALAR",
        "grad of a vector output",
    )
    same_error(
        lambda: jax.jvp(lambda x: x, (np.ones(2),), (np.ones(2, np.float32),)),
        lambda: fj.jvp(lambda x: x, (np.ones(2),), (np.ones(2, np.float32),)),
        "FJ-TRANSFORM-TYPE",
        "jvp tangent of the wrong dtype",
    )


# --- a traced program, evaluated from its jaxpr, under transforms -----------------------------------------


def test_transforms_of_eval_jaxpr() -> None:
    x = _rng(10).uniform(-1, 1, size=(3,))
    closed = fj.make_jaxpr(lambda v: (fnp.sum(base(REF, v)), base(REF, v)))(x)

    def run(v: Any) -> Any:
        return fj.eval_jaxpr(closed, v)

    expected_grad = jax.grad(lambda v: jnp.sum(base(JAX, v)))(x)
    assert_tree_close(fj.grad(lambda v: run(v)[0])(x), expected_grad, "grad of eval_jaxpr")
    assert_tree_close(fj.jit(fj.grad(lambda v: run(v)[0]))(x), expected_grad, "jit(grad(eval_jaxpr))")
    expected_jac = jax.jacrev(lambda v: base(JAX, v))(x)
    assert_tree_close(fj.jacrev(lambda v: run(v)[1])(x), expected_jac, "jacrev of eval_jaxpr")
    xs = _rng(11).uniform(-1, 1, size=(4, 3))
    assert_tree_close(
        fj.vmap(lambda v: run(v)[1])(xs), jax.vmap(lambda v: base(JAX, v))(xs), "vmap of eval_jaxpr"
    )
    grad_closed = fj.make_jaxpr(fj.grad(lambda v: fnp.sum(base(REF, v))))(x)
    assert_tree_close(fj.eval_jaxpr(grad_closed, x)[0], expected_grad, "eval_jaxpr of a grad program")
