"""fjh gates: order, skip/only, the report, and each gate on small trees built here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.gates import ORDER, GatesOptions, run_gates, write_report
from harness.gates.base import deep_merge, load_budgets
from harness.schemas import read_json

REPO = Path(__file__).resolve().parent.parent


def budgets(**sections: Any) -> dict[str, Any]:
    """The repository's budgets with sections replaced (deep-merged)."""
    doc = json.loads((REPO / "ci" / "reliability_budgets.v1.json").read_text())
    return deep_merge(doc, sections)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    (tmp_path / "ci").mkdir()
    write_budgets(tmp_path, budgets())
    return tmp_path


def write_budgets(root: Path, doc: dict[str, Any]) -> Path:
    path = root / "ci" / "reliability_budgets.v1.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def gate(root: Path, name: str, **extra: Any) -> Any:
    report = run_gates(GatesOptions(only={name}, extra=extra))
    (result,) = [r for r in report.results if r.name == name]
    return result


# --- the runner -----------------------------------------------------------------------------------


def test_repository_budgets_are_valid_for_every_profile() -> None:
    for profile in ("ci", "full"):
        merged, digest = load_budgets(REPO / "ci" / "reliability_budgets.v1.json", profile)
        assert len(digest) == 64
        assert merged["coverage_gate"]["packages"]["frankenjax_ref"]["line"] > 0
    ci, _ = load_budgets(REPO / "ci" / "reliability_budgets.v1.json", "ci")
    full, _ = load_budgets(REPO / "ci" / "reliability_budgets.v1.json", "full")
    assert ci["coverage_gate"]["collect"] is False and full["coverage_gate"]["collect"] is True
    assert full["flake_gate"]["runs"] == 10 and full["flake_gate"]["max_flake_rate"] == 0.0
    assert ci["flake_gate"]["runs"] < full["flake_gate"]["runs"]


