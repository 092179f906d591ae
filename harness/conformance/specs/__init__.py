"""One case spec per primitive, from which the catalog, the fuzz seeds and the live-JAX unit tests
are generated.

A row (:class:`PrimitiveSpec`, built with :func:`spec`) lives in the module of this package named
after the primitive's family module in ``frankenjax_ref/primitives/``; :func:`specs` collects every
module's ``SPECS``. The model and its shorthands are in :mod:`.model`; ``README.md`` ("Adding a
primitive") walks through a new row.
"""

from __future__ import annotations

from harness.conformance.specs.model import (
    ACC,
    ALL_STACKS,
    CATALOG_SHAPE,
    SEED_SHAPE,
    UNIT_SHAPE,
    Arg,
    Ints,
    PrimitiveSpec,
    Seed,
    Variant,
    binary,
    by_dtype,
    spec,
    unary,
)
from harness.conformance.specs.registry import coverage_problems, spec_for, specs

__all__ = [
    "ACC",
    "ALL_STACKS",
    "CATALOG_SHAPE",
    "SEED_SHAPE",
    "UNIT_SHAPE",
    "Arg",
    "Ints",
    "PrimitiveSpec",
    "Seed",
    "Variant",
    "binary",
    "by_dtype",
    "coverage_problems",
    "spec",
    "spec_for",
    "specs",
    "unary",
]
