"""The DURABILITY and LEDGER packets pass, and their logs replay bit for bit."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.e2e import registry, replay
from harness.e2e.runner import RunOptions, run_scenario


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("scenario_id", ["e2e_durability_sidecar_lifecycle", "e2e_ledger_tamper_detection"])
def test_packet_scenario_passes_and_replays(root: Path, scenario_id: str) -> None:
    result = run_scenario(registry.get(scenario_id), RunOptions())
    assert result.status == "pass", result.failure_summary
    again = replay(root / "artifacts" / "e2e" / f"{scenario_id}.e2e.json")
    assert again.ok, [d.render() for d in again.differences]


def test_every_packet_is_listed_in_order() -> None:
    assert registry.packets()[:1] == ["P2C-001"]
    assert {"DURABILITY", "LEDGER"} <= set(registry.packets())
