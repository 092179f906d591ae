"""fjh conformance: a live-captured bundle through the reference, reports, known divergences, bad bundles."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.conformance.capture import capture
from harness.conformance.fixtures import FixtureError, bundle_path, read_bundle
from harness.conformance.inventory import primitives_table
from harness.conformance.report import read_report
from harness.conformance.runner import run_case, run_conformance

pytest.importorskip("jax")

CASES = [
    "seed.sin_x.float64.jit.*",
    "seed.square.float64.grad.*",
    "prim.sin.int32",
    "prim.neg.float32.normal",
    "prim.nextafter.float64.normal.grad",
    "prim.reshape.3x2.float64.normal",
]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fx")
    result = capture(output_dir=out, patterns=CASES, strict=True, jobs=0)
    assert result.ok
    return out


def _copy(bundles: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "fx"
    shutil.copytree(bundles, dst)
    return dst


def test_conformance_on_a_live_capture(bundles: Path, tmp_path: Path) -> None:
    report = run_conformance([bundles], report_dir=tmp_path, jobs=0)
    t = report.totals
    assert t["cases"] == 6 + 6 + 1 + 5 + 1 + 5 and t["pass"] == t["cases"] and report.ok
    assert set(report.families) == {"seed", "prim.elementwise", "prim.shape"}
    by_id = {r["case_id"]: r for r in report.results}
    assert by_id["prim.sin.int32.rejected"]["kind"] == "error_agrees"
    assert by_id["prim.sin.int32.rejected"]["reference_error"]["code"] == "FJ-PRIM-DTYPE"
    assert "FJ-RULE-MISSING" in by_id["prim.nextafter.float64.normal.grad"]["reference_error"]["codes"]
    assert by_id["seed.sin_x.float64.jit.0"]["max_ulp"] is not None
    assert report.primitives["sin"]["cases"] == 7 and report.primitives["sin"]["primary_cases"] == 1
    assert report.primitives["reduce_sum"]["primary_cases"] == 0  # counted only where it appears
    # the three renderings
    doc = read_report(report.files["json"])
    assert doc["totals"] == t and len(doc["results"]) == t["cases"]
    md = Path(report.files["markdown"]).read_text()
    assert "## Per primitive" in md and "## Error histogram" in md and "## Worst errors" in md
    junit = ET.parse(report.files["junit"]).getroot()
    assert (
        junit.tag == "testsuites" and junit.get("tests") == str(t["cases"]) and junit.get("failures") == "0"
    )
    assert {s.get("name") for s in junit} == set(report.families)


def _tamper(path: Path, case_id: str, fn: Any) -> None:
    """Change one case of a bundle file in place (keeping the file's one-case-per-line layout)."""
    lines = path.read_text().split("\n")
    for i, line in enumerate(lines):
        if f'"case_id":"{case_id}"' in line:
            comma = line.endswith(",")
            case = json.loads(line.rstrip(","))
            fn(case)
            lines[i] = json.dumps(case, sort_keys=True, separators=(",", ":")) + ("," if comma else "")
    path.write_text("\n".join(lines))


def test_a_failing_case_is_reported_and_exits_1(bundles: Path, tmp_path: Path) -> None:
    fx = _copy(bundles, tmp_path)

    def wrong(case: dict[str, Any]) -> None:
        case["expected"]["outputs"][0]["data"] = [1.5]

    _tamper(bundle_path(fx, "seed"), "seed.square.float64.grad.2", wrong)
    rc = main(
        [
            "conformance",
            "--fixtures",
            str(fx),
            "--report-dir",
            str(tmp_path / "r"),
            "--jobs",
            "0",
            "--quiet",
            "--junit",
            str(tmp_path / "junit.xml"),
        ]
    )
    assert rc == 1
    report = read_report(tmp_path / "r" / "parity-report.v1.json")
    assert report["totals"]["fail"] == 1 and report["histogram"]["failure_kinds"] == {"value": 1}
    bad = next(r for r in report["results"] if r["status"] == "fail")
    assert bad["case_id"] == "seed.square.float64.grad.2" and bad["max_abs_err"] == 2.5
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert junit.get("failures") == "1"


def test_known_divergences_are_never_pass(bundles: Path, tmp_path: Path) -> None:
    kd = tmp_path / "kd.json"
    kd.write_text(
        json.dumps(
            {
                "schema": "frankenjax.known-divergences.v1",
                "reviewed_by": "t",
                "reviewed_at": "2025-01-01",
                "divergences": [
                    {
                        "id": "KD-0001",
                        "kind": "value",
                        "cases": ["prim.neg.float32.*"],
                        "reason": "a test entry: these cases pass but are listed",
                        "evidence": "https://example.org",
                        "added": "2025-01-01",
                        "reviewed_by": "t",
                    }
                ],
            }
        )
    )
    report = run_conformance([bundles], report_dir=tmp_path / "r", jobs=0, known_divergences=kd)
    kd_rows = [r for r in report.results if r["status"] == "known_divergence"]
    assert len(kd_rows) == 5 and all(
        r["divergence"] == "KD-0001" and r["still_diverges"] is False for r in kd_rows
    )
    assert report.ok and report.totals["known_divergence"] == 5
    assert report.histogram["known_divergences"] == {"KD-0001": 5}


def _run_bad(fx: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    reports = tmp_path / "r"
    reports.mkdir(exist_ok=True)
    sentinel = reports / "parity-report.v1.json"
    sentinel.write_text("previous report")
    before = {str(p.relative_to(fx)): p.read_bytes() for p in fx.rglob("*") if p.is_file()}
    rc = main(["conformance", "--fixtures", str(fx), "--report-dir", str(reports), "--jobs", "0", "--quiet"])
    assert rc == 2
    assert sentinel.read_text() == "previous report"  # nothing already written is overwritten
    assert {str(p.relative_to(fx)): p.read_bytes() for p in fx.rglob("*") if p.is_file()} == before
    return capsys.readouterr().err


def test_bad_schema_is_a_typed_error(
    bundles: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fx = _copy(bundles, tmp_path)
    _tamper(bundle_path(fx, "seed"), "seed.sin_x.float64.jit.0", lambda c: c.pop("tolerance"))
    err = _run_bad(fx, tmp_path, capsys)
    assert "FJ-SCHEMA-INVALID" in err and "seed.bundle.json" in err


def test_wrong_dtype_is_a_typed_error(
    bundles: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fx = _copy(bundles, tmp_path)

    def int_data_claims_float(case: dict[str, Any]) -> None:
        case["inputs"][0]["dtype"] = "int32"  # the data are floats: no longer decodable

    _tamper(bundle_path(fx, "seed"), "seed.sin_x.float64.jit.2", int_data_claims_float)
    err = _run_bad(fx, tmp_path, capsys)
    assert "FJ-FIXTURE-INVALID" in err and "seed.sin_x.float64.jit.2" in err and "inputs[0]" in err

    fx2 = _copy(bundles, tmp_path / "b")

    def unknown_dtype(case: dict[str, Any]) -> None:
        case["expected"]["outputs"][0]["dtype"] = "float33"

    _tamper(bundle_path(fx2, "seed"), "seed.sin_x.float64.jit.2", unknown_dtype)
    assert "FJ-SCHEMA-INVALID" in _run_bad(fx2, tmp_path / "b", capsys)


def test_truncated_file_is_a_typed_error(
    bundles: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fx = _copy(bundles, tmp_path)
    path = bundle_path(fx, "prim.elementwise")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    err = _run_bad(fx, tmp_path, capsys)
    assert "FJ-IO-READ" in err and "prim.elementwise.bundle.json" in err


def test_a_changed_program_is_detected(
    bundles: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fx = _copy(bundles, tmp_path)

    def swap_primitive(case: dict[str, Any]) -> None:
        case["ir"]["jaxpr"]["equations"][0]["primitive"] = "cos"

    _tamper(bundle_path(fx, "seed"), "seed.sin_x.float64.jit.1", swap_primitive)
    err = _run_bad(fx, tmp_path, capsys)
    assert "FJ-FIXTURE-INVALID" in err and "ir_fingerprint" in err


def test_duplicate_ids_and_missing_bundles(
    bundles: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fx = _copy(bundles, tmp_path)
    shutil.copy(bundle_path(fx, "seed"), fx / "seed-copy.bundle.json")
    with pytest.raises(FixtureError) as err:
        run_conformance([fx], write=False, jobs=0)
    assert err.value.code in ("FJ-FIXTURE-DUPLICATE", "FJ-FIXTURE-INVALID")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (
        main(["conformance", "--fixtures", str(empty), "--report-dir", str(tmp_path / "r2"), "--quiet"]) == 2
    )
    assert "FJ-FIXTURE-NONE" in capsys.readouterr().err


def test_reference_disagreements_are_case_results_not_bundle_errors(bundles: Path) -> None:
    case = next(
        c
        for c in read_bundle(bundle_path(bundles, "prim.elementwise")).cases
        if c["case_id"] == "prim.sin.int32.rejected"
    )
    flipped = dict(case, probe=dict(case["probe"], operands=[{"shape": [4], "dtype": "float32"}]))
    result = run_case(flipped)  # the reference accepts float32 sin: it disagrees with the expected rejection
    assert result["status"] == "fail" and result["kind"] == "no_error"


def test_primitives_table_reads_the_latest_report(
    bundles: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FJH_ROOT", str(tmp_path))
    before = primitives_table()
    assert before.report is None and all(r.cases is None for r in before.rows)
    run_conformance([bundles], jobs=0)  # default report dir under FJH_ROOT
    table = primitives_table()
    rows = {r.primitive: r for r in table.rows}
    assert table.report is not None and rows["sin"].cases == 7 and rows["sin"].passing == 7
    assert rows["sin"].rules["impl"] and rows["sin"].rules["jvp"] and not rows["sin"].rules["transpose"]
    assert rows["jit"].rules["partial_eval"] and rows["jit"].rules["partial_eval_jaxpr"]
    assert rows["expand_dims"].note.startswith("not a JAX primitive")
    assert main(["primitives", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert any(r["primitive"] == "neg" and r["primary_cases"] == 5 for r in out["rows"])
    assert main(["primitives"]) == 0
    assert "abstract_eval" in capsys.readouterr().out
