"""Programs, written against ``jax.numpy`` / ``jax.lax`` — through a namespace.

Every program is a builder ``build(ns, args) -> fn`` where ``ns`` carries
``jnp``, ``lax``, ``nn``, ``api`` (the transform/custom-derivative module)
and ``bind`` (apply a primitive by its canonical name and params). The
oracle passes JAX's modules (:func:`harness.oracle.namespace.jax_namespace`),
so the catalog itself never imports JAX; the analytical fallback and
``fjh import`` pass the reference's own modules (:func:`reference_namespace`)
to trace the seed programs without JAX.

Families of programs:

* ``seed.*`` — the seed programs of the Rust FrankenJAX's v1 transform
  fixtures: add2, square, square_plus_linear, sin_x, cos_x, add_one, dot3,
  reduce_sum_vec (:data:`SEED_PROGRAMS`, with closed forms in
  :mod:`harness.conformance.catalog.seeds`);
* ``lax.<primitive>`` / ``sum(lax.<primitive>)`` — one primitive, bound with
  explicit params (the latter reduced to a real scalar for ``grad``);
* ``comp.*`` — compositions: MLP layer, logsumexp, softmax cross-entropy,
  layer norm, polynomial, nested jit. Each takes a scalar ``s`` first so that
  ``grad(grad)`` and ``hessian`` are defined;
* ``custom.*`` — ``jax.custom_jvp`` / ``jax.custom_vjp`` functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

Builder = Callable[[Any, dict[str, Any]], Callable[..., Any]]


@dataclass(frozen=True)
class Program:
    name: str
    build: Builder
    doc: str
    needs_jax: bool = False


PROGRAMS: dict[str, Program] = {}


def _program(name: str, doc: str, *, needs_jax: bool = False) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        PROGRAMS[name] = Program(name, build, doc, needs_jax)
        return build

    return register


def get_program(name: str) -> Program:
    if name.startswith("lax.") or name.startswith("sum(lax."):
        return PROGRAMS["lax"]
    if name.startswith("spec.") or name.startswith("sum(spec."):
        return PROGRAMS["spec"]
    try:
        return PROGRAMS[name]
    except KeyError:
        from harness.errors import HarnessError

        raise HarnessError("FJ-CLI-USAGE", f"unknown catalog program {name!r}") from None


def build_program(ns: Any, name: str, args: dict[str, Any]) -> Callable[..., Any]:
    return get_program(name).build(ns, args)


# --- namespaces ----------------------------------------------------------------------------------


@functools.cache
def reference_namespace() -> Any:
    """The reference's own jnp/lax, for tracing seed programs without JAX."""
    import frankenjax_ref
    from frankenjax_ref import lax as flax
    from frankenjax_ref import numpy as fnp
    from frankenjax_ref.core.primitive import lookup

    def bind(name: str, params: dict[str, Any]) -> Callable[..., Any]:
        prim = lookup(name)
        return lambda *xs: prim.bind(*xs, **params)

    return SimpleNamespace(name="reference", jnp=fnp, lax=flax, nn=None, api=frankenjax_ref, bind=bind)


# --- seed programs -------------------------------------------------------------------------------

SEED_PROGRAMS = (
    "add2",
    "square",
    "square_plus_linear",
    "sin_x",
    "cos_x",
    "add_one",
    "dot3",
    "reduce_sum_vec",
)


