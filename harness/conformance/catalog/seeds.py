"""The seed programs' cases, and their closed forms (the analytical fallback).

The seed programs are those of the Rust FrankenJAX's v1 transform fixtures
(``add2``, ``square``, ``square_plus_linear``, ``sin_x``, ``cos_x``,
``add_one``, ``dot3``, ``reduce_sum_vec``), under the stacks ``jit``,
``grad``, ``vmap``, ``vmap(grad)`` and ``jit(vmap)``, on the same sample
values. ``jit`` and ``grad`` cases take one sample each; the ``vmap`` stacks
take the whole sample list as one batch.

:func:`closed_form` gives each case's expected outputs without JAX, from the
programs' mathematical definitions (``d/dx sin x = cos x``, ...), computed
with NumPy in the case's dtype. It is what ``fjh capture`` writes when JAX is
not installed and ``--strict`` is not given; every such case and bundle is
labelled ``analytical_fallback``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from harness.conformance.catalog.model import CaseSpec, Operand
from harness.conformance.catalog.stacks import is_derivative, stack

FAMILY = "seed"

SCALARS = [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0]
INT_PAIRS = [(2, 5), (-3, 7), (0, 0), (11, -4)]
FLOAT_PAIRS = [(1.0, 2.0), (-1.5, 0.5), (3.0, -1.0), (0.5, 0.5)]
DOT_VECTORS = [
    ([1, 2, 3], [4, 5, 6]),
    ([2, 0, -1], [3, 7, 2]),
    ([9, 9, 9], [1, 0, -1]),
    ([-2, -3, -4], [5, 6, 7]),
]
REDUCE_VECTORS = [[1, 2, 3], [10, -2, 4], [0, 0, 0], [-5, 9, 2]]
REDUCE_VECTORS_F = [[1.0, 2.0, 3.0], [0.5, -1.5, 2.5], [-3.0, 0.0, 3.0]]

#: program -> dtypes it is captured with
SEED_DTYPES: dict[str, tuple[str, ...]] = {
    "add2": ("int64", "float64"),
    "square": ("float64", "int64"),
    "square_plus_linear": ("float64",),
    "sin_x": ("float64", "float32"),
    "cos_x": ("float64", "float32"),
    "add_one": ("float64", "int64"),
    "dot3": ("int64", "float64"),
    "reduce_sum_vec": ("int64", "float64"),
}

STACKS: dict[str, tuple[dict[str, Any], ...]] = {}


def _stacks() -> dict[str, tuple[dict[str, Any], ...]]:
    if not STACKS:
        STACKS.update(
            {
                "jit": stack("jit"),
                "grad": stack("grad"),
                "vmap": stack("vmap"),
                "vmap_grad": stack("vmap", "grad"),
                "jit_vmap": stack("jit", "vmap"),
            }
        )
    return STACKS


def _samples(program: str, dtype: str) -> list[list[np.ndarray]]:
    d = np.dtype(dtype)
    if program == "add2":
        pairs = INT_PAIRS if d.kind == "i" else FLOAT_PAIRS
        return [[np.asarray(a, d), np.asarray(b, d)] for a, b in pairs]
    if program == "dot3":
        return [[np.asarray(a, d), np.asarray(b, d)] for a, b in DOT_VECTORS]
    if program == "reduce_sum_vec":
        vecs = REDUCE_VECTORS if d.kind == "i" else REDUCE_VECTORS_F
        return [[np.asarray(v, d)] for v in vecs]
    values = SCALARS if d.kind == "f" else [-3, -1, 0, 1, 2, 5]
    return [[np.asarray(x, d)] for x in values]


def seed_cases() -> list[CaseSpec]:
    out: list[CaseSpec] = []
    for program, dts in SEED_DTYPES.items():
        for dtype in dts:
            samples = _samples(program, dtype)
            operands = tuple(Operand(tuple(a.shape), dtype) for a in samples[0])
            for slug, entries in _stacks().items():
                derivative = is_derivative(entries)
                if derivative and np.dtype(dtype).kind != "f":
                    continue
                tier = "composite" if derivative else "default"
                common: dict[str, Any] = {
                    "family": FAMILY,
                    "program": f"seed.{program}",
                    "program_args": {},
                    "operands": operands,
                    "stack": entries,
                    "tier": tier,
                }
                if slug in ("jit", "grad"):
                    for i, args in enumerate(samples):
                        out.append(
                            CaseSpec(
                                case_id=f"seed.{program}.{dtype}.{slug}.{i}",
                                inputs=tuple(args),
                                input_set="sample",
                                **common,
                            )
                        )
                else:
                    batch = tuple(np.stack([s[k] for s in samples]) for k in range(len(samples[0])))
                    out.append(
                        CaseSpec(
                            case_id=f"seed.{program}.{dtype}.{slug}",
                            inputs=batch,
                            input_set="batch",
                            **common,
                        )
                    )
    return out


# --- closed forms --------------------------------------------------------------------------------------

_F: dict[str, Callable[..., np.ndarray]] = {
    "add2": lambda x, y: x + y,
    "square": lambda x: x * x,
    "square_plus_linear": lambda x: x * x + x.dtype.type(2) * x,
    "sin_x": np.sin,
    "cos_x": np.cos,
    "add_one": lambda x: x + x.dtype.type(1),
    "dot3": lambda x, y: np.sum(x * y, axis=-1),
    "reduce_sum_vec": lambda x: np.sum(x, axis=-1),
}

#: d/dx of each program with respect to its first argument
_DF: dict[str, Callable[..., np.ndarray]] = {
    "add2": lambda x, y: np.ones_like(x),
    "square": lambda x: x.dtype.type(2) * x,
    "square_plus_linear": lambda x: x.dtype.type(2) * x + x.dtype.type(2),
    "sin_x": np.cos,
    "cos_x": lambda x: -np.sin(x),
    "add_one": lambda x: np.ones_like(x),
    "dot3": lambda x, y: y,
    "reduce_sum_vec": lambda x: np.ones_like(x),
}


def closed_form(case: CaseSpec) -> list[np.ndarray]:
    """The expected outputs of a seed case from the program's mathematical definition."""
    program = case.program.removeprefix("seed.")
    names = [e["transform"] for e in case.stack]
    fn = _DF[program] if "grad" in names else _F[program]
    with np.errstate(all="ignore"):
        out = fn(*case.inputs)
    return [np.asarray(out, dtype=case.inputs[0].dtype)]
