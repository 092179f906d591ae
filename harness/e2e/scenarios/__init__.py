"""The registered packets. Importing this package registers every scenario, in packet order."""

from __future__ import annotations

from harness.e2e.scenarios import p2c001  # noqa: F401
