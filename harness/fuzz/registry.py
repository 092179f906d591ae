"""The fuzz targets, as data.

A :class:`FuzzTarget` names everything about a target without importing it:
the check function and the optional mutator and dictionary are
``"module:function"`` strings resolved only when asked for, so the atheris
worker can import them inside the instrumentation hook (a module imported
before the hook is installed gets no coverage feedback).

The check function's contract (``check(data: bytes) -> str``):

* return an outcome label — ``"accepted"`` or ``"rejected:<FJ code>"`` — when
  the parser accepted the bytes and every invariant held, or rejected them
  cleanly with the taxonomy's error;
* raise :class:`~harness.fuzz.oracle.InvariantViolation` when an invariant
  failed (P0) or :class:`~harness.fuzz.oracle.UncaughtError` when a taxonomy
  error wraps a non-taxonomy cause (P1);
* let any other exception escape: it is a crash (P1).

The test-only target ``crashme`` crashes on purpose on magic inputs; it is
registered only when ``FJH_FUZZ_TEST_TARGETS=1`` is set in the environment
(tests set it; child processes inherit it), so it can never be fuzzed, gated
or listed by accident in a real checkout.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: Set to "1" to register the test-only targets.
TEST_TARGETS_ENV = "FJH_FUZZ_TEST_TARGETS"

#: Never instrumented: the fuzzing machinery itself (its branches are not
#: the parser's, and instrumenting the mutator would feed noise back).
NEVER_INSTRUMENT = (
    "harness.fuzz",
    "harness.fuzz.registry",
    "harness.fuzz.oracle",
    "harness.fuzz.worker",
    "harness.fuzz.mutators",
    "harness.fuzz.errors",
    "harness.fuzz.targets",
    "harness.fuzz.targets.ir_deserializer",
    "harness.fuzz.targets.sidecar_manifest",
    "harness.fuzz.targets.fixture_loader",
    "harness.fuzz.targets.adapter_reply",
)


@dataclass(frozen=True)
class FuzzTarget:
    """One parser of untrusted bytes and how to fuzz it."""

    name: str
    summary: str
    #: ``module:function`` of ``check(data: bytes) -> str``
    check: str
    #: the taxonomy error allowed to escape the parser (for people)
    taxonomy: str
    #: top-level packages instrumented by ``atheris.instrument_imports``
    instrument: tuple[str, ...]
    #: modules that must end up instrumented (the parser and its validators)
    required_modules: tuple[str, ...]
    #: ``module:function`` of a factory ``(dictionary tokens) -> mutator``, the mutator being an
    #: atheris custom mutator ``(data, max_size, seed) -> bytes``
    mutator: str | None = None
    #: ``module:function`` returning libFuzzer dictionary tokens (``list[bytes]``)
    dictionary: str | None = None
    #: libFuzzer ``-max_len`` default
    max_len: int = 32768
    test_only: bool = False
    #: modules whose absence means "not available in this checkout" (not a bug)
    requires: tuple[str, ...] = field(default=())

    def load_check(self) -> Callable[[bytes], str]:
        self.ensure_available()
        check: Callable[[bytes], str] = _resolve(self.check)
        return check

    def load_mutator(self, tokens: list[bytes]) -> Callable[[bytes, int, int], bytes] | None:
        return _resolve(self.mutator)(tokens) if self.mutator else None

    def load_dictionary(self) -> list[bytes]:
        return list(_resolve(self.dictionary)()) if self.dictionary else []

    def ensure_available(self) -> None:
        """Raise ``FJ-FUZZ-TARGET-UNAVAILABLE`` when a module the target needs is missing."""
        import importlib.util

        for module in self.requires:
            if importlib.util.find_spec(module) is None:
                from harness.fuzz.errors import UNAVAILABLE, FuzzError

                raise FuzzError(
                    UNAVAILABLE,
                    f"fuzz target {self.name!r} needs module {module!r}, which this checkout does not have",
                    hint="the target is registered but its parser has not landed yet",
                )


def _resolve(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


_JSON_MUTATOR = "harness.fuzz.mutators:json_mutator"

_TARGETS: tuple[FuzzTarget, ...] = (
    FuzzTarget(
        name="ir_deserializer",
        summary="frankenjax.ir.v1 programs: loads, then validate, fingerprint, dump, load again",
        check="harness.fuzz.targets.ir_deserializer:check",
        taxonomy="frankenjax_ref.errors.IRError",
        instrument=("frankenjax_ref",),
        required_modules=(
            "frankenjax_ref.core.serialize",
            "frankenjax_ref.core.values",
            "frankenjax_ref.core.validate",
            "frankenjax_ref.core.params",
            "frankenjax_ref.core.dtypes",
            "frankenjax_ref.core.avals",
            "frankenjax_ref.core.pretty",
            "frankenjax_ref.primitives.elementwise",
            "frankenjax_ref.primitives.shape",
        ),
        mutator="harness.fuzz.targets.ir_deserializer:mutator",
        dictionary="harness.fuzz.targets.ir_deserializer:dictionary",
    ),
    FuzzTarget(
        name="fixture_loader",
        summary="frankenjax.fixture-bundle.v1 bundles: the fixture reader and its schema checks",
        check="harness.fuzz.targets.fixture_loader:check",
        taxonomy="frankenjax_ref.errors.FJError (the fixture reader's typed errors)",
        instrument=("harness", "frankenjax_ref", "jsonschema"),
        required_modules=("harness.conformance.fixtures", "harness.schemas", "frankenjax_ref.core.values"),
        mutator=_JSON_MUTATOR,
        dictionary="harness.fuzz.targets.fixture_loader:dictionary",
        requires=("harness.conformance.fixtures",),
    ),
    FuzzTarget(
        name="sidecar_manifest",
        summary="frankenjax.sidecar.v1 manifests and share trailers, through the durability reader",
        check="harness.fuzz.targets.sidecar_manifest:check",
        taxonomy="harness.durability.DurabilityError",
        instrument=("harness", "jsonschema"),
        required_modules=("harness.durability.sidecar", "harness.durability.codec", "harness.schemas"),
        mutator="harness.fuzz.targets.sidecar_manifest:mutator",
        dictionary="harness.fuzz.targets.sidecar_manifest:dictionary",
        max_len=16384,
    ),
    FuzzTarget(
        name="adapter_reply",
        summary="what an implementation under test prints: the frankenjax.adapter.v1 reply reader",
        check="harness.fuzz.targets.adapter_reply:check",
        taxonomy="harness.adapters.protocol.AdapterError",
        instrument=("harness", "frankenjax_ref", "jsonschema"),
        required_modules=("harness.adapters.protocol", "frankenjax_ref.core.values", "harness.schemas"),
        mutator=_JSON_MUTATOR,
        dictionary="harness.fuzz.targets.adapter_reply:dictionary",
        max_len=16384,
    ),
)

_TEST_TARGETS: tuple[FuzzTarget, ...] = (
    FuzzTarget(
        name="crashme",
        summary="TEST ONLY: crashes on purpose on magic prefixes (FJHC exception, FJH0 invariant, "
        "FJHH hang, FJHS slow)",
        check="harness.fuzz.targets.crashme:check",
        taxonomy="frankenjax_ref.errors.IRError",
        instrument=("harness",),
        required_modules=("harness.fuzz.targets.crashme",),
        max_len=64,
        test_only=True,
    ),
)


def test_targets_enabled() -> bool:
    return os.environ.get(TEST_TARGETS_ENV) == "1"


def targets() -> dict[str, FuzzTarget]:
    """Every registered target by name (test-only ones only when enabled)."""
    found = {t.name: t for t in _TARGETS}
    if test_targets_enabled():
        found.update({t.name: t for t in _TEST_TARGETS})
    return found


def target_names() -> list[str]:
    return sorted(targets())


def get_target(name: str) -> FuzzTarget:
    """The target called ``name``; ``FJ-FUZZ-UNKNOWN-TARGET`` otherwise."""
    found = targets().get(name)
    if found is None:
        from harness.fuzz.errors import UNKNOWN_TARGET, FuzzError

        hint = f"known targets: {', '.join(target_names())}"
        if any(t.name == name for t in _TEST_TARGETS):
            hint = f"{name!r} is a test-only target: set {TEST_TARGETS_ENV}=1 to enable it"
        raise FuzzError(UNKNOWN_TARGET, f"no fuzz target named {name[:64]!r}", hint=hint)
    return found
