"""Every primitive's case spec, by primitive name, collected from the family spec modules.

Each module of this package other than ``model`` and ``registry`` lists its rows in ``SPECS``;
:func:`specs` gathers them (a new family module is found without being listed anywhere), and
:func:`coverage_problems` says what is missing against the reference's primitive registry.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from harness.conformance.specs.model import PrimitiveSpec

_NOT_FAMILIES = frozenset({"model", "registry"})


@functools.cache
def specs() -> dict[str, PrimitiveSpec]:
    """Every row, by primitive name (a primitive with two rows is a bug in the specs)."""
    import harness.conformance.specs as package

    found: dict[str, PrimitiveSpec] = {}
    where: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name in _NOT_FAMILIES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for row in getattr(module, "SPECS", ()):
            if row.primitive in found:
                raise ValueError(
                    f"{row.primitive} has a spec row in both {where[row.primitive]} and {info.name}"
                )
            found[row.primitive] = row
            where[row.primitive] = info.name
    return dict(sorted(found.items()))


def spec_for(name: str) -> PrimitiveSpec:
    """The row of primitive ``name`` (KeyError when it has none)."""
    try:
        return specs()[name]
    except KeyError:
        raise KeyError(f"primitive {name!r} has no case spec row (harness/conformance/specs)") from None


def coverage_problems() -> list[str]:
    """Registered primitives without a row, and rows of primitives the reference does not register."""
    import frankenjax_ref.primitives  # noqa: F401  (fills the registry)
    from frankenjax_ref.core.primitive import PRIMITIVES

    rows = specs()
    problems = [f"{name}: registered, but has no spec row" for name in sorted(set(PRIMITIVES) - set(rows))]
    problems += [
        f"{name}: has a spec row, but is not registered" for name in sorted(set(rows) - set(PRIMITIVES))
    ]
    return problems
