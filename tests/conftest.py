"""Shared pytest setup.

JAX (the oracle, imported by some tests only) must run with 64-bit types,
as the reference always does. The environment variable is read when JAX
is first imported, so setting it here covers every test module without
importing JAX in the ones that do not need it.
"""

from __future__ import annotations

import os
import sys

os.environ["JAX_ENABLE_X64"] = "1"


def pytest_configure(config: object) -> None:
    if "jax" in sys.modules:  # imported before this file (a plugin): switch x64 on explicitly
        sys.modules["jax"].config.update("jax_enable_x64", True)
