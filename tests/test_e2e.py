"""fjh e2e: the registry, the runner's statuses, forensic logs and their sidecars."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.e2e import registry, values
from harness.e2e.model import E2EError, RunOptions, Scenario, ScenarioContext, Step
from harness.e2e.runner import run_scenario
from harness.schemas import read_json

P2C001 = [
    "e2e_p2c001_full_dispatch_pipeline",
    "e2e_p2c001_transform_order_enforcement",
    "e2e_p2c001_vmap_rank2_tensor_support",
    "e2e_p2c001_trace_to_ir_roundtrip",
    "e2e_p2c001_transform_stack_composition",
    "e2e_p2c001_strict_vs_hardened_mode_split",
    "e2e_p2c001_ir_determinism_under_replay",
    "e2e_p2c001_large_jaxpr_stress",
]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def test_packet(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Register throw-away scenarios in a TEST packet for the duration of one test."""
    registry.all_scenarios()  # load the real ones first

    def add(scenario_id: str, *steps: Step, timeout: float = 60.0, inputs: Any = None) -> Scenario:
        scenario = Scenario(
            id=scenario_id,
            packet="TEST",
            description="a test-only scenario",
            inputs=inputs or (lambda options: {"x": 1}),
            steps=steps,
            timeout_seconds=timeout,
        )
        monkeypatch.setitem(registry._REGISTRY, scenario_id, scenario)
        return scenario

    return add


def test_every_p2c001_scenario_is_registered_in_order() -> None:
    ids = [s.id for s in registry.select(packets_=["P2C-001"])]
    assert ids == P2C001
    for scenario in registry.select(packets_=["P2C-001"]):
        assert scenario.steps and scenario.description


@pytest.mark.parametrize("spelling", ["P2C-001", "p2c001", "P2C_001", "p2c-001"])
def test_packet_spellings(spelling: str) -> None:
    assert registry.normalize_packet(spelling) == "P2C-001"


def test_unknown_packet_and_scenario_are_typed_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(E2EError) as info:
        registry.normalize_packet("P9C-999")
    assert info.value.code == "FJ-E2E-UNKNOWN-PACKET"
    assert main(["e2e", "--scenario", "e2e_nope"]) == 2
    assert "FJ-E2E-UNKNOWN-SCENARIO" in capsys.readouterr().err


