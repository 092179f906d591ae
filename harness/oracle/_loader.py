"""Importing JAX: once per process, with x64 on, or a typed error saying why not."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from types import ModuleType
from typing import Any

from frankenjax_ref.errors import register_code
from harness.errors import HarnessError

#: When set to a non-empty value other than ``0``, JAX is treated as not installed.
NO_JAX_ENV = "FJH_SIMULATE_NO_JAX"

register_code("FJ-ORACLE-UNAVAILABLE", "HARNESS", "JAX (the oracle) cannot be imported")
register_code(
    "FJ-ORACLE-UNSUPPORTED", "HARNESS", "a JAX program uses primitives or params the reference lacks"
)
register_code("FJ-ORACLE-FAILED", "HARNESS", "JAX raised while tracing or running a case")


class OracleError(HarnessError):
    """JAX is missing, or a JAX program cannot be converted or run."""


_JAX: ModuleType | None = None


def _simulated_missing() -> bool:
    value = os.environ.get(NO_JAX_ENV, "")
    return value not in ("", "0")


def load_jax() -> ModuleType:
    """The ``jax`` module with ``jax_enable_x64`` set; FJ-ORACLE-UNAVAILABLE if it cannot be imported."""
    global _JAX
    if _simulated_missing():
        raise OracleError(
            "FJ-ORACLE-UNAVAILABLE",
            f"JAX is not available ({NO_JAX_ENV} is set, simulating a machine without JAX)",
            hint=f"unset {NO_JAX_ENV}",
        )
    if _JAX is not None:
        return _JAX
    try:
        import jax
    except ImportError as exc:
        raise OracleError(
            "FJ-ORACLE-UNAVAILABLE",
            f"JAX cannot be imported: {exc}",
            hint="install the oracle extra: pip install 'frankenjax-harness[oracle]'",
        ) from None
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    _JAX = jax
    return jax


def jax_available() -> bool:
    """True when :func:`load_jax` would succeed (imports JAX if it can)."""
    try:
        load_jax()
    except OracleError:
        return False
    return True


def init_worker() -> None:
    """Process-pool initializer: import JAX and enable x64 once, if JAX is there.

    A worker without JAX still serves the reference (conformance) and the
    analytical fallback, so a missing JAX is not an error here.
    """
    import frankenjax_ref.primitives  # noqa: F401  (fill the rule tables once)

    if not _simulated_missing():
        with contextlib.suppress(OracleError):
            load_jax()


def jax_versions() -> dict[str, Any]:
    """Versions and settings for provenance (JAX fields are null without JAX)."""
    import numpy

    info: dict[str, Any] = {
        "jax": None,
        "jaxlib": None,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "x64": None,
        "platform": f"{platform.system()}-{platform.machine()}",
        "backend": None,
        "implementation": sys.implementation.name,
    }
    try:
        jax = load_jax()
    except OracleError:
        return info
    import jaxlib

    info.update(
        jax=jax.__version__,
        jaxlib=jaxlib.__version__,
        x64=bool(jax.config.read("jax_enable_x64")),
        backend=jax.default_backend(),
    )
    return info
