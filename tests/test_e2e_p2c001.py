"""Packet P2C-001 end to end, in process: each scenario passes and its log replays bit for bit."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.e2e import read_log, registry, replay, values
from harness.e2e.runner import RunOptions, run_scenario

FAST = [
    "e2e_p2c001_transform_order_enforcement",
    "e2e_p2c001_vmap_rank2_tensor_support",
    "e2e_p2c001_trace_to_ir_roundtrip",
    "e2e_p2c001_transform_stack_composition",
    "e2e_p2c001_strict_vs_hardened_mode_split",
    "e2e_p2c001_ir_determinism_under_replay",
]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    return tmp_path


def _run_and_replay(root: Path, scenario_id: str) -> dict:
    result = run_scenario(registry.get(scenario_id), RunOptions())
    assert result.status == "pass", result.failure_summary
    path = root / "artifacts" / "e2e" / f"{scenario_id}.e2e.json"
    again = replay(path)
    assert again.ok, [d.render() for d in again.differences]
    return read_log(path)


@pytest.mark.parametrize("scenario_id", FAST)
def test_scenario_passes_and_replays(root: Path, scenario_id: str) -> None:
    log = _run_and_replay(root, scenario_id)
    assert log["mismatches"] == [] and all(s["status"] == "pass" for s in log["intermediate_states"])


def test_order_enforcement_matches_jax_and_the_ledger(root: Path) -> None:
    log = _run_and_replay(root, "e2e_p2c001_transform_order_enforcement")
    actual = values.decode(log["actual"])
    assert actual["grad_vmap_error_code"] == "FJ-DISPATCH-PROOF"
    assert actual["ledger_dispatch_actions"] == [["dispatch", "run"], ["dispatch", "refuse"]]
    if actual["jax_available"]:
        assert actual["jax_rejects_grad_of_vmap"] is True


def test_determinism_scenario_saw_one_of_everything(root: Path) -> None:
    actual = values.decode(_run_and_replay(root, "e2e_p2c001_ir_determinism_under_replay")["actual"])
    assert actual["replays"] == 100
    assert all(
        actual[f"distinct_{k}_over_replays"] == 1 for k in ("ir_bytes", "outputs", "cache_key", "proof")
    )


@pytest.mark.slow
def test_large_jaxpr_stress(root: Path) -> None:
    actual = values.decode(_run_and_replay(root, "e2e_p2c001_large_jaxpr_stress")["actual"])
    assert actual["equation_count"] == 10_000


def test_perf_benchmarks_measure_and_normalize() -> None:
    from harness.gates import perf

    measured = perf.measure(rounds=1)
    assert measured["calibration_seconds"] > 0
    for row in measured["benchmarks"].values():
        assert row["seconds"] > 0 and row["normalized"] == pytest.approx(
            row["seconds"] / measured["calibration_seconds"], rel=1e-2, abs=1e-4
        )
    doc = perf.baseline_document(measured)
    from harness.schemas import validate

    validate(doc, perf.BASELINE_SCHEMA)
