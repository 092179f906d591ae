"""End-to-end scenarios with forensic logs and replay (``fjh e2e``, ``fjh replay``).

Scenarios are data (:class:`~harness.e2e.model.Scenario`: id, packet,
description, input builder, steps) registered by the packet modules in
:mod:`harness.e2e.scenarios`. A run writes one forensic log per scenario,
``artifacts/e2e/<scenario>.e2e.json`` (``frankenjax.e2e-forensic-log.v1``,
atomically, with a durability sidecar); ``fjh replay LOG`` re-executes the
scenario on the logged inputs and verifies the same outputs.

Public API::

    from harness import e2e
    e2e.all_scenarios() / e2e.select(scenarios=[...], packets_=[...]) / e2e.get(id)
    e2e.normalize_packet("p2c001")             # -> "P2C-001"
    e2e.run_many(scenarios, RunOptions(...))   # -> [ScenarioResult]
    e2e.replay(path)                           # -> ReplayResult (.ok, .differences)
    e2e.read_log(path)                         # schema-checked, sidecar-checked dict
"""

from __future__ import annotations

from harness.e2e.forensic import LOG_SCHEMA, log_path, read_log
from harness.e2e.model import E2EError, RunOptions, Scenario, ScenarioContext, Step
from harness.e2e.registry import all_scenarios, get, normalize_packet, packets, select
from harness.e2e.replay import ReplayResult, replay
from harness.e2e.runner import ScenarioResult, run_many, run_scenario

__all__ = [
    "LOG_SCHEMA",
    "E2EError",
    "ReplayResult",
    "RunOptions",
    "Scenario",
    "ScenarioContext",
    "ScenarioResult",
    "Step",
    "all_scenarios",
    "get",
    "log_path",
    "normalize_packet",
    "packets",
    "read_log",
    "replay",
    "run_many",
    "run_scenario",
    "select",
]