def test_order_only_skip_and_report(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gates", "--only", "schema", "--only", "durability"]) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out
    report = read_json(root / "artifacts" / "ci" / "gates.v1.json", "frankenjax.gates-report.v1")
    assert [g["name"] for g in report["gates"]] == list(ORDER)
    assert {g["name"]: g["status"] for g in report["gates"]} == {
        "coverage": "skipped",
        "flakes": "skipped",
        "crash": "skipped",
        "schema": "pass",
        "durability": "pass",
        "performance": "skipped",
        "runtime": "skipped",
    }
    assert report["ok"] is True and report["profile"] == "full"
    assert (root / "artifacts" / "ci" / "gates.v1.json.fjsc" / "manifest.json").is_file()
    skip_all_but_schema = [f"--skip-{g}" for g in ORDER if g != "schema"]
    assert main(["gates", *skip_all_but_schema, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [g["name"] for g in doc["gates"] if g["enabled"]] == ["schema"]


def exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse's usage errors
        return int(exc.code or 0)


def test_bad_input_exits_2(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["gates", "--only", "nope"]) == 2
    assert main(["gates", "--profile", "nope", "--only", "schema"]) == 2
    assert "FJ-GATES-UNKNOWN" in capsys.readouterr().err
    doc = budgets()
    del doc["coverage_gate"]
    write_budgets(root, doc)
    assert main(["gates", "--only", "schema"]) == 2
    assert "FJ-GATES-BUDGETS" in capsys.readouterr().err
    assert main(["gates", "--flake-runs", "0"]) == 2


def test_a_gate_that_crashes_is_an_error_and_fails_the_run(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.gates import schema_gate

    def boom(ctx: Any) -> Any:
        raise RuntimeError("gate bug")

    monkeypatch.setattr(schema_gate, "run", boom)
    assert main(["gates", "--only", "schema"]) == 1
    out = capsys.readouterr().out
    assert "ERROR" in out and "FAILED" in out
    report = read_json(root / "artifacts" / "ci" / "gates.v1.json", "frankenjax.gates-report.v1")
    schema = next(g for g in report["gates"] if g["name"] == "schema")
    assert "RuntimeError: gate bug" in schema["summary"] and "traceback" in schema["details"]


# --- schema gate ----------------------------------------------------------------------------------


def _write(root: Path, relative: str, content: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _gates_report(root: Path) -> dict[str, Any]:
    report = run_gates(GatesOptions(only={"schema"}))
    return {"status": report.results[3].status, **report.results[3].details}


def test_schema_gate_accepts_declared_valid_artifacts(root: Path) -> None:
    report = run_gates(GatesOptions(only={"schema"}))
    write_report(report)  # a gates report with its sidecar: both must pass the next schema gate
    _write(root, "corpus/ir_deserializer/seed/not-json", b"\x00\xff{")
    _write(root, "artifacts/x/summary.md", "# fine\n")
    _write(root, "artifacts/x/run.log", "ok\n")
    _write(root, "artifacts/x/junit.xml", "<testsuite tests='0'/>")
    _write(root, "artifacts/x/.summary.json.abc.tmp", "{torn")  # atomic-write leftover: hidden, skipped
    result = gate(root, "schema")
    assert result.status == "pass", result.details["failures"]
    assert result.details["hidden_skipped"] == 1
    assert result.details["by_kind"]["binary"] >= 7  # 6 shares of the report's sidecar + the seed
    assert result.details["by_kind"]["json"] >= 2  # the report + its manifest


@pytest.mark.parametrize(
    ("relative", "content", "problem"),
    [
        ("artifacts/a.json", '{"no": "schema field"}', 'no top-level "schema" field'),
        ("artifacts/b.json", '{"schema": "frankenjax.nope.v1"}', "not in artifacts/schemas"),
        ("artifacts/c.json", '{"schema": "frankenjax.gates-report.v1"}', "does not match schema"),
        ("artifacts/d.json", "{not json", "not JSON"),
        ("artifacts/e.jsonl", '{"schema": "frankenjax.flake-report.v1"}\n', "line 1"),
        ("artifacts/f.xml", "<testsuite>", "not well-formed XML"),
        ("artifacts/g.bin", b"\x00", "no schema_gate rule"),
        ("artifacts/h.md", b"\xff\xfe", "not UTF-8"),
    ],
)
def test_schema_gate_rejects(root: Path, relative: str, content: str | bytes, problem: str) -> None:
    _write(root, relative, content)
    result = gate(root, "schema")
    assert result.status == "fail"
    (failure,) = result.details["failures"]
    assert failure["path"] == relative and problem in failure["problem"]


def test_schema_gate_checks_schema_files(root: Path) -> None:
    _write(
        root, "artifacts/schemas/frankenjax.thing.v1.schema.json", json.dumps({"$id": "frankenjax.other.v1"})
    )
    assert "$id" in gate(root, "schema").details["failures"][0]["problem"]
    _write(root, "artifacts/schemas/frankenjax.thing.v1.schema.json", json.dumps({"type": 12}))
    assert "not a valid JSON Schema" in gate(root, "schema").details["failures"][0]["problem"]


# --- durability gate ------------------------------------------------------------------------------


def test_durability_gate(root: Path) -> None:
    from harness.durability import generate_sidecar

    artifact = _write(root, "artifacts/e2e/x.e2e.json", '{"k": 1}\n')
    assert gate(root, "durability").status == "fail"  # no sidecar
    generate_sidecar(artifact)
    ok = gate(root, "durability")
    assert ok.status == "pass" and ok.details["artifacts"] == 1
    artifact.write_text('{"k": 2}\n')
    damaged = gate(root, "durability")
    assert damaged.status == "fail" and damaged.details["failing"][0]["status"] == "damaged"


# --- coverage gate --------------------------------------------------------------------------------

PKG = """
def covered(x):
    if x > 0:
        return 1
    return 2


def uncovered():
    return 3
"""


def _coverage_data(root: Path) -> Path:
    _write(root, "pkg/__init__.py", "")
    _write(root, "pkg/mod.py", PKG)
    _write(root, "pkg/untouched.py", "X = 1\nY = 2\n")
    data = root / ".coverage"
    _write(root, "drive.py", "import pkg.mod\npkg.mod.covered(1)\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            "--branch",
            f"--data-file={data}",
            "--source=pkg",
            "drive.py",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return data


def test_coverage_gate_measures_line_and_branch_per_package(root: Path) -> None:
    _coverage_data(root)
    floors = {"pkg": {"line": 50.0, "branch": 50.0}}
    doc = budgets(coverage_gate={"collect": False})
    doc["coverage_gate"]["packages"] = floors
    write_budgets(root, doc)
    result = gate(root, "coverage")
    pkg = result.details["packages"]["pkg"]
    # mod.py: 6 statements, 4 run; untouched.py: 2 statements, none run (it still counts)
    assert pkg["statements"] == 8 and pkg["line"] == 50.0
    assert pkg["branches"] == 2 and pkg["branch"] == 50.0
    assert result.status == "pass"
    under = {m["module"] for m in pkg["modules_under_floor"]}
    assert under == {"pkg/untouched.py"}
    doc["coverage_gate"]["packages"] = {
        "pkg": {"line": 90.0, "branch": 50.0, "target_line": 95.0, "note": "why"}
    }
    write_budgets(root, doc)
    failed = gate(root, "coverage")
    assert failed.status == "fail" and "pkg 50.0% line" in failed.summary


def test_coverage_gate_without_data_is_an_error(root: Path) -> None:
    write_budgets(root, budgets(coverage_gate={"collect": False}))
    result = gate(root, "coverage")
    assert result.status == "error" and "make test" in result.summary


def test_coverage_gate_collects_when_told(root: Path) -> None:
    _coverage_data(root)
    (root / ".coverage").unlink()
    command = ["{python}", "-m", "coverage", "run", "--branch", "--source=pkg", "drive.py"]
    doc = budgets(coverage_gate={"collect": True, "collect_command": command})
    doc["coverage_gate"]["packages"] = {"pkg": {"line": 10.0, "branch": 0.0}}
    write_budgets(root, doc)
    result = gate(root, "coverage")
    assert result.status == "pass" and result.details["collect_exit"] == 0
    doc["coverage_gate"]["collect_command"] = ["{python}", "-c", "raise SystemExit(3)"]
    write_budgets(root, doc)
    assert gate(root, "coverage").summary == "the coverage run's tests failed (exit 3)"


# --- flake gate -----------------------------------------------------------------------------------


def test_flake_gate(root: Path) -> None:
    write_budgets(root, budgets(flake_gate={"command": ["{python}", "-c", "pass"], "runs": 3}))
    result = gate(root, "flakes", flake_runs=2)
    assert result.status == "pass" and result.details["runs"] == 2
    report = run_gates(GatesOptions(only={"flakes", "runtime"}, extra={"flake_runs": 1}))
    assert report.results[-1].details["stages"]["tests"]["state"] in (
        "ok",
        "over",
    )  # measured by the flake run
    write_budgets(root, budgets(flake_gate={"command": ["{python}", "-c", "raise SystemExit(1)"]}))
    failed = gate(root, "flakes", flake_runs=1)
    assert failed.status == "fail" and failed.details["rate"] == 1.0


def test_flake_gate_counts_the_ci_test_run(root: Path) -> None:
    junit = '<testsuites><testsuite time="3.5"><testcase classname="t" name="a"/></testsuite></testsuites>'
    _write(root, "build/ci/pytest.junit.xml", junit)
    doc = budgets(
        flake_gate={"command": ["{python}", "-c", "pass"], "include_junit": "build/ci/pytest.junit.xml"}
    )
    write_budgets(root, doc)
    result = gate(root, "flakes", flake_runs=2)
    report = read_json(root / "artifacts" / "flakes" / "flake-report.v1.json", "frankenjax.flake-report.v1")
    assert result.status == "pass" and report["runs"] == 2
    assert (
        report["per_run"][0]["junit"] == "build/ci/pytest.junit.xml"
        and report["per_run"][0]["seconds"] == 3.5
    )
    failing = junit.replace('name="a"/>', 'name="a"><failure message="x"/></testcase>')
    _write(root, "build/ci/pytest.junit.xml", failing)
    assert gate(root, "flakes", flake_runs=2).status == "fail"


# --- performance gate -----------------------------------------------------------------------------


def _fake_measure(monkeypatch: pytest.MonkeyPatch, *tables: dict[str, float]) -> None:
    from harness.gates import perf

    calls = iter(tables)

    def measure(rounds: int = 5) -> dict[str, Any]:
        table = next(calls)
        return {
            "calibration_seconds": 0.1,
            "rounds": rounds,
            "benchmarks": {k: {"seconds": v / 10, "normalized": v} for k, v in table.items()},
        }

    monkeypatch.setattr(perf, "measure", measure)


def test_performance_gate(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert gate(root, "performance").status == "error"  # no baseline yet
    _fake_measure(monkeypatch, {"a": 1.0, "b": 2.0})
    saved = gate(root, "performance", update_perf_baseline=True)
    assert saved.status == "pass"
    read_json(root / "ci" / "perf_baseline.v1.json", "frankenjax.perf-baseline.v1")
    _fake_measure(monkeypatch, {"a": 1.5, "b": 2.0})
    assert gate(root, "performance").status == "pass"  # +50% is within the 100% budget
    _fake_measure(monkeypatch, {"a": 2.5, "b": 2.0}, {"a": 1.2, "b": 2.0})
    noisy = gate(root, "performance")
    assert noisy.status == "pass" and noisy.details["benchmarks"]["a"]["remeasured"]
    _fake_measure(monkeypatch, {"a": 2.5, "b": 2.0}, {"a": 2.4, "b": 2.0})
    slow = gate(root, "performance")
    assert slow.status == "fail" and "a +140%" in slow.summary
    _fake_measure(monkeypatch, {"a": 1.0, "b": 2.0, "c": 1.0})
    assert "c has no baseline" in gate(root, "performance").summary


# --- runtime gate ---------------------------------------------------------------------------------


def test_runtime_gate(root: Path) -> None:
    _write(
        root, "build/ci/pytest.junit.xml", '<testsuites><testsuite name="pytest" time="12.5"/></testsuites>'
    )
    log = {"packet_id": "P2C-001", "scenario_id": "e2e_p2c001_x", "timings": {"total_seconds": 7.0}}
    _write(root, "artifacts/e2e/e2e_p2c001_x.e2e.json", json.dumps(log))
    write_budgets(root, budgets(runtime_gate={"stages": {"tests:coverage": 20, "e2e:P2C-001": 5}}))
    result = gate(root, "runtime")
    stages = result.details["stages"]
    assert stages["tests:coverage"] == {"seconds": 12.5, "budget": 20.0, "state": "ok"}
    assert stages["e2e:P2C-001"] == {"seconds": 7.0, "budget": 5.0, "state": "over"}
    assert result.status == "fail" and "e2e:P2C-001 7s > 5s" in result.summary
    report = run_gates(GatesOptions(only={"schema", "runtime"}, skip={"durability"}))
    assert report.results[-1].details["stages"]["gate:schema"]["state"] in ("ok", "unbudgeted")


# --- crash gate -----------------------------------------------------------------------------------


def test_crash_gate_with_an_empty_index_passes(root: Path) -> None:
    result = gate(root, "crash")
    assert result.status == "pass" and result.details["entries"] == 0
