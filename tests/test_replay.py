"""fjh replay: reproduce from the log alone; diffs on any difference; damaged or edited logs refused."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.e2e import registry, replay
from harness.e2e.model import Scenario, ScenarioContext, Step
from harness.e2e.runner import RunOptions, run_scenario

SCENARIO = "e2e_p2c001_transform_stack_composition"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    return tmp_path


@pytest.fixture
def log(root: Path) -> Path:
    result = run_scenario(registry.get(SCENARIO), RunOptions())
    assert result.status == "pass"
    return root / "artifacts" / "e2e" / f"{SCENARIO}.e2e.json"


def _edit(path: Path, change: Any, *, residecar: bool) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True))
    if residecar:
        from harness.durability import generate_sidecar

        generate_sidecar(path, force=True)


def test_replay_reproduces_a_fresh_log(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(log)]) == 0
    assert "REPRODUCED" in capsys.readouterr().out
    result = replay(log)
    assert result.ok and result.replay_status == "pass" and result.compared_keys >= 6


def test_replay_uses_the_logged_inputs_not_fresh_ones(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Change an input (and its fixture_id, as a new run would): the outputs move, the replay says so."""
    from harness.e2e import values

    def change(doc: dict[str, Any]) -> None:
        doc["inputs"]["x"] = values.encode(__import__("numpy").float64(4.0))
        doc["fixture_id"] = values.fixture_id(doc["inputs"])

    _edit(log, change, residecar=True)
    assert main(["replay", str(log)]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS" in out
    assert "--- logged   actual.x_squared:jit(grad)" in out and "+++ replayed" in out
    assert "8.0" in out  # d/dx x^2 at 4


def test_an_edited_output_is_a_difference(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["actual"]["program_fingerprint"] = "0" * 64

    _edit(log, change, residecar=True)
    assert main(["replay", "--json", str(log)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["results"][0]["differences"][0]["path"] == "actual.program_fingerprint"


def test_edited_inputs_without_a_new_fixture_id_are_refused(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["inputs"]["program"] = "sin_x_times_x"

    _edit(log, change, residecar=True)
    assert main(["replay", str(log)]) == 2
    assert "fixture_id" in capsys.readouterr().err


def test_a_damaged_log_is_refused_then_repaired(log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(log.read_bytes())
    data[100] ^= 0x20
    log.write_bytes(bytes(data))
    assert main(["replay", str(log)]) == 2
    err = capsys.readouterr().err
    assert "FJ-E2E-LOG" in err and "fjh durability repair --artifact" in err
    assert main(["durability", "repair", "--artifact", str(log)]) == 0
    capsys.readouterr()
    assert main(["replay", str(log)]) == 0


def test_missing_log_and_unknown_scenario(root: Path, log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(root / "nope.e2e.json")]) == 2

    def change(doc: dict[str, Any]) -> None:
        doc["scenario_id"] = "e2e_p2c001_gone"

    _edit(log, change, residecar=True)
    assert main(["replay", str(log)]) == 2
    assert "FJ-E2E-UNKNOWN-SCENARIO" in capsys.readouterr().err


def test_nondeterminism_is_caught(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def noisy(ctx: ScenarioContext) -> None:
        ctx.observe("noise", os.urandom(8).hex())

    scenario = Scenario(
        "e2e_test_noisy", "TEST", "reads the OS's randomness", lambda o: {}, (Step("noisy", noisy),)
    )
    registry.all_scenarios()
    monkeypatch.setitem(registry._REGISTRY, scenario.id, scenario)
    run_scenario(scenario, RunOptions())
    result = replay(root / "artifacts" / "e2e" / "e2e_test_noisy.e2e.json")
    assert not result.ok
    assert result.differences[0].path == "actual.noise"


def test_a_log_of_a_run_without_inputs_cannot_be_replayed(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.e2e.model import E2EError

    def no_inputs(options: RunOptions) -> dict[str, Any]:
        raise E2EError("FJ-E2E-INPUTS", "nothing to read")

    scenario = Scenario("e2e_test_noinput", "TEST", "no inputs", no_inputs, (Step("s", lambda ctx: None),))
    registry.all_scenarios()
    monkeypatch.setitem(registry._REGISTRY, scenario.id, scenario)
    run_scenario(scenario, RunOptions())
    with pytest.raises(E2EError, match="nothing to replay"):
        replay(root / "artifacts" / "e2e" / "e2e_test_noinput.e2e.json")
