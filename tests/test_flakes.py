"""fjh flakes: N runs of a command, per-run records, flaky tests named, the report schema-checked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.gates.flakes import FlakesError, detect_flakes, expand_command, parse_junit, write_report
from harness.schemas import read_json

SAMPLE = """
import pathlib

COUNTER = pathlib.Path(__file__).with_name("counter.txt")


def test_stable():
    assert True


def test_flaky():
    n = int(COUNTER.read_text()) if COUNTER.exists() else 0
    COUNTER.write_text(str(n + 1))
    assert n % 2 == 0, "fails on every second run"


def test_skipped():
    import pytest
    pytest.skip("not here")
"""


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "test_sample.py").write_text(SAMPLE)
    return tmp_path


def test_flaky_test_is_named_and_the_rate_counted(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = f"{{python}} -m pytest -q -p no:cacheprovider {root / 'suite'}"
    assert main(["flakes", "--runs", "3", "--command", command]) == 1
    out = capsys.readouterr().out
    assert "flake rate 0.333" in out and "test_flaky" in out
    report = read_json(root / "artifacts" / "flakes" / "flake-report.v1.json", "frankenjax.flake-report.v1")
    assert (report["runs"], report["passes"], report["fails"]) == (3, 2, 1)
    assert report["flaky_tests"] == ["suite.test_sample::test_flaky"]
    assert report["always_failing_tests"] == []
    assert [r["passed"] for r in report["per_run"]] == [True, False, True]
    for run in report["per_run"]:
        assert (root / run["log"]).is_file() and (root / run["junit"]).is_file()
        assert run["tests_passed"] >= 1 and run["tests_skipped"] == 1 and run["seconds"] > 0
        assert (root / (run["log"] + ".fjsc") / "manifest.json").is_file()
    assert (root / "artifacts" / "flakes" / "flake-report.v1.json.fjsc").is_dir()


def test_a_stable_command_passes_and_old_runs_are_cleared(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = root / "artifacts" / "flakes" / "runs" / "run-09.log"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    assert main(["flakes", "--runs", "2", "--json", "--command", "{python} -c 'print(1)'"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["rate"] == 0.0 and report["per_run"][0]["junit"] is None
    assert not stale.exists()


def test_a_run_past_its_timeout_fails(root: Path) -> None:
    report = detect_flakes(1, [sys.executable, "-c", "import time; time.sleep(30)"], timeout_seconds=0.5)
    assert report.fails == 1 and report.runs[0].timed_out
    write_report(report)


def test_bad_commands_are_typed_errors(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(FlakesError):
        expand_command([], root / "x.xml")
    assert main(["flakes", "--runs", "0", "--command", "true"]) == 2
    assert main(["flakes", "--runs", "1", "--command", "/nonexistent/binary"]) == 2
    assert "FJ-FLAKES-COMMAND" in capsys.readouterr().err
    assert main(["flakes", "--runs", "1", "--max-rate", "2"]) == 2


def test_expand_command_and_junit_parsing(tmp_path: Path) -> None:
    argv, junit = expand_command(["{python}", "-m", "pytest", "-q"], tmp_path / "j.xml")
    assert argv[0] == sys.executable and argv[-1] == f"--junitxml={tmp_path / 'j.xml'}" and junit
    argv, junit = expand_command(["runner", "--xml={junit}"], tmp_path / "j.xml")
    assert argv == ["runner", f"--xml={tmp_path / 'j.xml'}"] and junit
    assert parse_junit(tmp_path / "missing.xml") == {}
    (tmp_path / "bad.xml").write_text("<testsuite")
    assert parse_junit(tmp_path / "bad.xml") == {}
