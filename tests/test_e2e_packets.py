"""The CAPTURE, DURABILITY and LEDGER packets pass, and their logs replay bit for bit."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.e2e import registry, replay
from harness.e2e.runner import RunOptions, run_scenario


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    return tmp_path


PACKET_SCENARIOS = [
    "e2e_capture_strict_slice_then_conformance",
    "e2e_durability_sidecar_lifecycle",
    "e2e_ledger_tamper_detection",
]


@pytest.mark.parametrize("scenario_id", PACKET_SCENARIOS)
def test_packet_scenario_passes_and_replays(root: Path, scenario_id: str) -> None:
    result = run_scenario(registry.get(scenario_id), RunOptions())
    assert result.status == "pass", result.failure_summary
    again = replay(root / "artifacts" / "e2e" / f"{scenario_id}.e2e.json")
    assert again.ok, [d.render() for d in again.differences]


def test_every_packet_is_listed_in_order() -> None:
    assert registry.packets()[:1] == ["P2C-001"]
    assert {"DURABILITY", "LEDGER"} <= set(registry.packets())


def test_fuzz_packet_in_a_scratch_root_leaves_the_real_index_alone(root: Path) -> None:
    pytest.importorskip("atheris")
    result = run_scenario(registry.get("e2e_fuzz_seeded_crash_triage_gate"), RunOptions())
    assert result.status == "pass", result.failure_summary
    assert not (root / "corpus").exists()  # the scenario's own root was a scratch directory
    assert replay(root / "artifacts" / "e2e" / "e2e_fuzz_seeded_crash_triage_gate.e2e.json").ok


def test_full_dispatch_pipeline_runs_every_case_of_the_bundles(root: Path) -> None:
    pytest.importorskip("jax")
    from harness.conformance.capture import capture
    from harness.e2e import read_log, values

    capture(output_dir=root / "fixtures", patterns=["seed.add2*", "seed.square.*"], strict=True, jobs=0)
    result = run_scenario(registry.get("e2e_p2c001_full_dispatch_pipeline"), RunOptions(jobs=0))
    assert result.status == "pass", result.failure_summary
    log = read_log(root / "artifacts" / "e2e" / "e2e_p2c001_full_dispatch_pipeline.e2e.json")
    cases = values.decode(log["actual"]["cases"])
    assert len(cases) == values.decode(log["actual"]["case_count"]) > 10
    assert all(c["path"] == "dispatch" and c["cache_key"] for c in cases.values())
    assert {a["role"] for a in log["artifacts"]} == {"input"}
    again = replay(
        root / "artifacts" / "e2e" / "e2e_p2c001_full_dispatch_pipeline.e2e.json", RunOptions(jobs=0)
    )
    assert again.ok
    bundle = root / "fixtures" / "seed.bundle.json"
    bundle.write_text(bundle.read_text().replace("seed.add2", "seed.add3", 1))
    changed = replay(
        root / "artifacts" / "e2e" / "e2e_p2c001_full_dispatch_pipeline.e2e.json", RunOptions(jobs=0)
    )
    assert not changed.ok and changed.replay_status == "fail"
    assert "changed since the log" in (changed.replay_failure or "")


def test_full_dispatch_pipeline_without_bundles_is_an_error(root: Path) -> None:
    result = run_scenario(registry.get("e2e_p2c001_full_dispatch_pipeline"), RunOptions())
    assert result.status == "error" and "FJ-E2E-INPUTS" in (result.failure_summary or "")
