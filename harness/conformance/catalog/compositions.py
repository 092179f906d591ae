"""Composition and custom-derivative cases: multi-primitive programs under deep stacks.

Each composition program takes a scalar ``s`` first, so every stack is
defined: ``jit``, ``grad``, ``vmap``, ``jit(grad)``, ``vmap(grad)``,
``grad(grad)`` (with respect to ``s``), and ``jacfwd`` / ``jacrev`` /
``hessian`` with respect to ``(s, x)`` (so the results are blocks). The
``custom.*`` programs run under the stacks that reach their custom rules;
``jvp`` (and ``hessian``, which is forward-over-reverse) of a ``custom_vjp``
function raise in JAX, and the reference must raise
``FJ-TRANSFORM-CUSTOM-VJP`` too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.conformance.catalog import inputs as gen
from harness.conformance.catalog.model import CaseSpec, ExpectedError, Operand
from harness.conformance.catalog.stacks import stack

BATCH = 3

#: program -> operand shapes (after the scalar s) and value domains
COMPOSITIONS: dict[str, tuple[tuple[tuple[int, ...], ...], tuple[str, ...]]] = {
    "comp.mlp_layer": (((4,), (4, 3), (3,)), ("any", "small", "small")),
    "comp.logsumexp": (((5,),), ("any",)),
    "comp.softmax_cross_entropy": (((5,), (5,)), ("any", "onehot")),
    "comp.layer_norm": (((6,), (6,), (6,)), ("any", "any", "small")),
    "comp.polynomial": (((4,),), ("any",)),
    "comp.nested_jit": (((4,),), ("any",)),
}

CUSTOM: dict[str, tuple[tuple[tuple[int, ...], ...], tuple[str, ...], bool]] = {
    # name: (shapes, domains, is_custom_vjp)
    "custom.relu": (((5,),), ("any",), False),
    "custom.safe_log": (((5,),), ("positive",), False),
    "custom.clip_gradient": (((5,),), ("any",), True),
    "custom.softplus_vjp": (((5,),), ("any",), True),
}

_JVP_OF_CUSTOM_VJP = ExpectedError("TypeError", ("FJ-TRANSFORM-CUSTOM-VJP",))


def _composition_stacks() -> dict[str, tuple[dict[str, Any], ...]]:
    both = {"argnums": (0, 1)}
    return {
        "jit": stack("jit"),
        "grad": stack("grad"),
        "vmap": stack("vmap"),
        "jit_grad": stack("jit", "grad"),
        "vmap_grad": stack("vmap", "grad"),
        "grad_grad": stack("grad", "grad"),
        "jacfwd": stack(("jacfwd", both)),
        "jacrev": stack(("jacrev", both)),
        "hessian": stack(("hessian", both)),
    }


def _custom_stacks() -> dict[str, tuple[dict[str, Any], ...]]:
    return {
        "jit": stack("jit"),
        "grad": stack("grad"),
        "vmap": stack("vmap"),
        "jit_grad": stack("jit", "grad"),
        "vmap_grad": stack("vmap", "grad"),
        "grad_grad": stack("grad", "grad"),
        "jvp": stack("jvp"),
        "jacrev": stack(("jacrev", {"argnums": (0, 1)})),
        "hessian": stack(("hessian", {"argnums": (0, 1)})),
    }


def _values(rng: np.random.Generator, shape: tuple[int, ...], dtype: str, domain: str) -> np.ndarray:
    if domain == "onehot":
        out = np.zeros(shape, gen.np_dtype(dtype))
        out[..., int(rng.integers(0, shape[-1]))] = 1
        return out
    return gen.ordinary(rng, shape, dtype, domain)


def _example(
    rng: np.random.Generator, shapes: tuple[tuple[int, ...], ...], domains: tuple[str, ...], dtype: str
) -> list[np.ndarray]:
    s = np.asarray(rng.uniform(0.5, 1.5), gen.np_dtype(dtype)).round(3) if dtype else None
    return [np.asarray(s), *(_values(rng, sh, dtype, dom) for sh, dom in zip(shapes, domains, strict=True))]


def _edge_example(program: str, dtype: str) -> list[np.ndarray] | None:
    d = gen.np_dtype(dtype)
    if program == "comp.logsumexp":
        return [np.asarray(1.0, d), np.array([-np.inf, 0.0, 80.0, -80.0, 1.0], d)]
    if program == "comp.softmax_cross_entropy":
        return [np.asarray(1.0, d), np.array([1e3, -1e3, 0.0, 1e3, 5.0], d), np.array([0, 0, 0, 1, 0], d)]
    if program == "custom.relu":
        return [np.asarray(1.0, d), np.array([-0.0, 0.0, -1.0, 2.0, np.inf], d)]
    return None


def _cases(family: str, programs: dict[str, Any], stacks: dict[str, Any], custom: bool) -> list[CaseSpec]:
    out: list[CaseSpec] = []
    for program, spec in programs.items():
        shapes, domains = spec[0], spec[1]
        is_vjp = custom and spec[2]
        for dtype in gen.FLOATS:
            rng = gen.rng_for(f"{program}.{dtype}")
            example = _example(rng, shapes, domains, dtype)
            operands = tuple(Operand(tuple(a.shape), dtype) for a in example)
            sets = [("normal", example)]
            edge = _edge_example(program, dtype)
            if edge is not None:
                sets.append(("edge", edge))
            for input_set, args in sets:
                for slug, entries in stacks.items():
                    names = [e["transform"] for e in entries]
                    if input_set == "edge" and slug not in ("jit", "grad", "vmap_grad"):
                        continue
                    if names[0] == "vmap":
                        if input_set == "edge":
                            inputs = [np.stack([a, a]) for a in args]
                        else:
                            inputs = [
                                np.stack(
                                    [a, *(_example(rng, shapes, domains, dtype)[k] for _ in range(BATCH - 1))]
                                )
                                for k, a in enumerate(args)
                            ]
                    elif names[0] == "jvp":
                        inputs = [*args, *(gen.tangent_like(rng, a) for a in args)]
                    else:
                        inputs = list(args)
                    may_raise = _JVP_OF_CUSTOM_VJP if is_vjp and names[0] in ("jvp", "hessian") else None
                    out.append(
                        CaseSpec(
                            case_id=f"{program}.{dtype}.{input_set}.{slug}",
                            family=family,
                            program=program,
                            program_args={},
                            operands=operands,
                            stack=entries,
                            inputs=tuple(inputs),
                            input_set=input_set,
                            tier="composite",
                            may_raise=may_raise,
                        )
                    )
    return out


def composition_cases() -> list[CaseSpec]:
    return _cases("composition", COMPOSITIONS, _composition_stacks(), custom=False)


def custom_cases() -> list[CaseSpec]:
    return _cases("custom", CUSTOM, _custom_stacks(), custom=True)
