"""frankenjax-v1 interop: export to and import from the Rust FrankenJAX's transform-fixture format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness.cli import main
from harness.conformance.capture import capture
from harness.conformance.interop import (
    InteropError,
    decode_value,
    encode_value,
    export_v1,
    import_v1,
    read_v1,
)
from harness.errors import SchemaError
from harness.oracle import NO_JAX_ENV


@pytest.fixture(scope="module")
def seed_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The analytical-fallback seed bundle: no JAX needed, every seed program and stack."""
    out = tmp_path_factory.mktemp("seed")
    mp = pytest.MonkeyPatch()
    mp.setenv(NO_JAX_ENV, "1")
    try:
        capture(
            output_dir=out,
            patterns=["seed.add2", "seed.square", "seed.dot3", "seed.reduce_sum_vec", "seed.sin_x"],
            jobs=0,
        )
    finally:
        mp.undo()
    return out


def test_values_round_trip_in_the_tagged_form() -> None:
    for arr in (
        np.float64(2.5),
        np.int64(-7),
        np.arange(3.0),
        np.arange(4).reshape(2, 2),
        np.zeros((2, 0, 3)),
    ):
        tagged = encode_value(np.asarray(arr))
        assert tagged is not None
        back = decode_value(tagged, "v")
        assert back.dtype == np.asarray(arr).dtype and back.shape == np.shape(arr)
        np.testing.assert_array_equal(back, arr)
    assert encode_value(np.float64(2.5)) == {"kind": "scalar_f64", "value": 2.5}
    assert encode_value(np.arange(2)) == {"kind": "vector_i64", "values": [0, 1]}
    assert encode_value(np.ones((1, 2))) == {"kind": "tensor_f64", "shape": [1, 2], "values": [1.0, 1.0]}
    assert encode_value(np.float32(1.0)) is None and encode_value(np.array([np.nan])) is None
    with pytest.raises(InteropError):
        decode_value({"kind": "tensor_i64", "shape": [3], "values": [1, 2]}, "v")
    with pytest.raises(InteropError):
        decode_value({"kind": "scalar_i64", "value": 1.5}, "v")


