"""The main job (``fjh run``) on a small slice in a scratch root: capture, conformance, durability."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.mainjob import JobOptions, StepResult, run_job

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def scratch_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "ci", tmp_path / "ci")
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    return tmp_path


def test_quick_main_job_end_to_end(scratch_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--quick", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    for step in ("demo", "capture", "conformance", "durability"):
        assert step in out
    summary = json.loads((scratch_root / "artifacts/run/summary.json").read_text())
    assert summary["ok"] and [s["name"] for s in summary["steps"]] == [
        "demo",
        "capture",
        "conformance",
        "durability",
    ]
    conformance = summary["steps"][2]["figures"]
    assert conformance["cases"] > 0 and conformance["fail"] == 0 and conformance["error"] == 0
    # everything the job wrote has an intact sidecar, the summary included
    assert (scratch_root / "artifacts/run/summary.json.fjsc/manifest.json").is_file()
    assert main(["durability", "scrub", "--all"]) == 0


def test_a_failing_step_stops_the_job_and_is_reported() -> None:
    ran: list[str] = []

    def step_one(options: JobOptions) -> StepResult:
        ran.append("one")
        return StepResult("one", "fail", detail="broken on purpose")

    def step_two(options: JobOptions) -> StepResult:
        ran.append("two")
        return StepResult("two", "pass")

    def step_boom(options: JobOptions) -> StepResult:
        raise ZeroDivisionError("crash inside a step")

    result = run_job(JobOptions(), [step_one, step_two])
    assert ran == ["one"] and not result.ok and result.steps[0].detail == "broken on purpose"
    crashed = run_job(JobOptions(), [step_boom])
    assert crashed.steps[0].status == "error" and "ZeroDivisionError" in crashed.steps[0].detail
