"""``fjh ir check``, ``fjh ir print`` and ``fjh eval`` through harness.cli.main."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ir_cases
import numpy as np
import pytest

from frankenjax_ref import ir
from harness.cli import main
from harness.fuzz.seeds import literal_for


def write(path: Path, obj: Any) -> str:
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return str(path)


def args_doc(*arrays: Any) -> dict[str, Any]:
    return {"schema": "frankenjax.args.v1", "args": [ir.encode_array(a) for a in arrays]}


@pytest.fixture
def program(tmp_path: Path) -> str:
    return write(tmp_path / "p.json", ir.dumps(ir_cases.spec_example()))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_ok(program: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "ir", "check", program)
    fp = ir.fingerprint(ir_cases.spec_example())
    assert code == 0 and err == ""
    assert out == f"ok {fp} 5 equations, (f64[3], ~f64[]) -> (f64[], f64[3])\n"


def test_check_json(program: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ir", "check", "--json", program)
    result = json.loads(out)
    assert code == 0
    assert result["fingerprint"] == ir.fingerprint(ir_cases.spec_example())
    assert result["equations"] == 5 and result["equations_total"] == 6
    assert result["in_avals"] == ["f64[3]", "~f64[]"] and result["out_avals"] == ["f64[]", "f64[3]"]


def test_print(program: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ir", "print", program)
    assert code == 0 and out == ir.pformat(ir_cases.spec_example()) + "\n"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\xff", "FJ-IR-SYNTAX"),
        ('{"schema": "frankenjax.ir.v0"}', "FJ-IR-VERSION"),
        (json.dumps({**ir_cases.base_doc(), "consts": []}), "FJ-IR-ARITY"),
        ("[" * 10_000, "FJ-IR-LIMIT"),
    ],
)
def test_check_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, code: str) -> None:
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    for command in ("check", "print"):
        rc, out, err = run(capsys, "ir", command, str(path))
        assert rc == 2 and out == ""
        assert f"[{code}]" in err and str(path) in err


def test_check_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "ir", "check", str(tmp_path / "nope.json"))
    assert rc == 2 and "[FJ-IO-NOT-FOUND]" in err
    rc, _, err = run(capsys, "ir", "check", str(tmp_path))
    assert rc == 2 and "[FJ-IO-READ]" in err


def test_eval(program: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = write(tmp_path / "args.json", args_doc(np.array([0.0, -0.0, np.nan]), np.float64(2.0)))
    rc, out, err = run(capsys, "eval", program, "--args", args)
    assert rc == 0, err
    outputs = [ir.decode_array(o) for o in json.loads(out)["outputs"]]
    expected = (2.0 * np.sin(np.array([0.0, -0.0, np.nan])) + np.arange(3.0)) ** 3
    assert outputs[1].dtype == np.float64 and outputs[1].shape == (3,)
    np.testing.assert_array_equal(outputs[1], expected)
    assert np.isnan(outputs[0]) and outputs[0].shape == ()


def test_eval_hand_written_args_and_every_dtype(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    closed = ir_cases.literals_every_dtype()
    program = write(tmp_path / "p.json", ir.dumps(closed))
    arrays = [literal_for(a.dtype) for a in closed.in_avals]
    rc, out, err = run(capsys, "eval", program, "--args", write(tmp_path / "a.json", args_doc(*arrays)))
    assert rc == 0, err
    outputs = json.loads(out)["outputs"]
    assert [o["data"] for o in outputs[:15]] == [[True]] * 15


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ("not json", "FJ-ARGS-FORMAT"),
        ({"args": []}, "FJ-ARGS-FORMAT"),
        ({"schema": "frankenjax.args.v2", "args": []}, "FJ-ARGS-FORMAT"),
        ({"schema": "frankenjax.args.v1", "args": {}}, "FJ-ARGS-FORMAT"),
        ({"schema": "frankenjax.args.v1", "args": [], "x": 1}, "FJ-ARGS-FORMAT"),
        (args_doc(np.zeros(3)), "FJ-IR-ARITY"),
        (args_doc(np.zeros(3), np.zeros(3), np.zeros(())), "FJ-IR-ARITY"),
        (args_doc(np.zeros(4), np.float64(1)), "FJ-IR-TYPE-MISMATCH"),
        (args_doc(np.zeros(3, np.float32), np.float64(1)), "FJ-IR-TYPE-MISMATCH"),
        (
            {"schema": "frankenjax.args.v1", "args": [{"dtype": "float64", "shape": [3], "data": [1]}]},
            "FJ-IR-VALUE",
        ),
        (
            {"schema": "frankenjax.args.v1", "args": [{"dtype": "f64", "shape": [], "data": [1]}]},
            "FJ-IR-DTYPE",
        ),
        (
            {"schema": "frankenjax.args.v1", "args": [{"dtype": "float64", "shape": [10**9], "data": []}]},
            "FJ-IR-LIMIT",
        ),
    ],
)
def test_eval_bad_args(
    program: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: Any, code: str
) -> None:
    path = write(tmp_path / "args.json", args)
    rc, out, err = run(capsys, "eval", program, "--args", path)
    assert rc == 2 and out == ""
    assert f"[{code}]" in err and path in err


def test_eval_missing_files(program: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "eval", program, "--args", str(tmp_path / "none.json"))
    assert rc == 2 and "[FJ-IO-NOT-FOUND]" in err
    rc, _, err = run(capsys, "eval", str(tmp_path / "none.json"), "--args", program)
    assert rc == 2 and "[FJ-IO-NOT-FOUND]" in err


def test_eval_requires_args(program: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["eval", program])
    assert info.value.code == 2
    assert "[FJ-CLI-USAGE]" in capsys.readouterr().err


def test_run_program_library(program: str, tmp_path: Path) -> None:
    from harness.evaluate import run_program

    args = write(tmp_path / "args.json", args_doc(np.ones(3), np.float64(0.5)))
    result = run_program(program, args)
    assert result.fingerprint == ir.fingerprint(ir_cases.spec_example())
    assert [v.shape for v in result.values] == [(), (3,)]
    assert result.outputs_json()["outputs"][0]["dtype"] == "float64"


def test_commands_do_not_import_numpy_at_module_level() -> None:
    import subprocess
    import sys

    code = (
        "import argparse, sys, harness.commands.ir as a, harness.commands.eval as b; "
        "sub = argparse.ArgumentParser().add_subparsers(); a.register(sub); b.register(sub); "
        "print(any(m in sys.modules for m in ('numpy', 'jax', 'frankenjax_ref.ir')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_print_escapes_lone_surrogates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = ir_cases.base_doc()
    doc["jaxpr"]["equations"][2]["params"]["name"] = "in\ud800ner"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc))  # ensure_ascii writes the surrogate as an escape
    rc, out, _ = run(capsys, "ir", "print", str(path))
    assert rc == 0 and "name=in\\ud800ner" in out
    rc, _, _ = run(capsys, "ir", "check", str(path))
    assert rc == 0


def test_oversized_file_is_refused_before_reading(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "huge.json"
    with open(path, "wb") as handle:
        handle.truncate(ir.DEFAULT_LIMITS.max_bytes + 1)  # sparse: costs no disk
    rc, _, err = run(capsys, "ir", "check", str(path))
    assert rc == 2 and "[FJ-IR-LIMIT]" in err