def test_export_writes_the_rust_format_exactly(seed_bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "legacy_transform_cases.v1.json"
    result = export_v1(out, [seed_bundle])
    doc = json.loads(out.read_text())
    assert set(doc) == {
        "schema_version",
        "generated_by",
        "generated_at_unix_ms",
        "capture_mode",
        "strict_capture",
        "cases",
    }
    assert doc["schema_version"] == "frankenjax.transform-fixtures.v1"
    assert doc["capture_mode"] == "analytical_fallback" and doc["strict_capture"] is False
    assert result.exported == len(doc["cases"]) > 50
    assert result.skipped == {
        "a value is not a finite float64/int64 array": result.considered - result.exported
    }
    cases = {c["case_id"]: c for c in doc["cases"]}
    for c in doc["cases"]:
        assert set(c) == {
            "case_id",
            "family",
            "mode",
            "program",
            "transforms",
            "comparator",
            "baseline_mismatch",
            "flaky",
            "args",
            "expected",
            "atol",
            "rtol",
        }
    grad = cases["seed.square.float64.grad.0"]
    assert grad["family"] == "grad" and grad["program"] == "square" and grad["transforms"] == ["grad"]
    assert grad["args"] == [{"kind": "scalar_f64", "value": -3.0}]
    assert grad["expected"] == [{"kind": "scalar_f64", "value": -6.0}]
    assert grad["comparator"] == "approx_atol_rtol" and grad["atol"] > 0 and grad["mode"] == "strict"
    jv = cases["seed.add2.int64.jit_vmap"]
    assert jv["transforms"] == ["jit", "vmap"] and jv["family"] == "jit" and jv["comparator"] == "exact"
    assert jv["args"][0]["kind"] == "vector_i64"
    dot = cases["seed.dot3.int64.vmap"]
    assert dot["args"][0] == {
        "kind": "tensor_i64",
        "shape": [4, 3],
        "values": [1, 2, 3, 2, 0, -1, 9, 9, 9, -2, -3, -4],
    }


def test_import_runs_the_exported_cases_through_conformance(seed_bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "exported.json"
    export_v1(out, [seed_bundle])
    result = import_v1(out, report_dir=tmp_path / "r", jobs=0)
    assert result.run == result.cases and not result.unsupported
    report = result.report
    assert report is not None and report.totals["cases"] == result.run
    # every case is run by the reference; the only non-passing ones are the reference's own open bugs
    bad = {r["case_id"] for r in report.failures()}
    assert bad <= {"seed.square_plus_linear.float64.vmap_grad"}
    assert Path(result.files["json"]).exists()


def _rust_file(tmp_path: Path, cases: list[dict[str, Any]]) -> Path:
    doc = {
        "schema_version": "frankenjax.transform-fixtures.v1",
        "generated_by": "legacy_jax_capture_script",
        "generated_at_unix_ms": 1700000000000,
        "oracle_root": "/dp/frankenjax/legacy_jax_code/jax",
        "capture_mode": "legacy_jax",
        "strict_capture": True,
        "metadata": {"jax_version": "0.4.30"},
        "cases": cases,
    }
    path = tmp_path / "rust.v1.json"
    path.write_text(json.dumps(doc))
    return path


def _case(
    case_id: str,
    program: str,
    transforms: list[str],
    args: list[Any],
    expected: list[Any],
    comparator: str = "approx_atol_rtol",
    tol: float = 1e-6,
) -> dict[str, Any]:
    return {
        "args": args,
        "atol": tol,
        "baseline_mismatch": False,
        "case_id": case_id,
        "comparator": comparator,
        "expected": expected,
        "family": transforms[0],
        "flaky": False,
        "mode": "strict",
        "program": program,
        "rtol": tol,
        "simulated_delay_ms": 0,
        "transforms": transforms,
    }


def test_import_a_rust_written_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = {"kind": "scalar_f64"}
    path = _rust_file(
        tmp_path,
        [
            _case(
                "jit_add2_i64_0",
                "add2",
                ["jit"],
                [{"kind": "scalar_i64", "value": 2}, {"kind": "scalar_i64", "value": 5}],
                [{"kind": "scalar_i64", "value": 7}],
                "exact",
                0.0,
            ),
            _case(
                "grad_sin_x_f64_0",
                "sin_x",
                ["grad"],
                [dict(f, value=-3.0)],
                [dict(f, value=-0.9899924966004454)],
            ),
            _case(
                "vmap_add_one_i64_0",
                "add_one",
                ["vmap"],
                [{"kind": "vector_i64", "values": [1, 2, 3]}],
                [{"kind": "vector_i64", "values": [2, 3, 4]}],
                "exact",
                0.0,
            ),
            _case(
                "jit_vmap_dot3",
                "dot3",
                ["jit", "vmap"],
                [
                    {"kind": "tensor_i64", "shape": [2, 3], "values": [1, 2, 3, 2, 0, -1]},
                    {"kind": "tensor_i64", "shape": [2, 3], "values": [4, 5, 6, 3, 7, 2]},
                ],
                [{"kind": "vector_i64", "values": [32, 4]}],
                "exact",
                0.0,
            ),
            _case("grad_lax_exp_f64_0", "lax_exp", ["grad"], [dict(f, value=0.0)], [dict(f, value=1.0)]),
            _case(
                "lax_fft",
                "add_one",
                ["jit"],
                [{"kind": "tensor_complex128", "shape": [1], "reals": [1.0], "imags": [0.0]}],
                [{"kind": "tensor_complex128", "shape": [1], "reals": [2.0], "imags": [0.0]}],
            ),
            _case("wrong_answer", "square", ["jit"], [dict(f, value=3.0)], [dict(f, value=10.0)]),
        ],
    )
    rc = main(["import", "--format", "frankenjax-v1", str(path), "--jobs", "0", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1  # the deliberately wrong expectation fails
    assert out["run"] == 5 and out["cases"] == 7
    assert {u["case_id"] for u in out["unsupported"]} == {"grad_lax_exp_f64_0", "lax_fft"}
    assert out["totals"]["pass"] == 4 and [f["case_id"] for f in out["failures"]] == ["wrong_answer"]


def test_malformed_rust_files_are_typed_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _rust_file(tmp_path, [_case("x", "square", ["jit"], [{"kind": "scalar_f64"}], [])])  # no "value"
    with pytest.raises(SchemaError):
        read_v1(path)
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "frankenjax.transform-fixtures.v1", "cases": [')
    assert main(["import", "--format", "frankenjax-v1", str(bad)]) == 2
    assert "FJ-IO-READ" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # argparse: the usage error carries the taxonomy's code
        main(["import", "--format", "other", str(bad)])
    assert usage.value.code == 2 and "FJ-CLI-USAGE" in capsys.readouterr().err


def test_export_with_nothing_expressible(tmp_path: Path) -> None:
    pytest.importorskip("jax")
    fx = tmp_path / "fx"
    capture(output_dir=fx, patterns=["prim.neg.float32.normal.jit"], jobs=0)
    with pytest.raises(InteropError) as err:
        export_v1(tmp_path / "out.json", [fx])
    assert err.value.code == "FJ-INTEROP-FORMAT"
    assert not (tmp_path / "out.json").exists()