@_program("seed.add2", "x + y")
def _add2(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda x, y: x + y


@_program("seed.square", "x * x")
def _square(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda x: x * x


@_program("seed.square_plus_linear", "x * x + 2 x")
def _square_plus_linear(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda x: x * x + 2.0 * x


@_program("seed.sin_x", "sin(x)")
def _sin_x(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda x: ns.jnp.sin(x)


@_program("seed.cos_x", "cos(x)")
def _cos_x(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda x: ns.jnp.cos(x)


@_program("seed.add_one", "x + 1")
def _add_one(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda x: x + 1


@_program("seed.dot3", "dot(x, y) of two 3-vectors")
def _dot3(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda x, y: ns.jnp.dot(x, y)


@_program("seed.reduce_sum_vec", "sum(x) of a vector")
def _reduce_sum_vec(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda x: ns.jnp.sum(x)


# --- one primitive ---------------------------------------------------------------------------------


def _decoded_params(args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    from frankenjax_ref.core.params import decode_params
    from frankenjax_ref.core.primitive import lookup

    prim = lookup(args["primitive"])
    return prim.name, decode_params(prim.name, prim.params, args["params"], "program_args.params")


@_program("lax", "one primitive, bound with explicit params; 'post': 'sum' reduces to a real scalar")
def _lax(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    name, params = _decoded_params(args)
    return _post(ns, args, ns.bind(name, params))


@_program("spec", "one primitive through its case spec's jax_fn (not a plain bind); 'post' as for 'lax'")
def _spec(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    from harness.conformance.specs import spec_for

    name, params = _decoded_params(args)
    row = spec_for(name)
    if row.jax_fn is None or args.get("variant") not in {v.label for v in row.variants}:
        from harness.errors import HarnessError

        raise HarnessError(
            "FJ-CLI-USAGE", f"{name}'s case spec has no jax_fn or no variant {args.get('variant')!r}"
        )
    return _post(ns, args, row.jax_fn(ns, params))


def _post(ns: Any, args: dict[str, Any], f: Callable[..., Any]) -> Callable[..., Any]:
    """``f``, or with ``'post': 'sum'`` the sum of the real part of its (first) result."""
    if args.get("post") != "sum":
        return f

    def reduced(*xs: Any) -> Any:
        out = f(*xs)
        out = out[0] if isinstance(out, (list, tuple)) else out
        return ns.jnp.sum(ns.jnp.real(out))

    return reduced


# --- compositions ----------------------------------------------------------------------------------


@_program("comp.mlp_layer", "sum(tanh(s * (x @ w) + b) ** 2)", needs_jax=True)
def _mlp(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    jnp = ns.jnp

    def mlp_layer(s: Any, x: Any, w: Any, b: Any) -> Any:
        h = jnp.tanh(s * (x @ w) + b)
        return jnp.sum(h * h)

    return mlp_layer


@_program("comp.logsumexp", "logsumexp(s * x) with jax.nn.logsumexp", needs_jax=True)
def _logsumexp(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda s, x: ns.nn.logsumexp(s * x)


@_program("comp.softmax_cross_entropy", "-sum(labels * log_softmax(s * logits))", needs_jax=True)
def _xent(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda s, logits, labels: -ns.jnp.sum(labels * ns.nn.log_softmax(s * logits))


@_program("comp.layer_norm", "sum(tanh(s * ((x - mean) * rsqrt(var + 1e-5) * g + b)))", needs_jax=True)
def _layer_norm(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    jnp, lax = ns.jnp, ns.lax

    def layer_norm(s: Any, x: Any, g: Any, b: Any) -> Any:
        mu = jnp.mean(x)
        var = jnp.mean((x - mu) ** 2)
        y = (x - mu) * lax.rsqrt(var + 1e-5) * g + b
        return jnp.sum(jnp.tanh(s * y))

    return layer_norm


@_program("comp.polynomial", "sum(3 x**3 - 2 x**2 + s x - 5)", needs_jax=True)
def _polynomial(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda s, x: ns.jnp.sum(3.0 * x**3 - 2.0 * x**2 + s * x - 5.0)


@_program(
    "comp.nested_jit",
    "sum(jit(lambda a, c: sin(a) * c)(x, s) ** 2): a jit inside the program",
    needs_jax=True,
)
def _nested_jit(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    jnp = ns.jnp

    def inner(a: Any, c: Any) -> Any:
        return jnp.sin(a) * c

    jitted = ns.api.jit(inner)
    return lambda s, x: jnp.sum(jitted(x, s) ** 2)


# --- custom derivatives ------------------------------------------------------------------------------


@_program("custom.relu", "sum(jax.nn.relu(s * x) ** 2): JAX's relu is a custom_jvp function", needs_jax=True)
def _relu(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    return lambda s, x: ns.jnp.sum(ns.nn.relu(s * x) ** 2)


@_program("custom.safe_log", "sum(safe_log(s * x)) with a custom_jvp whose rule calls itself", needs_jax=True)
def _safe_log(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    jnp = ns.jnp

    @ns.api.custom_jvp
    def safe_log(x: Any) -> Any:
        return jnp.log(jnp.maximum(x, 1e-3))

    @safe_log.defjvp
    def _safe_log_jvp(primals: Any, tangents: Any) -> Any:
        (x,), (g,) = primals, tangents
        return safe_log(x), g / jnp.maximum(x, 1e-3)

    return lambda s, x: jnp.sum(safe_log(s * x))


@_program(
    "custom.clip_gradient",
    "sum(sin(clip_gradient(s * x)) ** 2), custom_vjp clipping cotangents",
    needs_jax=True,
)
def _clip_gradient(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    jnp = ns.jnp

    @ns.api.custom_vjp
    def clip_gradient(x: Any) -> Any:
        return x

    def fwd(x: Any) -> Any:
        return x, None

    def bwd(_: Any, g: Any) -> Any:
        return (jnp.clip(g, -0.5, 0.5),)

    clip_gradient.defvjp(fwd, bwd)
    return lambda s, x: jnp.sum(jnp.sin(clip_gradient(s * x)) ** 2)


@_program("custom.softplus_vjp", "sum(softplus(s * x)) as a custom_vjp saving its input", needs_jax=True)
def _softplus_vjp(ns: Any, args: dict[str, Any]) -> Callable[..., Any]:
    jnp = ns.jnp

    @ns.api.custom_vjp
    def softplus(x: Any) -> Any:
        return jnp.logaddexp(x, 0.0)

    def fwd(x: Any) -> Any:
        return softplus(x), (x,)

    def bwd(res: Any, g: Any) -> Any:
        (x,) = res
        return (g * (1.0 / (1.0 + jnp.exp(-x))),)

    softplus.defvjp(fwd, bwd)
    return lambda s, x: jnp.sum(softplus(s * x))
