"""Fixture bundles (issue 4's ``fjh capture`` output) as e2e inputs: placeholder until they land."""

from __future__ import annotations

from typing import Any

from harness.e2e.model import E2EError, RunOptions, ScenarioContext


def dispatch_inputs(options: RunOptions) -> dict[str, Any]:
    raise E2EError("FJ-E2E-INPUTS", "fixture bundles are not available yet (fjh capture has not landed)")


def load_cases_step(ctx: ScenarioContext) -> dict[str, Any]:
    raise NotImplementedError


def dispatch_all_step(ctx: ScenarioContext) -> dict[str, Any]:
    raise NotImplementedError


def judge_step(ctx: ScenarioContext) -> dict[str, Any]:
    raise NotImplementedError