def test_list_prints_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["e2e", "--list"]) == 0
    out = capsys.readouterr().out
    for scenario_id in P2C001:
        assert scenario_id in out
    assert main(["e2e", "--list", "--packet", "p2c001", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in listed] == P2C001


def test_scenario_writes_a_valid_log_with_a_sidecar(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from harness.durability import scrub

    assert main(["e2e", "--scenario", "e2e_p2c001_transform_stack_composition"]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "1/1 scenarios passed" in out
    path = root / "artifacts" / "e2e" / "e2e_p2c001_transform_stack_composition.e2e.json"
    doc = read_json(path, "frankenjax.e2e-forensic-log.v1")
    assert scrub(path).ok
    assert doc["status"] == "pass" and doc["failure_summary"] is None
    assert doc["packet_id"] == "P2C-001"
    assert doc["replay_command"] == f"fjh replay artifacts/e2e/{path.name}"
    assert doc["command"] == "fjh e2e --scenario e2e_p2c001_transform_stack_composition"
    assert doc["fixture_id"] == values.fixture_id(doc["inputs"])
    env = doc["environment"]
    assert env["python"] and env["numpy"] and env["os"] and env["arch"]
    assert "jax" in env  # the version, or null without JAX
    assert [s["step"] for s in doc["intermediate_states"]] == ["trace", "compose"]
    assert all(s["status"] == "pass" for s in doc["intermediate_states"])
    assert set(doc["timings"]["phases"]) >= {"inputs", "step:trace", "step:compose", "verify"}
    jit_grad = values.decode(doc["actual"]["x_squared:jit(grad)"])
    assert float(jit_grad) == 6.0
    assert doc["transform_stack"][0]["signature"] == "jit(grad)"
    assert doc["tolerance"]["default"] == {"kind": "exact"}


def test_failing_erroring_and_timed_out_scenarios(
    root: Path, test_packet: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    def wrong(ctx: ScenarioContext) -> dict[str, Any]:
        ctx.expect("answer", 42, 41)
        return {"guess": 41}

    def explicit(ctx: ScenarioContext) -> None:
        ctx.fail("the system misbehaved")

    def crash(ctx: ScenarioContext) -> None:
        raise ZeroDivisionError("boom")

    def slow(ctx: ScenarioContext) -> None:
        time.sleep(30)

    test_packet("e2e_test_wrong_value", Step("wrong", wrong), Step("after", lambda ctx: None))
    test_packet("e2e_test_explicit_fail", Step("explicit", explicit))
    test_packet("e2e_test_crash", Step("crash", crash))
    test_packet("e2e_test_slow", Step("slow", slow), timeout=0.5)

    assert main(["e2e", "--packet", "test"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "ERROR" in out and "TIMEOUT" in out and "0/4 scenarios passed" in out

    def log(name: str) -> dict[str, Any]:
        return read_json(root / "artifacts" / "e2e" / f"{name}.e2e.json", "frankenjax.e2e-forensic-log.v1")

    wrong_log = log("e2e_test_wrong_value")
    assert wrong_log["status"] == "fail"
    assert "answer" in wrong_log["failure_summary"]
    assert wrong_log["mismatches"][0]["path"] == "actual.answer"
    assert [s["status"] for s in wrong_log["intermediate_states"]] == ["pass", "pass"]
    assert log("e2e_test_explicit_fail")["status"] == "fail"
    crashed = log("e2e_test_crash")
    assert crashed["status"] == "error"
    assert "ZeroDivisionError" in crashed["intermediate_states"][0]["detail"]
    slow_log = log("e2e_test_slow")
    assert slow_log["status"] == "timeout"
    assert slow_log["timings"]["total_seconds"] < 10


def test_inputs_that_cannot_be_built_are_an_error_not_a_pass(root: Path, test_packet: Any) -> None:
    def no_inputs(options: RunOptions) -> dict[str, Any]:
        raise E2EError("FJ-E2E-INPUTS", "no fixtures")

    scenario = test_packet("e2e_test_no_inputs", Step("never", lambda ctx: None), inputs=no_inputs)
    result = run_scenario(scenario, RunOptions())
    assert result.status == "error"
    assert result.failure_summary is not None and "FJ-E2E-INPUTS" in result.failure_summary

    def buggy(options: RunOptions) -> dict[str, Any]:
        raise ValueError("bug in the builder")

    scenario = test_packet("e2e_test_buggy_inputs", Step("never", lambda ctx: None), inputs=buggy)
    result = run_scenario(scenario, RunOptions())
    assert result.status == "error" and "ValueError: bug in the builder" in (result.failure_summary or "")


def test_values_round_trip_exactly() -> None:
    import numpy as np

    from frankenjax_ref.core import dtypes

    nan_payload = np.array([np.uint32(0xFFC00001)]).view(np.float32)
    value = {
        "a": np.array([-0.0, np.inf, -np.inf, 5e-324]),
        "b": nan_payload,
        "c": np.array([1 + 2j], dtype=np.complex64),
        "d": np.array([[1, 2]], dtype=np.int32),
        "e": np.array(1.5, dtype=dtypes.bfloat16),
        "f": [1, "x", None, True, float("nan"), float("-inf"), 0.1],
        "g": b"\x00\xff",
    }
    encoded = values.encode(value)
    decoded = values.decode(json.loads(json.dumps(encoded)))
    assert values.compare(encoded, values.encode(decoded)) == []
    assert decoded["b"].view(np.uint32)[0] == 0xFFC00001
    assert decoded["g"] == b"\x00\xff"


def test_compare_reports_bits_and_tolerance() -> None:
    import numpy as np

    a = values.encode(np.array([1.0, 2.0, np.nan]))
    b = values.encode(np.array([1.0, 2.0 + 1e-15, np.nan]))
    diffs = values.compare(a, b)
    assert len(diffs) == 1 and "[1]" in diffs[0].path and "bits differ" in diffs[0].actual + diffs[0].reason
    assert values.compare(a, b, values.Tolerance("allclose", 1e-12, 1e-12)) == []
    zero, negzero = values.encode(np.array([0.0])), values.encode(np.array([-0.0]))
    assert values.compare(zero, negzero) != []
    assert (
        values.compare(values.encode(np.zeros(2)), values.encode(np.zeros(3)))[0].reason
        == "dtype/shape differ"
    )
    assert values.compare({"k": 1}, {"k": 1, "j": 2})[0].reason == "unexpected key"


def test_values_reject_what_a_log_cannot_hold() -> None:
    with pytest.raises(values.ValueFormatError):
        values.encode({"$array": 1})
    with pytest.raises(values.ValueFormatError):
        values.encode(object())
    with pytest.raises(values.ValueFormatError):
        values.decode({"$nope": 1})
    with pytest.raises(values.ValueFormatError):
        values.decode({"$bytes": "***"})
